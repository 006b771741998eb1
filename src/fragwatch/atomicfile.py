"""Write an output file whole or not at all, and only where a file belongs.

An output path must be a regular file or a new path in an existing folder. A device node
(``/dev/full``), a named pipe, a socket, a folder or a symbolic link is refused: the atomic
rename would replace the node or the link itself with a regular file. Standard output is asked
for by name, ``-``; pipe it on from there.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from fragwatch.errors import FragwatchError

STDOUT = "-"


def is_stdout(path: Path | str) -> bool:
    return str(path) == STDOUT


def check_output_path(path: Path, error: type[FragwatchError], where: str) -> None:
    """Raise ``error`` unless ``path`` is ``-``, a regular file or a new path in a folder.

    Commands call this before any work, so a bad output path fails before anything is written.
    """
    if is_stdout(path):
        return
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise error(f"cannot write {path}: {exc.strerror or exc}", where=where) from None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISLNK(mode):
            what = "a symbolic link (it would be replaced, not followed)"
        elif stat.S_ISDIR(mode):
            what = "a folder"
        else:
            what = "not a regular file (a device, pipe or socket)"
        raise error(
            f"cannot write {path}: it is {what}; give a new file name, or - for standard output",
            where=where,
        )
    if not path.parent.is_dir():
        raise error(f"cannot write {path}: folder {path.parent} does not exist", where=where)
    # No write bit counts as read-only even for root, who could write anyway: the owner said so.
    if not os.access(path.parent, os.W_OK) or not path.parent.stat().st_mode & 0o222:
        raise error(f"cannot write {path}: folder {path.parent} is read-only", where=where)


def write_atomically(
    path: Path, write: Callable[[Path], None], error: type[FragwatchError], where: str
) -> None:
    """Call ``write`` on a temporary file beside ``path``, then rename it into place.

    ``-`` writes to standard output instead. A failure leaves neither a partial file nor a
    changed ``path``; it is raised as ``error``.
    """
    check_output_path(path, error, where)
    if is_stdout(path):
        _write_to_stdout(write, error, where)
        return
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


def _write_to_stdout(write: Callable[[Path], None], error: type[FragwatchError], where: str):
    with tempfile.TemporaryDirectory(prefix="fragwatch-") as folder:
        partial = Path(folder) / "output"
        try:
            write(partial)
        except ImportError as exc:
            raise error(f"cannot write: {exc.name or exc} is not installed", where=where) from None
        except OSError as exc:
            raise error(f"cannot write: {exc.strerror or exc}", where=where) from None
        sys.stdout.flush()
        sys.stdout.buffer.write(partial.read_bytes())
        sys.stdout.buffer.flush()
