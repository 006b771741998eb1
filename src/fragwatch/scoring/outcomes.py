"""Country-year conflict outcomes from UCDP battle deaths, and the target of a forecast.

Definitions (docs/validation.md, "Outcomes", gives their sources):

- incidence in year t: at least ``CONFLICT`` (25) state-based battle deaths in t, the UCDP/PRIO
  threshold of an active armed conflict;
- onset in year t: incidence in t after ``CALM_YEARS`` (2) calm years (fewer than 25 deaths in
  each of t-1 and t-2);
- escalation in year t: deaths in t at least double those of t-1 and reach ``ESCALATION_FLOOR``
  (100), so that a rise from 3 to 7 deaths is not an escalation.

A forecast made at the end of year Y with a horizon of k years is scored against "an outcome in
Y+1 .. Y+k". For onset only the countries at risk count: those calm in Y and Y-1 (a country at
war cannot begin a war), as the Early Warning Project and PITF score onsets. Everything here is
a vectorised operation on a (country x year) table of deaths; NaN (the state did not exist, or
the year lies outside the table) makes the outcome unknown, never 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OUTCOMES = ("onset", "escalation", "incidence")
CONFLICT = 25.0
CALM_YEARS = 2
ESCALATION_FLOOR = 100.0


def _shift(table: pd.DataFrame, years: int) -> pd.DataFrame:
    """The value ``years`` earlier (positive) or later (negative), by calendar year."""
    full = table.reindex(columns=range(table.columns.min(), table.columns.max() + 1))
    return full.shift(years, axis=1).reindex(columns=table.columns)


def _known(mask: pd.DataFrame, *parts: pd.DataFrame) -> pd.DataFrame:
    """1.0/0.0 where every part is known, else NaN."""
    known = np.logical_and.reduce([p.notna().to_numpy() for p in parts])
    return pd.DataFrame(
        np.where(known, mask.to_numpy(dtype=float), np.nan), index=mask.index, columns=mask.columns
    )


def incidence(deaths: pd.DataFrame) -> pd.DataFrame:
    return _known(deaths >= CONFLICT, deaths)


def calm(deaths: pd.DataFrame) -> pd.DataFrame:
    """1.0 where year t and the CALM_YEARS - 1 years before it each had fewer than 25 deaths."""
    parts = [deaths, *[_shift(deaths, j) for j in range(1, CALM_YEARS)]]
    quiet = np.logical_and.reduce([(p < CONFLICT).to_numpy() for p in parts])
    return _known(pd.DataFrame(quiet, index=deaths.index, columns=deaths.columns), *parts)


def onset(deaths: pd.DataFrame) -> pd.DataFrame:
    before = calm(_shift(deaths, 1))
    now = incidence(deaths)
    return _known((now == 1) & (before == 1), now, before)


def escalation(deaths: pd.DataFrame) -> pd.DataFrame:
    last = _shift(deaths, 1)
    up = (deaths >= 2 * last) & (deaths >= ESCALATION_FLOOR)
    return _known(up, deaths, last)


EVENTS = {"onset": onset, "escalation": escalation, "incidence": incidence}


def at_risk(deaths: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """1.0 where a forecast made at the end of year t belongs to the outcome's sample."""
    if outcome == "onset":
        return calm(deaths)
    return _known(deaths.notna(), deaths)


def target(deaths: pd.DataFrame, outcome: str, horizon_years: int) -> pd.DataFrame:
    """For a forecast at the end of each year Y: 1.0 when the outcome happens in one of the
    years Y+1 .. Y+horizon, 0.0 when it does not, NaN when unknown (a year of the window is
    past the table, or the country is not at risk at Y)."""
    if outcome not in EVENTS:
        raise ValueError(f"unknown outcome '{outcome}'")
    events = EVENTS[outcome](deaths)
    ahead = [_shift(events, -j) for j in range(1, horizon_years + 1)]
    stacked = np.stack([a.to_numpy() for a in ahead])
    known = ~np.isnan(stacked).any(axis=0)
    hit = (np.nan_to_num(stacked, nan=0.0) > 0).any(axis=0)
    risk = at_risk(deaths, outcome).to_numpy()
    y = np.where(known & (risk == 1), hit.astype(float), np.nan)
    return pd.DataFrame(y, index=deaths.index, columns=deaths.columns)


def last_known_deaths(deaths: pd.DataFrame) -> pd.DataFrame:
    """The conflict-history baseline for a forecast at the end of year Y: battle deaths in Y-1,
    the latest year UCDP had published by then (a year's figures come out about six months
    after it ends)."""
    return _shift(deaths, 1)


def long_table(wide: pd.DataFrame, countries: list[str], years: list[int]) -> np.ndarray:
    """Values of a (country x year) table on the (country, year) grid, country-major."""
    grid = wide.reindex(index=countries, columns=years)
    return grid.to_numpy(dtype=float).ravel()
