"""Write an output file whole or not at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fragwatch.errors import FragwatchError


def write_atomically(
    path: Path, write: Callable[[Path], None], error: type[FragwatchError], where: str
) -> None:
    """Call ``write`` on a temporary file beside ``path``, then rename it into place.

    A failure leaves neither a partial file nor a changed ``path``; it is raised as ``error``.
    """
    if not path.parent.is_dir():
        raise error(f"cannot write {path}: folder {path.parent} does not exist", where=where)
    partial = path.with_name(f".{path.name}.partial")
    try:
        write(partial)
        partial.replace(path)
    except ImportError as exc:
        partial.unlink(missing_ok=True)
        raise error(
            f"cannot write {path}: {exc.name or exc} is not installed", where=where
        ) from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise error(f"cannot write {path}: {exc.strerror or exc}", where=where) from None
