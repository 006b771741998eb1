"""The candidates file an analyst reviews, and the sources folder written beside it.

``candidates.csv`` holds one row per candidate, observations and events together, in the
evidence format's own column names plus ``record`` (observation or event) and ``start``/``end``
(the quote's character offsets in the extracted text). Beside it, ``candidates.sources/`` is an
evidence folder holding the reports' ``sources.csv`` and their extracted texts under ``texts/``:
the text the quotes are checked against when the candidates are added.

Review is editing the CSV: delete the rows that are wrong, correct the others (a period, a
bound, a quote shortened or lengthened to another exact span of the text).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from fragwatch.errors import EvidenceError, location
from fragwatch.evidence.extract.candidates import Candidate
from fragwatch.evidence.schema import EVENT_COLUMNS, OBSERVATION_COLUMNS, SOURCE_COLUMNS, TableRef

CANDIDATE_COLUMNS = [
    "record",
    "id",
    "country",
    "quantity",
    "period",
    "value",
    "low",
    "high",
    "unit",
    "kind",
    "date",
    "fatalities",
    "incident_id",
    "description",
    "source_id",
    "quote",
    "published",
    "note",
    "start",
    "end",
    "confidence",
]
RECORDS = ("observation", "event")
# Columns that only one kind of record may fill.
ONLY_OBSERVATION = ("quantity", "period", "value", "low", "high", "unit")
ONLY_EVENT = ("kind", "date", "fatalities", "incident_id", "description")
OPTIONAL = {"note", "start", "end", "incident_id", "description", "confidence"}


@dataclass(frozen=True)
class Source:
    """A report the candidates come from: its sources.csv row and its extracted text."""

    source_id: str
    title: str
    publisher: str
    published: date
    url: str
    kind: str
    text: str
    note: str = ""

    @property
    def file(self) -> str:
        return f"{self.source_id}.txt"


def sources_folder(candidates: Path) -> Path:
    """``candidates.csv`` -> ``candidates.sources/``."""
    return candidates.with_name(candidates.stem + ".sources")


def number(value: float | None) -> str:
    """A figure as the evidence files write it: no exponent, no trailing '.0'."""
    if value is None or value != value:
        return ""
    if float(value).is_integer() and abs(value) < 1e18:
        return str(int(value))
    return f"{value:.12g}"


def candidate_ids(rows: list[tuple[Candidate, str]]) -> list[str]:
    """Ids in the evidence base's style (country-what-when-source), unique within the batch."""
    seen: dict[str, int] = {}
    ids = []
    for c, source_id in rows:
        base = f"{c.country.lower()}-{c.what}-{c.when}-{source_id}"
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def candidate_records(rows: list[tuple[Candidate, Source]]) -> list[dict[str, str]]:
    ids = candidate_ids([(c, s.source_id) for c, s in rows])
    records = []
    for (c, source), cid in zip(rows, ids, strict=True):
        record = dict.fromkeys(CANDIDATE_COLUMNS, "")
        record.update(
            record=c.record,
            id=cid,
            country=c.country,
            source_id=source.source_id,
            quote=c.quote,
            published=source.published.isoformat(),
            note=c.note,
            start=str(c.start),
            end=str(c.end),
            confidence=f"{c.confidence:.2f}",
        )
        if c.record == "observation":
            record.update(
                quantity=c.what,
                period=c.when,
                value=number(c.value),
                low=number(c.low),
                high=number(c.high),
                unit=c.unit,
            )
        else:
            record.update(
                kind=c.what, date=c.when, fatalities=number(c.fatalities), description=c.description
            )
        records.append(record)
    return records


# A cell a spreadsheet would run as a formula ("=HYPERLINK(...)" quoted from a report), or one
# that already starts with the escape, is written behind an apostrophe, which spreadsheets show
# as text; reading it back drops exactly that apostrophe, so quotes stay verbatim. Plain numbers
# ("-65") are left as they are.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def formula_safe(cell: str) -> str:
    """The cell as written to a review CSV: never a live formula."""
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def unescaped(cell: str) -> str:
    """The original text of a cell ``formula_safe`` wrote."""
    return cell[1:] if cell.startswith("'") else cell


def _csv(rows: list[dict[str, str]], columns: list[str], *, safe: bool = False) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    if safe:
        rows = [{k: formula_safe(v) for k, v in row.items()} for row in rows]
    writer.writerows(rows)
    return buffer.getvalue()


def source_rows(sources: list[Source]) -> list[dict[str, str]]:
    rows = []
    for s in sources:
        row = dict.fromkeys(SOURCE_COLUMNS, "")
        row.update(
            source_id=s.source_id,
            title=s.title,
            publisher=s.publisher,
            published=s.published.isoformat(),
            published_note=s.note,
            url=s.url,
            kind=s.kind,
            file=s.file,
        )
        rows.append(row)
    return rows


