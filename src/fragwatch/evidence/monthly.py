"""Events by country, month and kind: the monthly table of an event data set.

Incidents are counted once (rows sharing an ``incident_id``, including an imported event matched
to a report), in the month of their earliest date, with their highest fatality count; a
year-only date counts in January of that year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MONTHLY_COLUMNS = ["country", "month", "kind", "incidents", "fatalities"]


def monthly_events(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (country, month, kind): incidents and their fatalities."""
    if events.empty:
        return empty_table()
    incident, _ = pd.factorize(events["incident_id"].to_numpy(dtype=object))
    country, countries = pd.factorize(events["country"].to_numpy(dtype=object))
    kind, kinds = pd.factorize(events["kind"].to_numpy(dtype=object))
    return monthly_table(
        incident=incident,
        country=country,
        countries=np.asarray(countries, dtype=object),
        month=np.asarray(events["date_start"].values, dtype="datetime64[M]").view(np.int64),
        kind=kind,
        kinds=np.asarray(kinds, dtype=object),
        fatalities=events["fatalities"].to_numpy(dtype=float),
    )


def empty_table() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in MONTHLY_COLUMNS})


def monthly_table(
    *,
    incident: np.ndarray,
    country: np.ndarray,
    countries: np.ndarray,
    month: np.ndarray,
    kind: np.ndarray,
    kinds: np.ndarray,
    fatalities: np.ndarray,
) -> pd.DataFrame:
    """The table from integer codes: incident, country, kind (codes) and months since 1970."""
    if len(incident) == 0:
        return empty_table()
    deaths = np.nan_to_num(fatalities.astype(float), nan=0.0)
    # The earliest row of each incident gives its country, month and kind; deaths: the most.
    order = np.lexsort((month, incident))
    first = np.flatnonzero(np.r_[True, incident[order][1:] != incident[order][:-1]])
    rows = order[first]
    deaths = np.maximum.reduceat(deaths[order], first)
    months, country, kind = month[rows], country[rows].astype(np.int64), kind[rows]
    # One integer key per (country, month, kind), then counts and sums by key.
    low, span = months.min(), months.max() - months.min() + 1
    key = (country * span + (months - low)) * len(kinds) + kind
    keys, where, count = np.unique(key, return_inverse=True, return_counts=True)
    total = np.bincount(where.reshape(-1), weights=deaths, minlength=len(keys))
    kind_of, rest = keys % len(kinds), keys // len(kinds)
    month_of, country_of = rest % span + low, rest // span
    table = pd.DataFrame(
        {
            "country": countries[country_of],
            "month": month_of.astype("datetime64[M]").astype(str).astype(object),
            "kind": kinds[kind_of],
            "incidents": count.astype(np.int64),
            "fatalities": total.astype(np.int64),
        }
    )
    return table.sort_values(["country", "month", "kind"], ignore_index=True)[MONTHLY_COLUMNS]
