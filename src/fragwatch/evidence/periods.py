"""Parse period and date strings of evidence rows: 2015, 2015-H1, 2015-Q3, 2015-07, 2015-07-25."""

from __future__ import annotations

import pandas as pd

from fragwatch.textcols import as_text, stripped

# One pattern, five shapes; named groups say which shape matched.
PERIOD_PATTERN = (
    r"^(?P<year>\d{4})"
    r"(?:-H(?P<half>[12])|-Q(?P<quarter>[1-4])|-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?$"
)


def parse_periods(text: pd.Series) -> pd.DataFrame:
    """Return columns ``start`` and ``end`` (datetime64, day resolution) for each period string.

    Rows that do not parse, or name an impossible date, get NaT in both columns; callers turn
    that into a located error.
    """
    parts = stripped(text).str.extract(PERIOD_PATTERN)
    year = pd.to_numeric(parts["year"], errors="coerce")
    month = pd.to_numeric(parts["month"], errors="coerce")
    day = pd.to_numeric(parts["day"], errors="coerce")
    half = pd.to_numeric(parts["half"], errors="coerce")
    quarter = pd.to_numeric(parts["quarter"], errors="coerce")

    # First and last month of the period; a bare year spans January to December.
    first_month = month.fillna((half - 1) * 6 + 1).fillna((quarter - 1) * 3 + 1).fillna(1)
    last_month = month.fillna(half * 6).fillna(quarter * 3).fillna(12)

    start = pd.to_datetime(
        pd.DataFrame({"year": year, "month": first_month, "day": day.fillna(1)}),
        errors="coerce",
    )
    month_start = pd.to_datetime(
        pd.DataFrame({"year": year, "month": last_month, "day": 1}), errors="coerce"
    )
    end = (month_start + pd.offsets.MonthEnd(0)).where(day.isna(), start)
    # A day that does not exist in its month (2015-02-30) must not slide into March.
    bad_day = day.notna() & (start.isna() | (start.dt.day != day))
    start = start.mask(bad_day)
    end = end.mask(bad_day | start.isna())
    return pd.DataFrame({"start": start, "end": end}, index=text.index)


def parse_dates(text: pd.Series) -> pd.Series:
    """Parse strict ISO dates (YYYY-MM-DD); anything else becomes NaT."""
    shaped = as_text(text).str.fullmatch(r"\d{4}-\d{2}-\d{2}").astype(bool)
    parsed = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
    return parsed
