"""Read a CSV export in blocks, every cell as text, with exact lines for every error.

pyarrow parses the file (fast, in blocks, so memory stays bounded on a million rows) but does not
say on which line a record starts. Line numbers are only needed for an error, so they are found
then, by re-reading the file with the csv module up to the failing record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from fragwatch.errors import EvidenceError, location
from fragwatch.textio import decode_utf8

BLOCK_BYTES = 8 << 20  # ~20k ACLED rows a block: fast, and memory stays flat
# A check: (rows failing it, as a bool array over the block; column; message for a row index).
Check = tuple[np.ndarray, str, Callable[[int], str]]


@dataclass
class Export:
    """One export file: its header, its records in blocks, and where each record starts."""

    path: Path
    dataset: str  # for messages: "an ACLED export"
    header: list[str] = field(default_factory=list)
    header_line: int = 1
    skip_rows: int = 0  # physical lines up to the end of the header (and its hashtag row)
    preamble: list[list[str]] = field(default_factory=list)  # records before the header
    hashtags: list[str] = field(default_factory=list)  # an HXL row under the header, if any
    display: str | None = None  # the name in messages when ``path`` is an extracted copy
    encoding_hint: str = ""  # added to a "not UTF-8" error found past the first MiB

    @property
    def name(self) -> str:
        return self.display or str(self.path)

    @classmethod
    def open(
        cls,
        path: Path,
        dataset: str,
        required: Sequence[str],
        *,
        header_starts: str | None = None,
        display: str | None = None,
    ) -> Export:
        """Check the file and its header; ``header_starts`` skips a preamble (WDI bulk CSV).

        A row right under the header whose every cell is an HXL hashtag (``#event+id``; HDX
        republishes UCDP and ACLED files so) is read as such, not as a record.
        """
        export = cls(path, dataset, display=display)
        if not path.exists():
            raise EvidenceError("no such file", where=export.name)
        if path.is_dir():
            raise EvidenceError("is a folder, expected a CSV file", where=export.name)
        with path.open("rb") as handle:
            head = handle.read(1 << 20)
        if not head.strip(b"\xef\xbb\xbf \r\n\t"):
            raise EvidenceError("file is empty (expected a header line)", where=export.name)
        # Decode only whole lines of the first MiB; a bad byte later is found when reading.
        cut = head.rfind(b"\n") + 1 if len(head) == 1 << 20 else len(head)
        text = decode_utf8(head[:cut], export.name, EvidenceError)
        reader = csv.reader(io.StringIO(text, newline=""))
        line = 0
        for record in reader:
            start, line = line + 1, reader.line_num
            cells = [c.strip() for c in record]
            if not any(cells):
                continue
            if header_starts is None or cells[0] == header_starts:
                export.header, export.header_line, export.skip_rows = cells, start, line
                break
            export.preamble.append(cells)
        else:
            wanted = f" starting with '{header_starts}'" if header_starts else ""
            raise EvidenceError(f"no header line{wanted} found", where=export.name)
        for record in reader:
            cells = [c.strip() for c in record]
            if any(cells) and all(c.startswith("#") for c in cells if c):
                export.hashtags, export.skip_rows = cells, reader.line_num
            break
        seen: set[str] = set()
        for column in export.header:
            if column in seen and column:
                raise EvidenceError(
                    f"duplicate column '{column}'", where=location(export.name, start)
                )
            seen.add(column)
        export.require(required)
        return export

    def require(self, required: Sequence[str]) -> None:
        """Raise naming the first of ``required`` the header lacks."""
        missing = [c for c in required if c not in self.header]
        if missing:
            raise EvidenceError(
                f"missing column '{missing[0]}': {self.dataset} has the columns "
                + ", ".join(required)
                + (f" (and {len(missing) - 1} more missing)" if len(missing) > 1 else ""),
                where=location(self.name, self.header_line),
            )

    def blocks(self, block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[int, pa.RecordBatch]]:
        """(position of the block's first record, the block), every column as text."""
        names = [c or f"_unnamed{i}" for i, c in enumerate(self.header)]
        try:
            reader = pacsv.open_csv(
                self.path,
                read_options=pacsv.ReadOptions(
                    skip_rows=self.skip_rows, column_names=names, block_size=block_bytes
                ),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            offset = 0
            for batch in reader:
                yield offset, batch
                offset += batch.num_rows
        except pa.ArrowInvalid as exc:
            self._explain_parse_error(exc)

    def line_of(self, position: int) -> int:
        """The line on which record ``position`` (0 = the first after the header) starts."""
        return self.lines_of([position])[position]

    def lines_of(self, positions: Sequence[int]) -> dict[int, int]:
        """The start line of each record in ``positions``, in one pass up to the last one."""
        wanted, found = set(positions), {}
        if not wanted:
            return found
        with self.path.open(encoding="utf-8-sig", newline="", errors="replace") as handle:
            reader = csv.reader(handle)
            line, seen = 0, -1
            for record in reader:
                start, line = line + 1, reader.line_num
                if start <= self.skip_rows or not record:
                    continue
                seen += 1
                if seen in wanted:
                    found[seen] = start
                    if len(found) == len(wanted):
                        return found
        return {p: found.get(p, line + 1) for p in wanted}

    def fail(self, position: int, column: str | None, message: str) -> NoReturn:
        where = location(self.name, self.line_of(position), column)
        raise EvidenceError(message, where=where)

    def check(self, offset: int, checks: list[Check], rows: np.ndarray | None = None) -> None:
        """Raise for the earliest record of the block failing any check.

        ``rows`` maps the checked rows to their positions in the file (after a filter);
        without it, row ``i`` is record ``offset + i``.
        """
        first: tuple[int, str, Callable[[int], str]] | None = None
        for mask, column, message in checks:
            hits = np.flatnonzero(mask)
            if hits.size and (first is None or hits[0] < first[0]):
                first = (int(hits[0]), column, message)
        if first is not None:
            row, column, message = first
            self.fail(int(rows[row]) if rows is not None else offset + row, column, message(row))

    def _explain_parse_error(self, exc: Exception) -> NoReturn:
        """Find the record pyarrow could not parse, with the csv module, and name its line."""
        data = self.path.read_bytes()
        try:
            text = decode_utf8(data, self.name, EvidenceError)
        except EvidenceError as error:
            if not self.encoding_hint:
                raise
            raise EvidenceError(f"{error.message}{self.encoding_hint}", where=error.where) from None
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        line = 0
        try:
            for record in reader:
                start, line = line + 1, reader.line_num
                if start > self.skip_rows and record and len(record) != len(self.header):
                    raise EvidenceError(
                        f"{len(record)} fields where the header has {len(self.header)}"
                        " (a comma in an unquoted cell?)",
                        where=location(self.name, start),
                    )
        except csv.Error as error:
            problem = (
                "a quoted cell starting on this line is never closed"
                if "end of data" in str(error)
                else f"not valid CSV ({error})"
            )
            raise EvidenceError(problem, where=location(self.name, line + 1)) from None
        raise EvidenceError(f"not valid CSV ({exc})", where=self.name) from None


def text(batch: pa.RecordBatch, column: str) -> pa.Array:
    """A column of a block with surrounding white space removed ('' where absent)."""
    if column not in batch.schema.names:
        return pa.array([""] * batch.num_rows, pa.string())
    return pc.utf8_trim_whitespace(batch.column(column))


def quoted_cell(batch: pa.RecordBatch, column: str) -> Callable[[int], str]:
    """A row's value of ``column``, quoted for an error message (called only on a bad row)."""
    values = batch.column(column)
    return lambda i: f"'{values[i].as_py()}'"


def mask(values: pa.Array) -> np.ndarray:
    """A boolean Arrow array as numpy (nulls count as false)."""
    return np.asarray(pc.fill_null(values, False), dtype=bool)


def map_values(values: pa.Array, fn: Callable[[str], object], dtype: object = object) -> np.ndarray:
    """Apply ``fn`` to each distinct value only (a block has few: dates, countries, types)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)
    mapped = np.array([fn(v) for v in encoded.dictionary.to_pylist()], dtype=dtype)
    if len(mapped) == 0:
        return np.empty(0, dtype=dtype)
    return mapped[np.asarray(encoded.indices, dtype=np.int64)]


def canonical_records(batch: pa.RecordBatch) -> pa.Array:
    """Each record as one CSV line: every cell in file order, quoted, quotes doubled.

    Line breaks inside a cell become spaces (a quote is one line); otherwise the cells are the
    file's own text, so a figure can be found again in the downloaded file by its row id.
    pyarrow's CSV writer renders the block (far faster than joining 30 columns cell by cell).
    """
    lines, has_cr = _rendered_lines(batch)
    if len(lines) != batch.num_rows + 1 or has_cr:
        # Rare: a cell holds a line break. Replace them, column by column, and render again.
        columns = [
            pc.replace_substring(pc.replace_substring(c, "\r\n", " "), "\n", " ")
            for c in batch.columns
        ]
        columns = [pc.replace_substring(c, "\r", " ") for c in columns]
        lines, _ = _rendered_lines(pa.RecordBatch.from_arrays(columns, names=batch.schema.names))
    return lines.slice(0, batch.num_rows).cast(pa.string())


def _rendered_lines(batch: pa.RecordBatch) -> tuple[pa.Array, bool]:
    """(the block written as CSV, split into lines; whether the text holds a CR anywhere)."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(batch, sink, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    data = sink.getvalue()
    has_cr = bool((np.frombuffer(data, dtype=np.uint8) == 13).any()) if data.size else False
    offsets = pa.py_buffer(np.array([0, data.size], dtype=np.int64))
    whole = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, data])
    return pc.split_pattern(whole, "\n").flatten(), has_cr
