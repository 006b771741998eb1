"""Column layout and validation of the three evidence tables.

Validation is vectorised: each rule is a boolean mask over the whole table, and the first row
that breaks any rule is reported as ``file:line: field 'x': message``. Nothing is returned
until every rule has passed, so a bad file is never half-loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from fragwatch.errors import EvidenceError, did_you_mean, location
from fragwatch.evidence.names import (
    DERIVED_PREFIXES,
    known,
    known_event_kinds,
    known_quantities,
    quantity_ranges,
)
from fragwatch.evidence.periods import parse_dates, parse_periods
from fragwatch.evidence.units import UNITS
from fragwatch.textcols import as_text, stripped

SOURCE_COLUMNS = [
    "source_id",
    "title",
    "publisher",
    "published",
    "published_note",
    "url",
    "kind",
    "file",
    "text_from",
    "text_to",
]
OBSERVATION_COLUMNS = [
    "obs_id",
    "country",
    "quantity",
    "period",
    "value",
    "low",
    "high",
    "unit",
    "source_id",
    "quote",
    "published",
    "note",
]
EVENT_COLUMNS = [
    "event_id",
    "country",
    "date",
    "kind",
    "fatalities",
    "incident_id",
    "description",
    "source_id",
    "quote",
    "published",
    "note",
]
# Columns a file may leave out entirely (they are then blank for every row).
OPTIONAL_COLUMNS = {"published_note", "url", "file", "text_from", "text_to", "note", "incident_id"}

SOURCE_KINDS = ("report", "dataset", "news")
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:-]*"
CODE_PATTERN = r"[a-z][a-z0-9_]*"
COUNTRY_PATTERN = r"[A-Z]{3}"


@dataclass(frozen=True)
class TableRef:
    """Where a table came from, so errors can name the file and line."""

    file: str
    # The line each row starts on (blank lines and multi-line cells make this differ from
    # position + 2); without it, rows are taken to follow the header one per line.
    lines: tuple[int, ...] = ()

    def line_of(self, position: int) -> int:
        return self.lines[position] if position < len(self.lines) else position + 2


def _blank(col: pd.Series) -> pd.Series:
    return stripped(col) == ""


def _raise_first(table: pd.DataFrame, ref: TableRef, checks: list[tuple]) -> None:
    """Raise for the earliest row failing any (mask, field, message) check."""
    first: tuple[int, str, str] | None = None
    for mask, field, message in checks:
        hits = np.flatnonzero(np.asarray(mask, dtype=bool))
        if hits.size and (first is None or hits[0] < first[0]):
            pos = int(hits[0])
            text = message(table.iloc[pos]) if callable(message) else message
            first = (pos, field, text)
    if first is not None:
        pos, field, text = first
        total = sum(int(np.asarray(m, dtype=bool).sum()) for m, _, _ in checks)
        more = f" (and {total - 1} more problem(s) in this file)" if total > 1 else ""
        raise EvidenceError(text + more, where=location(ref.file, ref.line_of(pos), field))


def check_columns(table: pd.DataFrame, expected: list[str], ref: TableRef) -> pd.DataFrame:
    """Require the expected header: missing or unknown columns are errors, not guesses."""
    present = list(table.columns)
    unknown = [c for c in present if c not in expected]
    if unknown:
        raise EvidenceError(
            f"unknown column '{unknown[0]}'; expected columns: {', '.join(expected)}",
            where=location(ref.file, 1),
        )
    missing = [c for c in expected if c not in present and c not in OPTIONAL_COLUMNS]
    if missing:
        raise EvidenceError(f"missing column '{missing[0]}'", where=location(ref.file, 1))
    for col in expected:
        if col not in table.columns:
            table[col] = ""
    return table[expected]


def _not_matching(col: pd.Series, pattern: str) -> pd.Series:
    return ~as_text(col).str.fullmatch(pattern).astype(bool)


def _duplicated(col: pd.Series) -> pd.Series:
    return col.duplicated(keep="first") & ~_blank(col)


def _numbers(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a numeric column; return (values, mask of non-blank cells that are not numbers).

    ``inf``, ``nan`` and overflowing figures such as ``1e400`` are not numbers here: one of them
    would make every later score, interval and JSON record non-finite.
    """
    text = stripped(col)
    values = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    bad = (text != "") & ~np.isfinite(values)
    return values.where(~bad), bad


def _future(published: pd.Series, table: pd.DataFrame) -> tuple:
    """A publication date after tomorrow (a day's slack for time zones) is a typo."""
    tomorrow = pd.Timestamp(date.today()) + pd.Timedelta(days=1)
    return (
        published > tomorrow,
        "published",
        lambda r: f"{str(r.published).strip()} is in the future (today is {date.today()})",
    )


