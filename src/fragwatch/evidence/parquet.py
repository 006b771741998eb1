"""Event tables stored as Parquet (``events.parquet``): imported data sets, up to millions of rows.

A million events as CSV, read back by the csv module and validated cell by cell as text on
every command, would take seconds each time. In Parquet the columns keep their types
(whole-number fatalities, dates), and the checks of ``schema.validate_events`` run on Arrow
arrays and on the few distinct values of the repetitive columns (dates, kinds, countries,
sources), so a million rows load in about a second. The rules are the same as for events.csv;
an error names the file, the row (counted from 1) and the column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fragwatch.errors import EvidenceError, location
from fragwatch.evidence.periods import parse_periods
from fragwatch.evidence.schema import CODE_PATTERN, COUNTRY_PATTERN, EVENT_COLUMNS, ID_PATTERN

# Fatality ranges (UCDP's low and high) ride along; no indicator reads them yet.
EXTRA_COLUMNS = ["fatalities_low", "fatalities_high"]
TEXT_COLUMNS = ["date", "description", "quote", "note"]


def event_schema():
    """The Arrow schema of events.parquet."""
    import pyarrow as pa

    types = {"fatalities": pa.int64(), "published": pa.date32()}
    types |= dict.fromkeys(EXTRA_COLUMNS, pa.int64())
    return pa.schema([(c, types.get(c, pa.string())) for c in EVENT_COLUMNS + EXTRA_COLUMNS])


class EventsWriter:
    """Append blocks of event columns to one Parquet file (zstd: a tenth of the CSV's size).

    Compressing and writing a block happens in a second thread while the caller converts the
    next one (Arrow releases the GIL there): an import of a million rows spends about a fifth
    of its time writing. At most one block waits, so memory stays flat.
    """

    def __init__(self, path: Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import pyarrow.parquet as pq

        self.path = path
        self.rows = 0
        self._writer = pq.ParquetWriter(path, event_schema(), compression="zstd")
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="events-writer")
        self._pending = None

    def write(self, columns: dict[str, object]) -> None:
        import pyarrow as pa

        table = pa.table(columns, schema=event_schema())
        self._wait()
        self._pending = self._thread.submit(self._writer.write_table, table)
        self.rows += table.num_rows

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()  # a failed write raises here, in the caller's thread

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self._thread.shutdown()
            self._writer.close()


def _distinct(values) -> tuple[pd.Series, np.ndarray]:
    """(the distinct values as a Series, the position of each row's value among them)."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values.combine_chunks())
    return (
        pd.Series(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object),
        np.asarray(encoded.indices, dtype=np.int64),
    )


def _has_line_break(values) -> bool:
    """Whether any byte of the column's text is CR or LF (a scan of the raw buffers)."""
    for chunk in values.chunks:
        data = chunk.buffers()[2]
        if data is not None and data.size:
            raw = np.frombuffer(data, dtype=np.uint8)
            if (raw == 10).any() or (raw == 13).any():
                return True
    return False


def _matches(values, pattern: str) -> np.ndarray:
    distinct, code = _distinct(values)
    return distinct.str.fullmatch(pattern).to_numpy(dtype=bool)[code]


def read_events_parquet(
    path: Path, sources: pd.DataFrame, *, with_text: bool = True, rows: np.ndarray | None = None
) -> pd.DataFrame:
    """Read and validate an events.parquet file: the frame ``validate_events`` would give.

    ``with_text=False`` leaves the description, quote and note columns empty (most of the
    file's bytes) for callers that only count events, such as an import's monthly table.
    ``rows``: only these rows (ascending positions, from 0), read from the row groups that hold
    them; errors and origins still give each row's number in the file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = str(path)
    wanted = None if with_text else [c for c in event_schema().names if c not in TEXT_COLUMNS[1:]]
    try:
        if rows is None:
            table = pq.read_table(path, columns=wanted)
        else:
            table = _read_rows(pq.ParquetFile(path), rows, wanted)
    except (OSError, pa.ArrowException) as exc:
        raise EvidenceError(f"not a readable Parquet file ({exc})", where=name) from None
    number = np.arange(1, table.num_rows + 1) if rows is None else np.asarray(rows) + 1
    return _events_frame(table, name, sources, wanted, number, with_text)


def _read_rows(file, rows: np.ndarray, columns: list[str] | None):
    """The given rows of a Parquet file, reading only the row groups that hold them."""
    import pyarrow as pa

    meta = file.metadata
    sizes = np.array([meta.row_group(g).num_rows for g in range(meta.num_row_groups)], np.int64)
    starts = np.cumsum(sizes) - sizes
    group = np.searchsorted(starts, rows, side="right") - 1
    groups = np.unique(group)
    if not len(groups):
        return file.schema_arrow.empty_table().select(columns or file.schema_arrow.names)
    table = file.read_row_groups(groups.tolist(), columns=columns)
    # Positions within the groups read: each group's rows follow the previous group's.
    before = np.cumsum(sizes[groups]) - sizes[groups]
    local = rows - starts[group] + before[np.searchsorted(groups, group)]
    return table.take(pa.array(local))


def _events_frame(
    table, name: str, sources: pd.DataFrame, wanted, number: np.ndarray, with_text: bool
) -> pd.DataFrame:
    """Validate an events table read from ``name`` (``number``: each row's number in the file)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = event_schema()
    missing = [c for c in wanted or EVENT_COLUMNS if c not in table.column_names]
    if missing:
        raise EvidenceError(f"missing column '{missing[0]}'", where=name)
    try:
        table = pa.table(
            {
                c: table.column(c).cast(schema.field(c).type)
                if c in table.column_names
                else pa.nulls(table.num_rows, schema.field(c).type)
                for c in schema.names
            }
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise EvidenceError(f"a column has the wrong type ({exc})", where=name) from None

    def text(column: str):
        return pc.utf8_trim_whitespace(pc.fill_null(table.column(column), ""))

    ids, quote = text("event_id"), table.column("quote")
    no_quote = pc.fill_null(pc.equal(pc.utf8_length(quote), 0), True)
    line_break = pa.array(np.zeros(len(quote), dtype=bool))
    if _has_line_break(quote):  # rare; the exact per-row test is slow on 100s of MB of text
        line_break = pc.or_(pc.match_substring(quote, "\n"), pc.match_substring(quote, "\r"))
    date_text, date_code = _distinct(text("date"))
    periods = parse_periods(date_text)
    start = periods["start"].to_numpy()[date_code]
    end = periods["end"].to_numpy()[date_code]
    published = table.column("published").to_numpy().astype("datetime64[us]")
    fatalities = table.column("fatalities").to_numpy().astype(float)
    source_text, source_code = _distinct(text("source_id"))
    known_source = source_text.isin(sources.index).to_numpy()[source_code]
    if pc.count_distinct(ids).as_py() == len(ids):
        duplicated = np.zeros(len(ids), dtype=bool)
    else:
        duplicated = pd.Series(ids.to_numpy(zero_copy_only=False)).duplicated().to_numpy()
    checks = [
        (
            ~np.asarray(pc.match_substring_regex(ids, f"^{ID_PATTERN}$"), dtype=bool),
            "event_id",
            "is empty or not a valid id",
        ),
        (duplicated, "event_id", "duplicate id"),
        (~_matches(text("country"), COUNTRY_PATTERN), "country", "is not an ISO3 country code"),
        (np.isnat(start), "date", "is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"),
        (~_matches(text("kind"), CODE_PATTERN), "kind", "is not an event kind"),
        (fatalities < 0, "fatalities", "is not a whole number of deaths >= 0"),
        (~known_source, "source_id", "unknown source (not in any sources.csv loaded)"),
        (
            np.asarray(no_quote, dtype=bool) & with_text,
            "quote",
            "is empty: every figure must cite its sentence",
        ),
        (
            np.asarray(pc.fill_null(line_break, False), dtype=bool),
            "quote",
            "contains a line break; a quote is one verbatim span on one line",
        ),
        (np.isnat(published), "published", "is not a date"),
        (published < start, "published", "is before the event date"),
    ]
    first = min(
        ((int(np.argmax(m)), field, message) for m, field, message in checks if m.any()),
        default=None,
    )
    if first is not None:
        row, field, message = first
        value = table.column(field)[row].as_py()
        raise EvidenceError(f"{value!r} {message}", where=location(name, int(number[row]), field))

    # Ids, countries, kinds and sources as Python strings (the indicator kernels work on object
    # arrays); the bulky text stays in Arrow ("str"), where it takes a third of the memory.
    columns = {}
    for column in ("event_id", "country", "kind", "source_id"):
        columns[column] = pd.Series(text(column).to_numpy(zero_copy_only=False), dtype=object)
    incident = text("incident_id").to_numpy(zero_copy_only=False)
    for column in TEXT_COLUMNS:
        columns[column] = pd.Series(pc.fill_null(table.column(column), ""), dtype="str")
    frame = pd.DataFrame({c: columns[c] for c in ("event_id", "country", "date", "kind")})
    frame["fatalities"] = fatalities
    # An event no other row corroborates is its own incident.
    ids = columns["event_id"].to_numpy()
    frame["incident_id"] = pd.Series(np.where(incident == "", ids, incident), dtype=object)
    for column in ("description", "source_id", "quote"):
        frame[column] = columns[column]
    frame["published"] = published
    frame["note"] = columns["note"]
    for column in EXTRA_COLUMNS:
        frame[column] = table.column(column).to_numpy().astype(float)
    frame["date_start"], frame["date_end"] = start, end
    numbers = pa.array(number).cast(pa.string())
    frame["origin"] = pd.Series(pc.binary_join_element_wise(f"{name}:", numbers, ""), dtype="str")
    frame.index = pd.Index(ids, dtype=object, name="event_id")
    return frame
