"""Read an event ledger: the crises a backtest is scored against (one CSV row per event).

Columns: date (YYYY-MM or YYYY-MM-DD), kind, and optionally fatalities, country, description,
source_id and quote. A month-only date is read as the month's first day: the earliest the event
can have happened, so a warning is never credited with more lead time than it had.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from fragwatch.errors import EvidenceError, location

REQUIRED = ("date", "kind")
OPTIONAL = ("fatalities", "country", "description", "source_id", "quote")
_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def read_ledger(path: Path) -> pd.DataFrame:
    """The ledger as a table with a parsed ``date`` (Timestamp) and ``precision`` (month/day)."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise EvidenceError("no such file", where=str(path)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"not a readable CSV ({exc})", where=str(path)) from None
    for column in REQUIRED:
        if column not in table.columns:
            raise EvidenceError(f"missing column '{column}'", where=str(path))
    unknown = [c for c in table.columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise EvidenceError(f"unknown column '{unknown[0]}'", where=str(path))
    for column in OPTIONAL:
        if column not in table.columns:
            table[column] = ""
    dates, fatalities = [], []
    for i, row in table.iterrows():
        line = int(i) + 2  # the header is line 1
        text = row["date"].strip()
        if not _DATE.match(text):
            raise EvidenceError(
                f"'{text}' is not a date (YYYY-MM or YYYY-MM-DD)",
                where=location(str(path), line, "date"),
            )
        try:
            dates.append(pd.Timestamp(text if len(text) == 10 else f"{text}-01"))
        except ValueError:
            raise EvidenceError(
                f"'{text}' is not a date", where=location(str(path), line, "date")
            ) from None
        if not row["kind"].strip():
            raise EvidenceError("empty kind", where=location(str(path), line, "kind"))
        raw = row["fatalities"].strip()
        try:
            fatalities.append(float(raw) if raw else float("nan"))
        except ValueError:
            raise EvidenceError(
                f"'{raw}' is not a number", where=location(str(path), line, "fatalities")
            ) from None
        if raw and fatalities[-1] < 0:
            raise EvidenceError("negative", where=location(str(path), line, "fatalities"))
    out = table.assign(
        precision=["day" if len(d.strip()) == 10 else "month" for d in table["date"]],
        date=pd.DatetimeIndex(dates) if dates else pd.DatetimeIndex([]),
        fatalities=fatalities,
    )
    return out.sort_values("date", kind="stable").reset_index(drop=True)
