"""A stored, already validated copy of the shipped evidence base, so a command reads it back.

Loading the shipped base (the report tables checked row by row, the open-data rows of the
countries asked for, sources joined) costs about 0.12 s of CPU in every command, a third of
what ``assess`` does beyond importing pandas, and gives the same tables every time for the
same files. The first command stores the loaded ``Evidence`` (a pickle, next to the open-data
copy of ``evidence.opencache`` in the user's cache folder) under a key, and later commands with
the same key read it back in a few milliseconds.

The key is a SHA-256 over everything the load depends on: the content of every file of the
shipped base (report tables and open-data releases) and where it lies (its path appears in
messages), the size and modification time of every module of the installed package (a changed
rule of validation makes a new key), the versions of Python, pandas, numpy and pyarrow, and
the countries asked for. A stored copy whose key does
not match is never read; one that cannot be read or written is not an error: the base is then
loaded from its files as before.

Two forms are stored, each under its own key. A command that reads the shipped base alone
stores the finished ``Evidence``. A load that adds a library or ``--evidence`` folders stores
the base read and checked but not yet joined to anything (``files.ShippedBase``), and adds
the folders to it exactly as if they had been read after the base: the same checks of ids
across files, with messages naming the shipped file's path and line, the same order of rows,
the same matching of incidents. So a library costs what it holds, not a second reading of the
shipped base.

The folder belongs to the user (as ``~/.cache`` does); a stored copy is a pickle, so whoever
can write that folder can run code as the user, as they could through the shell's start-up
files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TypeVar

from fragwatch.evidence.base import Evidence
from fragwatch.evidence.files import ShippedBase, shipped_base
from fragwatch.evidence.opencache import cache_folder, store_copy

T = TypeVar("T")

KEEP = 16  # stored copies kept: one per set of countries and form, newest first
VERSION = b"fragwatch.evidence.basecache 1"


def base_key(countries: Collection[str] | None, kind: str = "evidence") -> str:
    """The key of the shipped base as loaded for ``countries`` (None: every country), in the
    form ``kind`` names: "evidence" (the base alone, ready) or "parts" (read and checked, for
    folders to be added to)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from fragwatch.evidence.files import default_evidence_dir

    digest = hashlib.sha256(VERSION + b"\0" + kind.encode() + b"\0")
    versions = (
        f"{sys.version} pandas {pd.__version__} numpy {np.__version__} pyarrow {pa.__version__}"
    )
    digest.update(versions.encode() + b"\0")
    digest.update(repr(None if countries is None else sorted(set(countries))).encode() + b"\0")
    data = default_evidence_dir()
    # Where the files are: a stored base names them in its messages ("already defined in").
    digest.update(str(data.resolve()).encode() + b"\0")
    for path in sorted(p for p in data.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(data)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(package)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _folder() -> Path:
    return cache_folder().parent / "base"


def cached_base(countries: Collection[str] | None, load: Callable[[], Evidence]) -> Evidence:
    """The shipped base for ``countries``: the stored copy under its key, else ``load()``,
    which is then stored for the next command."""
    return _cached(countries, "evidence", Evidence, load)


def cached_parts(countries: Collection[str] | None) -> ShippedBase:
    """The shipped base for ``countries`` read and checked, for a load that adds a library or
    other folders to it (``files.load_evidence``): the stored copy, else read from the files
    and stored."""
    return _cached(countries, "parts", ShippedBase, lambda: shipped_base(countries))


def _cached(
    countries: Collection[str] | None, kind: str, expected: type[T], load: Callable[[], T]
) -> T:
    try:
        key = base_key(countries, kind)
        path = _folder() / f"{key}.pickle"
    except (OSError, RuntimeError):  # an unreadable package file, no home folder
        return load()
    found = _read(path, key, expected)
    if found is not None:
        return found
    value = load()
    _write(path, key, value)
    return value


def _read(path: Path, key: str, expected: type[T]) -> T | None:
    try:
        with path.open("rb") as handle:
            stored_key, value = pickle.load(handle)
    except Exception:  # any unreadable copy (truncated, another version's classes) is a miss
        return None
    if stored_key != key or not isinstance(value, expected):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept longest
    return value


def _write(path: Path, key: str, value: object) -> None:
    if isinstance(value, Evidence):
        value.memo.clear()  # only the tables: what a command derives stays its own

    def write(temporary: Path) -> None:
        with temporary.open("wb") as handle:
            pickle.dump((key, value), handle, protocol=pickle.HIGHEST_PROTOCOL)

    store_copy(path.parent, path.name, write, KEEP, errors=(pickle.PicklingError,))