def _outside_range(quantity: pd.Series, unit_key: pd.Series, *numbers: pd.Series) -> pd.Series:
    """Rows whose figure (in the canonical unit) is outside its quantity's possible range."""
    ranges = quantity_ranges()
    canonical = unit_key.map(lambda u: UNITS[u][0] if u in UNITS else "")
    factor = unit_key.map(lambda u: UNITS[u][1] if u in UNITS else np.nan).astype("float64")
    lo = quantity.map(lambda q: ranges[q].low if q in ranges else -np.inf).astype("float64")
    hi = quantity.map(lambda q: ranges[q].high if q in ranges else np.inf).astype("float64")
    same_unit = canonical == quantity.map(lambda q: ranges[q].unit if q in ranges else "")
    bad = pd.Series(False, index=quantity.index)
    for number in numbers:
        scaled = number * factor
        bad |= same_unit & scaled.notna() & ((scaled < lo) | (scaled > hi))
    return bad


def _range_message(row: pd.Series) -> str:
    q = str(row.quantity).strip()
    r = quantity_ranges()[q]
    cells = (str(row[c]).strip() for c in ("value", "low", "high"))
    figure = " / ".join(c for c in cells if c)
    low = "" if math.isinf(r.low) else f"{r.low:g}"
    high = "" if math.isinf(r.high) else f"{r.high:g}"
    return (
        f"{figure} {row.unit} is outside the possible range of {q} ({low}..{high} {r.unit};"
        " see evidence/quantities.csv)"
    )


def not_a_number(cell: object) -> str:
    """Why a cell is refused as a number: not one at all, or one that is not finite."""
    text = str(cell).strip()
    parsed = pd.to_numeric(pd.Series([text]), errors="coerce").iloc[0]
    if np.isnan(parsed) and text.lower().lstrip("+-") != "nan":
        return f"'{text}' is not a number"
    return f"'{text}' is not a finite number (infinite, not-a-number or beyond 1e308)"


def validate_sources(table: pd.DataFrame, ref: TableRef) -> pd.DataFrame:
    table = check_columns(table, SOURCE_COLUMNS, ref)
    published = parse_dates(table["published"])
    url = as_text(table["url"])
    _raise_first(
        table,
        ref,
        [
            (_blank(table["source_id"]), "source_id", "is empty"),
            (
                _not_matching(table["source_id"], ID_PATTERN) & ~_blank(table["source_id"]),
                "source_id",
                lambda r: f"'{r.source_id}' is not a valid id (letters, digits, . _ : -)",
            ),
            (
                _duplicated(table["source_id"]),
                "source_id",
                lambda r: f"duplicate source id '{r.source_id}'",
            ),
            (_blank(table["title"]), "title", "is empty"),
            (_blank(table["publisher"]), "publisher", "is empty"),
            (
                published.isna(),
                "published",
                lambda r: f"'{r.published}' is not a date (YYYY-MM-DD)",
            ),
            _future(published, table),
            (
                ~table["kind"].isin(SOURCE_KINDS),
                "kind",
                lambda r: f"'{r.kind}' is not one of {', '.join(SOURCE_KINDS)}",
            ),
            (
                (url != "") & ~url.str.match(r"https?://").astype(bool),
                "url",
                lambda r: f"'{r.url}' is not an http(s) URL",
            ),
        ],
    )
    out = table.copy()
    out["published"] = published
    out["origin"] = _origins(ref, len(out))
    return _indexed_by(out, "source_id")


def _check_refs(
    table: pd.DataFrame, sources: pd.DataFrame, ref: TableRef, id_col: str
) -> list[tuple]:
    known = table["source_id"].isin(sources.index)
    return [
        (_blank(table[id_col]), id_col, "is empty"),
        (
            _not_matching(table[id_col], ID_PATTERN) & ~_blank(table[id_col]),
            id_col,
            lambda r: f"'{r[id_col]}' is not a valid id (letters, digits, . _ : -)",
        ),
        (_duplicated(table[id_col]), id_col, lambda r: f"duplicate id '{r[id_col]}'"),
        (
            _not_matching(table["country"], COUNTRY_PATTERN),
            "country",
            lambda r: f"'{r.country}' is not an ISO3 country code (three capital letters)",
        ),
        (
            ~known,
            "source_id",
            lambda r: f"unknown source '{r.source_id}' (not in any sources.csv loaded)",
        ),
        (_blank(table["quote"]), "quote", "is empty: every figure must cite its sentence"),
        (
            as_text(table["quote"]).str.contains(r"[\r\n]").astype(bool),
            "quote",
            "contains a line break; a quote is one verbatim span on one line",
        ),
    ]


