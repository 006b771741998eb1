"""What an event import holds: countries, dates, report matches and the monthly table.

Worked out from the batch's events.parquet with Arrow and numpy, reading only the columns it
needs and making Python objects only for the few imported events that could match a report:
on a million events this takes about a second and little memory, where a full load of the
batch as a DataFrame would take several seconds and a gigabyte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fragwatch.evidence.base import Evidence
from fragwatch.evidence.files import read_table
from fragwatch.evidence.library import EVENTS_PARQUET
from fragwatch.evidence.matching import (
    compatible_kinds,
    day_numbers,
    find_matches,
    within_reach,
)
from fragwatch.evidence.monthly import empty_table, monthly_table
from fragwatch.evidence.periods import parse_periods
from fragwatch.evidence.schema import validate_sources

COLUMNS = ["event_id", "country", "date", "kind", "fatalities", "incident_id", "source_id"]
MATCHED_COLUMNS = ["event_id", "incident_id"]


@dataclass
class EventSummary:
    countries: list[str] = field(default_factory=list)
    first: str = ""
    last: str = ""
    matched: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MATCHED_COLUMNS))
    monthly: pd.DataFrame | None = None
    # The full matches and the report rows they were found against (recorded with the batch).
    matches: pd.DataFrame | None = None
    reports: pd.DataFrame | None = None


def _codes(values: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    encoded = pc.dictionary_encode(values.combine_chunks())
    return (
        np.asarray(encoded.indices, dtype=np.int64),
        np.asarray(encoded.dictionary.to_pylist(), dtype=object),
    )


def summarise_events(batch: Path, reports: Evidence, *, monthly: bool) -> EventSummary:
    """``reports``: the report evidence (sources, events) the batch's events may match."""
    table = pq.read_table(batch / EVENTS_PARQUET, columns=COLUMNS)
    if table.num_rows == 0:
        return EventSummary(monthly=empty_table() if monthly else None)
    date_code, dates = _codes(table.column("date"))
    periods = parse_periods(pd.Series(dates, dtype=object))
    start = periods["start"].to_numpy()[date_code]
    end = periods["end"].to_numpy()[date_code]
    country_code, countries = _codes(table.column("country"))
    summary = EventSummary(
        countries=sorted(countries[np.unique(country_code)].tolist()),
        first=str(dates[date_code[np.argmin(start)]]),
        last=str(dates[date_code[np.argmax(end)]]),
    )

    # Only imported events of a country and a kind some report event may describe can match.
    rep = reports.events[reports.events["source_id"].map(reports.sources["kind"]) != "dataset"]
    kinds = compatible_kinds()
    wanted = kinds[kinds["report_kind"].isin(set(rep["kind"]))]["imported_kind"].unique()
    maybe = pc.and_(
        pc.is_in(table.column("country"), pa.array(rep["country"].unique().tolist(), pa.string())),
        pc.is_in(table.column("kind"), pa.array(list(wanted), pa.string())),
    )
    maybe = np.asarray(pc.fill_null(maybe, False), dtype=bool)
    # And of a date some report event's matching window reaches (most of a big file is not).
    maybe[maybe] = within_reach(
        country=countries[country_code[maybe]],
        start=day_numbers(start[maybe]),
        end=day_numbers(end[maybe]),
        report_country=rep["country"].to_numpy(dtype=object),
        report_start=day_numbers(rep["date_start"].to_numpy()),
        report_end=day_numbers(rep["date_end"].to_numpy()),
    )
    rows = np.flatnonzero(maybe)
    candidates = table.take(pa.array(rows)).to_pandas()
    candidates["fatalities"] = candidates["fatalities"].astype(float)
    candidates["date_start"], candidates["date_end"] = start[rows], end[rows]
    sources = reports.sources
    if table.column("source_id")[0].as_py() not in sources.index:
        sources = pd.concat([sources, validate_sources(*read_table(batch / "sources.csv"))])
    columns = [*COLUMNS, "date_start", "date_end"]
    matches = find_matches(pd.concat([rep[columns], candidates[columns]]), sources)
    matches = matches[matches["imported_event"].isin(candidates["event_id"])]
    summary.matches, summary.reports = matches, rep
    summary.matched = pd.DataFrame(
        {
            "event_id": matches["imported_event"].to_numpy(dtype=object),
            "incident_id": matches["report_incident"].to_numpy(dtype=object),
        }
    )
    if monthly:
        kind_of = dict(zip(matches["imported_incident"], matches["report_kind"], strict=True))
        summary.monthly = monthly_table_of(table, start, kind_of)
    return summary


def monthly_table_of(table: pa.Table, start: np.ndarray, kind_of: dict[str, str]) -> pd.DataFrame:
    """The batch's monthly table; a matched incident counts under its report's kind."""
    incident_code, incidents = _indices(table.column("incident_id"))
    country_code, countries = _codes(table.column("country"))
    kind_code, kinds = _codes(table.column("kind"))
    if kind_of:
        # Only the few matched incidents change kind; their names are looked up, no others.
        names = list(kind_of)
        where = np.asarray(pc.index_in(pa.array(names, pa.string()), incidents), dtype=np.int64)
        known = list(kinds)
        known += [k for k in dict.fromkeys(kind_of.values()) if k not in known]
        kinds = np.asarray(known, dtype=object)
        target = np.array([known.index(kind_of[n]) for n in names], dtype=np.int64)
        changed = np.flatnonzero(np.isin(incident_code, where))
        lookup = dict(zip(where.tolist(), target.tolist(), strict=True))
        kind_code = kind_code.copy()
        kind_code[changed] = [lookup[c] for c in incident_code[changed]]
    return monthly_table(
        incident=incident_code,
        country=country_code,
        countries=countries,
        month=np.asarray(start, dtype="datetime64[M]").view(np.int64),
        kind=kind_code,
        kinds=kinds,
        fatalities=np.asarray(table.column("fatalities").to_numpy(), dtype=float),
    )


def _indices(values: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Codes of each row's value and the distinct values, kept in Arrow (they may be many)."""
    encoded = pc.dictionary_encode(values.combine_chunks())
    return np.asarray(encoded.indices, dtype=np.int64), encoded.dictionary
