"""Read an event ledger: the crises a backtest is scored against (one CSV row per event).

Columns: date (YYYY-MM or YYYY-MM-DD), kind, and optionally fatalities, country, description,
source_id and quote. A month-only date is read as the month's first day: the earliest the event
can have happened, so a warning is never credited with more lead time than it had.

A ledger is checked like evidence: read by the same CSV reader (so every message names the line
a row starts on, also after blank lines and multi-line cells), every column known, every cell
well-formed; and, given the evidence, every kind and country known, every source id defined and
every quote found verbatim in its source's text. A row given twice would count as two crises.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fragwatch.errors import EvidenceError, did_you_mean, location
from fragwatch.evidence.schema import not_a_number
from fragwatch.textcols import stripped

REQUIRED = ("date", "kind")
OPTIONAL = ("fatalities", "country", "description", "source_id", "quote")
_DATE = r"\d{4}-\d{2}(?:-\d{2})?"


def read_ledger(path: Path, evidence=None) -> pd.DataFrame:
    """The ledger as a table with a parsed ``date`` (Timestamp) and ``precision`` (month/day).

    With ``evidence`` (an ``Evidence``), kinds, countries, source ids and quotes are checked
    against it too. A ``line`` column keeps the line each row starts on.
    """
    from fragwatch.evidence.files import read_table

    name = str(path)
    table, ref = read_table(Path(path))
    header = list(table.columns)
    for column in REQUIRED:
        if column not in header:
            raise EvidenceError(
                f"missing column '{column}' (a ledger needs {', '.join(REQUIRED)})",
                where=f"{name}:1",
            )
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise EvidenceError(
            f"unknown column '{unknown[0]}'{did_you_mean(unknown[0], REQUIRED + OPTIONAL)};"
            f" expected columns: {', '.join(REQUIRED + OPTIONAL)}",
            where=f"{name}:1",
        )
    for column in OPTIONAL:
        if column not in table.columns:
            table[column] = ""
    table = table.apply(stripped)
    lines = np.asarray([ref.line_of(i) for i in range(len(table))], dtype=int)

    def fail(mask, field: str, message) -> None:
        hits = np.flatnonzero(np.asarray(mask, dtype=bool))
        if hits.size:
            pos = int(hits[0])
            text = message(table.iloc[pos]) if callable(message) else message
            raise EvidenceError(text, where=location(name, int(lines[pos]), field))

    if table.empty:
        raise EvidenceError("has a header but no events", where=f"{name}:1")
    text = table["date"]
    well_formed = text.str.fullmatch(_DATE).astype(bool)
    fail(~well_formed, "date", lambda r: f"'{r.date}' is not a date (YYYY-MM or YYYY-MM-DD)")
    day = text.str.len() == 10
    dates = pd.to_datetime(text.where(day, text + "-01"), format="%Y-%m-%d", errors="coerce")
    fail(dates.isna(), "date", lambda r: f"'{r.date}' is not a date (no such day)")
    fail(
        dates > pd.Timestamp.today().normalize() + pd.Timedelta(days=1),
        "date",
        lambda r: f"{r.date} is in the future: a ledger records events that happened",
    )
    fail(table["kind"] == "", "kind", "is empty")
    fail(
        ~table["kind"].str.fullmatch(r"[a-z][a-z0-9_]*").astype(bool),
        "kind",
        lambda r: f"'{r.kind}' is not an event kind (lower_case_with_underscores)",
    )
    raw = table["fatalities"]
    numbers = pd.to_numeric(raw.where(raw != ""), errors="coerce").astype(float)
    fail((raw != "") & ~np.isfinite(numbers), "fatalities", lambda r: not_a_number(r.fatalities))
    fail(
        numbers.notna() & ((numbers < 0) | (numbers % 1 != 0)),
        "fatalities",
        lambda r: f"{r.fatalities} is not a whole number of deaths >= 0",
    )
    fail(
        (table["country"] != "") & ~table["country"].str.fullmatch(r"[A-Z]{3}").astype(bool),
        "country",
        lambda r: f"'{r.country}' is not an ISO3 country code (three capital letters)",
    )
    fail(
        (table["quote"] != "") & (table["source_id"] == ""),
        "source_id",
        "is empty, but the row has a quote: name the source it is quoted from",
    )
    key = pd.DataFrame({"date": dates, "kind": table["kind"], "country": table["country"]})
    again = key.duplicated(keep="first").to_numpy()
    if again.any():
        pos = int(np.flatnonzero(again)[0])
        first = int(np.flatnonzero((key == key.iloc[pos]).all(axis=1).to_numpy())[0])
        raise EvidenceError(
            f"the same event (date {table['date'].iloc[pos]}, kind {table['kind'].iloc[pos]})"
            f" is already on line {lines[first]}: it would count twice",
            where=location(name, int(lines[pos]), "date"),
        )
    if evidence is not None:
        _check_against(table, evidence, fail)
    out = table.assign(
        precision=np.where(day, "day", "month"),
        date=pd.DatetimeIndex(dates),
        fatalities=numbers,
        line=lines,
    )
    return out.sort_values("date", kind="stable").reset_index(drop=True)


def _check_against(table: pd.DataFrame, evidence, fail) -> None:
    """Kinds, countries, source ids and quotes the evidence knows."""
    from fragwatch.evidence.names import known_event_kinds

    kinds = known_event_kinds() | set(evidence.events["kind"])
    fail(
        ~table["kind"].isin(kinds),
        "kind",
        lambda r: f"unknown event kind '{r.kind}'{did_you_mean(r.kind, kinds)}",
    )
    countries = evidence.countries
    fail(
        (table["country"] != "") & ~table["country"].isin(countries),
        "country",
        lambda r: f"no evidence for country '{r.country}'; known: {', '.join(countries)}",
    )
    sources = evidence.sources.index
    fail(
        (table["source_id"] != "") & ~table["source_id"].isin(sources),
        "source_id",
        lambda r: (
            f"unknown source '{r.source_id}'{did_you_mean(r.source_id, sources)}"
            " (not in the evidence loaded)"
        ),
    )
    texts = evidence.texts
    missing = [
        bool(q) and s in texts and q not in texts[s]
        for q, s in zip(table["quote"], table["source_id"], strict=True)
    ]
    fail(
        missing,
        "quote",
        lambda r: f"not found verbatim in the text of source '{r.source_id}'",
    )
