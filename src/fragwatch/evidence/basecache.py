"""A stored, already validated copy of the shipped evidence base, so a command reads it back.

Loading the shipped base (the report tables checked row by row, the open-data rows of the
countries asked for, sources joined) costs about 0.12 s of CPU in every command, a third of
what ``assess`` does beyond importing pandas, and gives the same tables every time for the
same files. The first command stores the loaded ``Evidence`` (a pickle, next to the open-data
copy of ``evidence.opencache`` in the user's cache folder) under a key, and later commands with
the same key read it back in a few milliseconds.

The key is a SHA-256 over everything the load depends on: the content of every file of the
shipped base (report tables and open-data releases), the size and modification time of every
module of the installed package (a changed rule of validation makes a new key), the versions
of Python, pandas, numpy and pyarrow, and the countries asked for. A stored copy whose key does
not match is never read; one that cannot be read or written is not an error: the base is then
loaded from its files as before. Only the shipped base is stored: a command that also reads a
library or ``--evidence`` folders loads everything from the files.

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

from fragwatch.evidence.base import Evidence
from fragwatch.evidence.opencache import cache_folder, store_copy

KEEP = 16  # stored copies kept: one per set of countries a user asks about, newest first
VERSION = b"fragwatch.evidence.basecache 1"


def base_key(countries: Collection[str] | None) -> str:
    """The key of the shipped base as loaded for ``countries`` (None: every country)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from fragwatch.evidence.files import default_evidence_dir

    digest = hashlib.sha256(VERSION)
    versions = (
        f"{sys.version} pandas {pd.__version__} numpy {np.__version__} pyarrow {pa.__version__}"
    )
    digest.update(versions.encode() + b"\0")
    digest.update(repr(None if countries is None else sorted(set(countries))).encode() + b"\0")
    data = default_evidence_dir()
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
    try:
        key = base_key(countries)
        path = _folder() / f"{key}.pickle"
    except (OSError, RuntimeError):  # an unreadable package file, no home folder
        return load()
    found = _read(path, key)
    if found is not None:
        return found
    evidence = load()
    _write(path, key, evidence)
    return evidence


def _read(path: Path, key: str) -> Evidence | None:
    try:
        with path.open("rb") as handle:
            stored_key, evidence = pickle.load(handle)
    except Exception:  # any unreadable copy (truncated, another version's classes) is a miss
        return None
    if stored_key != key or not isinstance(evidence, Evidence):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept longest
    return evidence


def _write(path: Path, key: str, evidence: Evidence) -> None:
    evidence.memo.clear()  # only the tables: what a command derives stays its own

    def write(temporary: Path) -> None:
        with temporary.open("wb") as handle:
            pickle.dump((key, evidence), handle, protocol=pickle.HIGHEST_PROTOCOL)

    store_copy(path.parent, path.name, write, KEEP, errors=(pickle.PicklingError,))