def write_sources_folder(folder: Path, sources: list[Source]) -> None:
    """An evidence folder with ``sources.csv`` and ``texts/``: the texts exactly as extracted."""
    (folder / "texts").mkdir(parents=True)
    (folder / "sources.csv").write_text(_csv(source_rows(sources), SOURCE_COLUMNS), "utf-8")
    for s in sources:
        # Bytes, not text mode: the offsets count the text's own line ends.
        (folder / "texts" / s.file).write_bytes(s.text.encode("utf-8"))


def write_candidates(
    out: Path, rows: list[tuple[Candidate, Source]], sources: list[Source]
) -> None:
    """Write ``out`` and its sources folder whole, or neither (a temporary copy is renamed)."""
    if not out.parent.is_dir():
        raise EvidenceError(
            f"cannot write {out}: folder {out.parent} does not exist", where="--out"
        )
    folder = sources_folder(out)
    partial_csv = out.with_name(f".{out.name}.partial")
    partial_dir = folder.with_name(f".{folder.name}.partial")
    try:
        shutil.rmtree(partial_dir, ignore_errors=True)
        write_sources_folder(partial_dir, sources)
        partial_csv.write_text(_csv(candidate_records(rows), CANDIDATE_COLUMNS, safe=True), "utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        partial_dir.rename(folder)
        partial_csv.replace(out)
    except OSError as exc:
        shutil.rmtree(partial_dir, ignore_errors=True)
        partial_csv.unlink(missing_ok=True)
        raise EvidenceError(f"cannot write {out}: {exc.strerror or exc}", where="--out") from None


# -- reading a reviewed file back ------------------------------------------------------------


@dataclass(frozen=True)
class Reviewed:
    """The reviewed candidates as evidence tables, with the candidates file's line numbers."""

    observations: pd.DataFrame
    observations_ref: TableRef
    events: pd.DataFrame
    events_ref: TableRef
    # (line, source_id, quote, start, end) of each row that gives the quote's offsets.
    spans: tuple[tuple[int, str, str, int, int], ...] = ()


def read_reviewed(path: Path) -> Reviewed:
    from fragwatch.evidence.files import read_table

    table, ref = read_table(path)
    unknown = [c for c in table.columns if c not in CANDIDATE_COLUMNS]
    if unknown:
        raise EvidenceError(
            f"unknown column '{unknown[0]}'; expected columns: {', '.join(CANDIDATE_COLUMNS)}",
            where=location(ref.file, 1),
        )
    missing = [c for c in CANDIDATE_COLUMNS if c not in table.columns and c not in OPTIONAL]
    if missing:
        raise EvidenceError(f"missing column '{missing[0]}'", where=location(ref.file, 1))
    for column in CANDIDATE_COLUMNS:
        if column not in table.columns:
            table[column] = ""
    if table.empty:
        raise EvidenceError("no candidates left to add (every row was deleted?)", where=ref.file)
    table = table.apply(lambda col: col.str.strip().map(unescaped))
    lines = {"observation": [], "event": []}
    keep = {"observation": [], "event": []}
    spans: list[tuple[int, str, str, int, int]] = []
    for pos, row in enumerate(table.itertuples(index=False)):
        line = ref.line_of(pos)
        if row.record not in RECORDS:
            raise EvidenceError(
                f"'{row.record}' is not one of {', '.join(RECORDS)}",
                where=location(ref.file, line, "record"),
            )
        if row.record == "observation":
            other, kind = ONLY_EVENT, "events"
        else:
            other, kind = ONLY_OBSERVATION, "observations"
        for column in other:
            if getattr(row, column):
                raise EvidenceError(
                    f"'{getattr(row, column)}': this field is for {kind} only; leave it blank"
                    f" on an {row.record} row",
                    where=location(ref.file, line, column),
                )
        for column in ("start", "end"):
            if getattr(row, column) and not re.fullmatch(r"\d+", getattr(row, column)):
                raise EvidenceError(
                    f"'{getattr(row, column)}' is not a character offset",
                    where=location(ref.file, line, column),
                )
        lines[row.record].append(line)
        keep[row.record].append(pos)
        if row.start and row.end:
            spans.append((line, row.source_id, row.quote, int(row.start), int(row.end)))
    obs = table.iloc[keep["observation"]].rename(columns={"id": "obs_id"})
    events = table.iloc[keep["event"]].rename(columns={"id": "event_id"})
    return Reviewed(
        observations=obs[OBSERVATION_COLUMNS].reset_index(drop=True),
        observations_ref=TableRef(ref.file, tuple(lines["observation"])),
        events=events[EVENT_COLUMNS].reset_index(drop=True),
        events_ref=TableRef(ref.file, tuple(lines["event"])),
        spans=tuple(spans),
    )
