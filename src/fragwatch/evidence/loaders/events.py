"""The shared path of event imports: blocks in, checked event columns out to Parquet.

A loader converts one block of an export into event columns (``EventBlock``); this module
writes them block by block and checks that the data set's row ids are unique across the whole
file, so a million rows never have to be held at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fragwatch.errors import EvidenceError
from fragwatch.evidence.loaders.countries import is_iso3, iso3_of_name
from fragwatch.evidence.loaders.export import Export, map_values
from fragwatch.evidence.parquet import EventsWriter


@dataclass
class EventBlock:
    """The kept records of one block: their positions in the file, row ids and event columns."""

    rows: np.ndarray
    ids: pa.Array
    columns: dict[str, object]
    # Records kept with a repair: (position in the file, column, what was done).
    warnings: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class EventImport:
    """How many records an import read, how many events it kept, and the repairs made."""

    read: int
    imported: int
    warnings: list[tuple[int, str, str]] = field(default_factory=list)


Convert = Callable[[int, pa.RecordBatch], EventBlock]


def import_events(export: Export, convert: Convert, out: Path, id_column: str) -> EventImport:
    """Convert every block, write events.parquet to ``out``, and check ids across blocks."""
    writer = EventsWriter(out)
    ids, rows, warnings = [], [], []
    read = 0
    try:
        for offset, batch in export.blocks():
            read += batch.num_rows
            block = convert(offset, batch)
            warnings.extend(block.warnings)
            if len(block.rows) == 0:
                continue
            writer.write(block.columns)
            ids.append(block.ids)
            rows.append(block.rows)
    finally:
        writer.close()
    if ids:
        all_ids = pd.Series(pa.chunked_array(ids), dtype="str")
        duplicated = all_ids.duplicated().to_numpy()
        if duplicated.any():
            where = np.concatenate(rows)
            second = int(np.argmax(duplicated))
            first = int(np.argmax((all_ids == all_ids.iloc[second]).to_numpy()))
            export.fail(
                int(where[second]),
                id_column,
                f"duplicate id '{all_ids.iloc[second]}'"
                f" (also on line {export.line_of(int(where[first]))})",
            )
    if read == 0:
        raise EvidenceError(
            "no records under the header: nothing to import", where=f"{export.name}"
        )
    return EventImport(read=read, imported=writer.rows, warnings=warnings)


def iso3_codes(
    names: pa.Array, codes: pa.Array | None = None, numbers: pa.Array | None = None
) -> np.ndarray:
    """ISO3 of each row: from an ISO3 column, else an ISO numeric column, else the name."""
    out = np.full(len(names), "", dtype=object)
    if codes is not None:
        given = map_values(codes, lambda c: c.upper() if is_iso3(c.upper()) else "")
        out = np.where(out == "", given, out)
    if numbers is not None:
        from fragwatch.evidence.loaders.countries import iso3_of_number

        out = np.where(out == "", map_values(numbers, iso3_of_number), out)
    return np.where(out == "", map_values(names, iso3_of_name), out)


def keep_countries(iso3: np.ndarray, countries: frozenset[str] | None) -> np.ndarray:
    """Positions of the rows to import: all, or those of the requested countries."""
    if not countries:
        return np.arange(len(iso3))
    return np.flatnonzero(np.isin(iso3, list(countries)))


@cache
def iso_date(text: str) -> str:
    """'2015-09-04' from '2015-09-04', '2015-09-04 00:00:00.000', '04 September 2015',
    '04/09/2015' (day first) or '04-Sep-15'."""
    value = text.strip()
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        pass
    from datetime import datetime

    # Older ACLED files: '18/04/2001' (day first, before 2019) and '16-Feb-19' (2019).
    for shape in ("%d %B %Y", "%d-%B-%Y", "%d %b %Y", "%d-%b-%Y", "%d/%m/%Y", "%d-%b-%y"):
        try:
            return datetime.strptime(value, shape).date().isoformat()
        except ValueError:
            continue
    return ""


def parse_days(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(ISO date text, '' where not a date; the dates as datetime64[D], NaT there)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)
    text = np.array([iso_date(v) for v in encoded.dictionary.to_pylist()], dtype=object)
    day = np.array([t or "NaT" for t in text], dtype="datetime64[D]")
    code = np.asarray(encoded.indices, dtype=np.int64)
    return text[code] if len(text) else text, day[code] if len(day) else day


def whole_numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(values as int64 with 0 where bad, mask of cells that are not whole numbers >= 0)."""
    try:  # the usual case: every cell is digits
        numbers = pc.cast(values, pa.int64())
        if not pc.any(pc.less(numbers, 0)).as_py():
            return numbers.to_numpy(zero_copy_only=False), np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        pass
    good = np.asarray(pc.match_substring_regex(values, r"^\d{1,15}(\.0+)?$"), dtype=bool)
    cleaned = pc.if_else(pa.array(good), values, pa.scalar("0"))
    numbers = pc.cast(pc.replace_substring_regex(cleaned, r"\.0+$", ""), pa.int64())
    return numbers.to_numpy(zero_copy_only=False), ~good