def validate_observations(
    table: pd.DataFrame, sources: pd.DataFrame, ref: TableRef
) -> pd.DataFrame:
    table = check_columns(table, OBSERVATION_COLUMNS, ref)
    periods = parse_periods(table["period"])
    published = parse_dates(table["published"])
    value, bad_value = _numbers(table["value"])
    low, bad_low = _numbers(table["low"])
    high, bad_high = _numbers(table["high"])
    unit_key = stripped(table["unit"]).str.lower()
    unit_known = unit_key.isin(list(UNITS))
    no_number = value.isna() & low.isna() & high.isna()
    quantity = stripped(table["quantity"])
    is_code = ~_not_matching(table["quantity"], CODE_PATTERN)
    outside = _outside_range(quantity, unit_key, value, low, high)
    checks: list[tuple] = _check_refs(table, sources, ref, "obs_id")
    checks += [
        (
            ~is_code,
            "quantity",
            lambda r: f"'{r.quantity}' is not a quantity code (lower_case_with_underscores)",
        ),
        (
            is_code
            & ~known(quantity, known_quantities)
            & ~quantity.str.startswith(DERIVED_PREFIXES).astype(bool),
            "quantity",
            lambda r: (
                f"unknown quantity '{r.quantity.strip()}'"
                + (
                    did_you_mean(r.quantity.strip(), known_quantities())
                    or " (no indicator or data set reads it; see evidence/quantities.csv)"
                )
            ),
        ),
        (outside, "value", lambda r: _range_message(r)),
        (
            periods["start"].isna(),
            "period",
            lambda r: f"'{r.period}' is not a period (YYYY, YYYY-H1, YYYY-Q3, YYYY-MM, YYYY-MM-DD)",
        ),
        (bad_value, "value", lambda r: not_a_number(r.value)),
        (bad_low, "low", lambda r: not_a_number(r.low)),
        (bad_high, "high", lambda r: not_a_number(r.high)),
        (no_number & ~(bad_value | bad_low | bad_high), "value", "no value, low or high given"),
        (low > high, "low", lambda r: f"low {r.low} is above high {r.high}"),
        (value < low, "value", lambda r: f"value {r.value} is below low {r.low}"),
        (value > high, "value", lambda r: f"value {r.value} is above high {r.high}"),
        (
            ~unit_known,
            "unit",
            lambda r: f"unknown unit '{r.unit}'; known units: {', '.join(sorted(UNITS))}",
        ),
        (
            published.isna(),
            "published",
            lambda r: f"'{r.published}' is not a date (YYYY-MM-DD)",
        ),
        (
            published < periods["start"],
            "published",
            lambda r: f"{r.published} is before the period {r.period} it describes begins",
        ),
        _future(published, table),
    ]
    _raise_first(table, ref, checks)

    factor = unit_key.map(lambda u: UNITS[u][1]).astype("float64")
    out = table.copy()
    out["unit"] = unit_key.map(lambda u: UNITS[u][0])
    out["value"], out["low"], out["high"] = value * factor, low * factor, high * factor
    # The point estimate: the figure itself, else the middle of a range, else the one bound.
    out["point"] = out["value"].fillna((out["low"] + out["high"]) / 2)
    out["point"] = out["point"].fillna(out["low"]).fillna(out["high"])
    out["period_start"], out["period_end"] = periods["start"], periods["end"]
    out["published"] = published
    out["origin"] = _origins(ref, len(out))
    return _indexed_by(out, "obs_id")


def validate_events(table: pd.DataFrame, sources: pd.DataFrame, ref: TableRef) -> pd.DataFrame:
    table = check_columns(table, EVENT_COLUMNS, ref)
    dates = parse_periods(table["date"])
    published = parse_dates(table["published"])
    fatalities, bad_fatalities = _numbers(table["fatalities"])
    checks: list[tuple] = _check_refs(table, sources, ref, "event_id")
    checks += [
        (
            dates["start"].isna(),
            "date",
            lambda r: f"'{r.date}' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)",
        ),
        (
            _not_matching(table["kind"], CODE_PATTERN),
            "kind",
            lambda r: f"'{r.kind}' is not an event kind (lower_case_with_underscores)",
        ),
        (
            ~_not_matching(table["kind"], CODE_PATTERN)
            & ~known(stripped(table["kind"]), known_event_kinds),
            "kind",
            lambda r: (
                f"unknown event kind '{r.kind.strip()}'"
                + (
                    did_you_mean(r.kind.strip(), known_event_kinds())
                    or " (no indicator reads it; see evidence/extract/vocabulary/events)"
                )
            ),
        ),
        (bad_fatalities, "fatalities", lambda r: not_a_number(r.fatalities)),
        (
            fatalities.notna() & ((fatalities < 0) | (fatalities % 1 != 0)),
            "fatalities",
            lambda r: f"{r.fatalities} is not a whole number of deaths >= 0",
        ),
        (
            published.isna(),
            "published",
            lambda r: f"'{r.published}' is not a date (YYYY-MM-DD)",
        ),
        (
            published < dates["start"],
            "published",
            lambda r: f"{r.published} is before the event date {r.date}",
        ),
        _future(published, table),
    ]
    _raise_first(table, ref, checks)
    out = table.copy()
    out["fatalities"] = fatalities
    out["date_start"], out["date_end"] = dates["start"], dates["end"]
    out["published"] = published
    # An event no other row corroborates is its own incident.
    incident = stripped(out["incident_id"])
    out["incident_id"] = incident.where(incident != "", out["event_id"])
    out["origin"] = _origins(ref, len(out))
    return _indexed_by(out, "event_id")


def _origins(ref: TableRef, n: int) -> list[str]:
    """'file:line' of each row, kept so later checks (quotes) can still name the row."""
    return [f"{ref.file}:{ref.line_of(pos)}" for pos in range(n)]


def _indexed_by(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Index a table by its id column, keeping the column (object dtype: see textcols)."""
    table.index = pd.Index(table[column].to_numpy(dtype=object), dtype=object, name=column)
    return table
