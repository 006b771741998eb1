"""Transforms from evidence to indicator values on a (country, as_of) grid, on DataFrames.

Each transform pairs every grid cell with the evidence rows of its country that were published
by the cell's as-of date (point-in-time) and reduces them per cell. These functions take and
return DataFrames; the work is done by the vectorised numpy kernels of
``fragwatch.indicators.kernels`` (which the indicator families call directly), so a transform
here gives exactly what the indicator families compute.

``grid`` has columns country and as_of, one row per cell. Every transform but
``latest_observation`` returns one row per grid cell, indexed by (country, as_of), with columns
value, low, high and evidence_ids (a tuple, empty when nothing is cited); cells with no reading
are NaN.
"""

from __future__ import annotations

import pandas as pd

from fragwatch.indicators.kernels.arrays import KEY, Cells, Rows, to_us
from fragwatch.indicators.kernels.events import decayed_events_cells, monitored_cells
from fragwatch.indicators.kernels.latest import (
    change_cells,
    latest_observation_cells,
    level_cells,
)
from fragwatch.indicators.kernels.window import window_max_cells

__all__ = [
    "KEY",
    "change",
    "decayed_events",
    "latest_observation",
    "level",
    "monitored",
    "window_max",
]


def latest_observation(grid: pd.DataFrame, obs: pd.DataFrame) -> pd.DataFrame:
    """Per cell, the known observation describing the latest period.

    Ties on the period go to the most recently published row: a revision supersedes what it
    revises. Rows tied on both are averaged (two sources reporting the same figure). Returns
    columns country, as_of, point, low, high, period_end, obs_ids, one row per cell with a
    known observation, sorted by country and as_of.
    """
    return latest_observation_cells(Cells.from_grid(grid), Rows.observations(obs))


def level(
    grid: pd.DataFrame,
    obs: pd.DataFrame,
    staleness_days: int,
    denominator: pd.DataFrame | None = None,
    scale: float = 1.0,
) -> pd.DataFrame:
    """The latest known value, NaN once older than ``staleness_days`` after its period ended.

    With ``denominator`` (e.g. population observations) the value is a ratio to the latest
    known denominator, times ``scale`` (e.g. 100 for percent, 1e6 for per million).
    """
    return level_cells(
        Cells.from_grid(grid),
        Rows.observations(obs),
        staleness_days,
        denominator=None if denominator is None else Rows.observations(denominator),
        scale=scale,
    )


def change(grid: pd.DataFrame, obs: pd.DataFrame, staleness_days: int) -> pd.DataFrame:
    """Percent change from the previous known period to the latest one.

    The pair is what a reader knew as of each date: the latest period and the one before it
    among observations published by then. NaN when only one period is known or the latest is
    stale. Low/high carry the range of the latest figure against the previous point.
    """
    return change_cells(Cells.from_grid(grid), Rows.observations(obs), staleness_days)


def window_max(grid: pd.DataFrame, obs: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """The largest estimate among known observations whose period ended within the window.

    Used where sources give estimates of different coverage for the same threat (e.g. militants
    near a border): the watch desk reads the worst credible estimate still current.
    """
    return window_max_cells(Cells.from_grid(grid), Rows.observations(obs), window_days)


def decayed_events(
    grid: pd.DataFrame,
    events: pd.DataFrame,
    severity: dict[str, float],
    half_life_days: float,
    fatality_factor: float,
    monitored: pd.Series,
    min_weight: float = 0.05,
) -> pd.DataFrame:
    """Sum over known incidents of severity x 0.5 ** (age / half-life).

    severity = kind weight x (1 + fatality_factor x ln(1 + fatalities)); an incident whose decay
    factor fell below ``min_weight`` no longer counts. Rows that describe the
    same incident (same incident_id) count once, with the highest fatalities any of them gives.
    Cells where the country is not monitored (no recent report-based evidence, see
    ``monitored``) are NaN.

    An event dated only by month or year happened by the end of that period, and by the time
    it was reported: the earlier of the two dates it. Among the known rows of one incident,
    the most precise (earliest such) date wins. An incident drops out once it weighs less
    than min_weight of a fresh one (after about 4.3 half-lives), so every point of the value
    is cited evidence.
    """
    cells = Cells.from_grid(grid)
    watched = monitored.reindex(cells.index).to_numpy(dtype=bool, na_value=False)
    return decayed_events_cells(
        cells,
        Rows.events(events),
        severity=severity,
        half_life_days=half_life_days,
        fatality_factor=fatality_factor,
        monitored=watched,
        min_weight=min_weight,
    )


def monitored(
    grid: pd.DataFrame, evidence_published: pd.DataFrame, staleness_days: int
) -> pd.Series:
    """True where the country has evidence published within ``staleness_days`` before as_of.

    Callers pass the publication dates that count as watching the country (for event counts:
    rows from reports, not from annual datasets).

    For event counts, zero means 'nothing reported', which is only news if somebody was
    reporting: a country with no recent evidence at all gets NaN, not a reassuring zero.
    """
    cells = Cells.from_grid(grid)
    watched = monitored_cells(
        cells,
        evidence_published["country"].to_numpy(),
        to_us(evidence_published["published"]),
        staleness_days,
    )
    return pd.Series(watched, index=cells.index)
