"""The evidence digest of a large table, computed column-wise with Arrow, byte for byte equal.

``Evidence.digest`` hashes each table's rows, each row its cells as ``str()`` joined by \\x1f,
sorted, each followed by \\x1e. For a table of a million imported events, joining and sorting a
million Python strings takes seconds; here each column is turned into the same text with
vectorised operations, rows are joined and sorted by Arrow (byte order of UTF-8 is code-point
order, Python's string order) and fed to the hash as one buffer per chunk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Below this many rows the plain Python rendering is fast enough and is used as it is.
LARGE = 50_000
SLICE = 100_000


def _as_text(column: pd.Series):
    """The column's cells as ``str(cell)`` would print them, as an Arrow string array."""
    import pyarrow as pa

    if isinstance(column.dtype, pd.StringDtype) and not column.isna().any():
        text = pa.array(column.array)  # already Arrow text
        if text.type != pa.string():
            text = text.cast(pa.string())
        # One contiguous array: element-wise kernels and take are far slower on many chunks.
        return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    values = column.to_numpy()
    if column.dtype.kind == "f":
        finite = np.isfinite(values)
        whole = finite & (np.abs(values) < 1e15) & (values == np.round(values))
        text = np.full(len(values), "", dtype=object)
        text[whole] = np.char.add(values[whole].astype(np.int64).astype(str), ".0")
        rest = ~whole
        text[rest] = [str(v) for v in values[rest].tolist()]  # nan, and rare fractions
        return pa.array(text, pa.string())
    if column.dtype.kind == "M":
        stamps = pd.Series(values)
        if (stamps.dropna() != stamps.dropna().dt.floor("s")).any():
            return pa.array([str(v) for v in column.to_numpy(dtype=object)], pa.string())
        text = stamps.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object, na_value="NaT")
        return pa.array(text, pa.string())
    if all(isinstance(v, str) for v in values[:1000]) and not column.isna().any():
        try:
            return pa.array(values, pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    return pa.array([str(v) for v in column.to_numpy(dtype=object)], pa.string())


def update_with_rows(hasher, table: pd.DataFrame, columns: list[str]) -> None:
    """``hasher.update`` with the table's sorted rows, as ``Evidence.digest`` renders them.

    Rows are taken in slices in sorted order, so only one slice of joined text is in memory.
    The first column is the table's id: unique, and made of characters above \\x1f, so the
    order of the ids is the order of the whole rows.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def text(value: str):
        return pa.scalar(value, pa.string())

    cells = [_as_text(table[c]) for c in columns]
    if pc.count_distinct(cells[0]).as_py() == len(table):
        order = pc.sort_indices(cells[0])
    else:  # not an id column after all: sort the whole rows
        order = pc.sort_indices(pc.binary_join_element_wise(*cells, text("\x1f")))
    for start in range(0, len(table), SLICE):
        part = order[start : start + SLICE]
        taken = [c.take(part) for c in cells]
        taken[-1] = pc.binary_join_element_wise(taken[-1], text("\x1e"), text(""))  # row end
        rows = pc.binary_join_element_wise(*taken, text("\x1f"))
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)
        offsets = offsets[rows.offset : rows.offset + len(rows) + 1]
        hasher.update(memoryview(rows.buffers()[2])[int(offsets[0]) : int(offsets[-1])])
