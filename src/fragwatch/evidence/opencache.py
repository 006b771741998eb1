"""A pre-parsed, columnar copy of the open-data layer, so a command reads it instead of parsing.

Parsing the shipped release lines into the world's 150,000 observations takes about half a
second; reading the same table back from an Arrow IPC file takes a few tens of milliseconds.
The file (``fragwatch/open/<key>.arrow`` in the user's cache folder: $XDG_CACHE_HOME, else
``~/.cache``) belongs to the installed package, not to a working folder, so it is shared by every
folder a user works in and never appears among a folder's files. It is built from the parse the
first time a command needs the layer and used only while its key matches: the SHA-256 of
``datasets.toml``, of every shipped release file and of the module that parses them
(``opendata.py``), so a new release, a changed declaration or a changed parse makes a new key and
the old file is never read. The key is stored inside the file too and checked on reading. A file
that cannot be read or written (a read-only folder, a truncated file) is not an error: the layer
is parsed from the lines as before. Each quote is still the verbatim data line; in the file it
is stored once per line (a dictionary column) and shared by the rows that quote it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

CACHE_ENV = "XDG_CACHE_HOME"
KEEP = 4  # stored copies kept (other versions of the package share the folder)
KEY_FIELD = b"fragwatch.open_layer.key"
# Columns with few distinct values (or, for quotes, one value shared by a line's series) are
# stored as dictionaries: read back, each distinct text is one Python string.
DICTIONARY = ("country", "quantity", "period", "unit", "source_id", "quote", "note", "origin")


def cache_folder() -> Path:
    """The folder of the stored copies (``Path.home()`` raises RuntimeError without a home)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache") / "fragwatch" / "open"


def layer_key(folder: Path, files: list[str], parser: Path) -> str:
    """SHA-256 over the declarations, every release file, the parsing module, this module and
    the versions of the libraries that parse (a float read by another pandas could differ)."""
    digest = hashlib.sha256(f"pandas {pd.__version__} numpy {np.__version__}".encode())
    for path in [folder / "datasets.toml", *(folder / f for f in files), parser, Path(__file__)]:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def read_cached(key: str, countries: frozenset[str] | None) -> pd.DataFrame | None:
    """The observations stored under ``key`` (of ``countries``; None: all), or None when there
    is no such file or it does not hold that key."""
    import pyarrow as pa

    try:
        path = cache_folder() / f"{key}.arrow"
        # Read into memory, not mapped: the frame's numbers would otherwise be views of a
        # file another process may replace or truncate.
        with pa.OSFile(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
    except (OSError, RuntimeError, pa.ArrowException):
        return None
    if (table.schema.metadata or {}).get(KEY_FIELD) != key.encode():
        return None
    return _frame(table, countries)


def write_cached(key: str, observations: pd.DataFrame) -> None:
    """Store ``observations`` under ``key``: written whole to a temporary file and renamed, so a
    reader never sees half a file; a folder that cannot be written is left alone."""
    import pyarrow as pa

    table = pa.Table.from_pandas(observations, preserve_index=False)
    columns = [
        table[name].dictionary_encode() if name in DICTIONARY else table[name]
        for name in table.column_names
    ]
    table = pa.table(columns, names=table.column_names, metadata={KEY_FIELD: key.encode()})
    try:
        folder = cache_folder()
    except RuntimeError:  # no home folder
        return

    def write(temporary: Path) -> None:
        with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
            out.write_table(table)

    store_copy(folder, f"{key}.arrow", write, KEEP)


def store_copy(
    folder: Path,
    name: str,
    write: Callable[[Path], None],
    keep: int,
    errors: tuple[type[Exception], ...] = (),
) -> None:
    """Store a cached copy as ``folder/name``: ``write`` fills a temporary file, which is then
    renamed (a reader never sees half a file), and only the newest ``keep`` copies with the
    same suffix stay. A folder that cannot be written, or one of ``errors`` raised by
    ``write``, leaves things as they were: a cache is never an error."""
    temporary = folder / f".{name}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write(temporary)
        os.replace(temporary, folder / name)
        copies = sorted(
            folder.glob(f"*{Path(name).suffix}"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for old in copies[keep:]:
            old.unlink(missing_ok=True)
    except (OSError, *errors):
        with contextlib.suppress(OSError):  # also when the folder itself could not be made
            temporary.unlink(missing_ok=True)


def _frame(table, countries: frozenset[str] | None) -> pd.DataFrame:
    """The pandas observations of an Arrow table, text as Python strings (object dtype)."""
    table = table.combine_chunks()
    keep = None
    if countries is not None:
        country = table["country"].chunk(0) if table.num_rows else None
        if country is None:
            keep = np.zeros(0, dtype=np.int64)
        else:
            wanted = np.isin(country.dictionary.to_numpy(zero_copy_only=False), list(countries))
            keep = np.flatnonzero(wanted[country.indices.to_numpy()])
    columns = {}
    for name in table.column_names:
        array = table[name].chunk(0) if table.num_rows else table[name].combine_chunks()
        if name in DICTIONARY:
            dictionary, codes = array.dictionary, array.indices.to_numpy()
            if keep is not None:  # only the texts the kept rows use become Python strings
                used, codes = np.unique(codes[keep], return_inverse=True)
                dictionary = dictionary.take(used)
            values = np.asarray(dictionary.to_pylist(), dtype=object)
            column = values[codes] if len(values) else np.empty(len(codes), dtype=object)
        else:
            if keep is not None:
                array = array.take(keep)
            column = array.to_numpy(zero_copy_only=False)
        if column.dtype.kind == "M":
            column = column.astype("datetime64[ns]")
        # Object dtype on purpose, as the parse gives (see opendata._objects).
        dtype = object if column.dtype == object else None
        columns[name] = pd.Series(column, dtype=dtype, copy=False)
    out = pd.DataFrame(columns, copy=False)
    out.index = pd.Index(out["obs_id"].to_numpy(dtype=object), dtype=object, name="obs_id")
    return out
