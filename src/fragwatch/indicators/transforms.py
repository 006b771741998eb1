"""Vectorised transforms from evidence rows to indicator values on a (country, as_of) grid.

Each transform joins the grid with the relevant evidence rows of the same country, keeps the
rows published by each as-of date (point-in-time), and reduces them per grid cell with pandas
group operations: no Python loop over countries, dates or indicators.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["country", "as_of"]
DAY = pd.Timedelta(days=1)


def _known_pairs(grid: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Every (grid cell, evidence row) pair of the same country where the row was published."""
    pairs = grid.merge(rows, on="country", how="inner")
    return pairs[pairs["published"] <= pairs["as_of"]]


def _ids(pairs: pd.DataFrame, id_col: str) -> pd.Series:
    return pairs.groupby(KEY, sort=False)[id_col].agg(tuple)


def _result(frame: pd.DataFrame, ids: pd.Series | None = None) -> pd.DataFrame:
    out = frame.set_index(KEY)[["value", "low", "high"]]
    out["evidence_ids"] = ids.reindex(out.index) if ids is not None else None
    return out


def latest_observation(grid: pd.DataFrame, obs: pd.DataFrame) -> pd.DataFrame:
    """Per cell, the known observation describing the latest period."""
    return _reduce_latest(_known_pairs(grid, obs))


def _reduce_latest(pairs: pd.DataFrame) -> pd.DataFrame:
    """Reduce joined (cell, observation) pairs to the latest period per cell.

    Ties on the period go to the most recently published row: a revision supersedes what it
    revises. Rows tied on both are averaged (two sources reporting the same figure).
    """
    columns = [*KEY, "point", "low", "high", "period_end", "obs_ids"]
    if pairs.empty:  # keep the column dtypes so later merges on as_of still line up
        return pairs.assign(obs_ids=pd.Series(dtype=object))[columns]
    latest = pairs.groupby(KEY)["period_end"].transform("max")
    pairs = pairs[pairs["period_end"] == latest]
    newest = pairs.groupby(KEY)["published"].transform("max")
    pairs = pairs[pairs["published"] == newest]
    pairs = pairs.assign(
        low=pairs["low"].fillna(pairs["point"]), high=pairs["high"].fillna(pairs["point"])
    )
    return pairs.groupby(KEY, as_index=False).agg(
        point=("point", "mean"),
        low=("low", "mean"),
        high=("high", "mean"),
        period_end=("period_end", "first"),
        obs_ids=("obs_id", tuple),
    )[columns]


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
    found = latest_observation(grid, obs)
    fresh = found["as_of"] - found["period_end"] <= staleness_days * DAY
    found = found[fresh].rename(columns={"point": "value"})
    if denominator is not None:
        base = latest_observation(grid, denominator)
        found = found.merge(
            base[[*KEY, "point", "obs_ids"]].rename(columns={"obs_ids": "base_ids"}),
            on=KEY,
            how="inner",
        )
        for col in ("value", "low", "high"):
            found[col] = found[col] / found["point"] * scale
        found["obs_ids"] = found["obs_ids"] + found["base_ids"]
    return _result(found, found.set_index(KEY)["obs_ids"])


def change(grid: pd.DataFrame, obs: pd.DataFrame, staleness_days: int) -> pd.DataFrame:
    """Percent change from the previous known period to the latest one.

    The pair is what a reader knew as of each date: the latest period and the one before it
    among observations published by then. NaN when only one period is known or the latest is
    stale. Low/high carry the range of the latest figure against the previous point.
    """
    latest = latest_observation(grid, obs)
    fresh = latest["as_of"] - latest["period_end"] <= staleness_days * DAY
    latest = latest[fresh]
    pairs = _known_pairs(grid, obs).merge(
        latest[[*KEY, "period_end"]].rename(columns={"period_end": "latest_end"}), on=KEY
    )
    previous = _reduce_latest(pairs[pairs["period_end"] < pairs["latest_end"]])
    both = latest.merge(previous, on=KEY, suffixes=("", "_prev"))
    base = both["point_prev"]
    both["value"] = (both["point"] - base) / base * 100.0
    both["low"] = (both["low"] - base) / base * 100.0
    both["high"] = (both["high"] - base) / base * 100.0
    both["obs_ids"] = both["obs_ids_prev"] + both["obs_ids"]
    return _result(both, both.set_index(KEY)["obs_ids"])


def window_max(grid: pd.DataFrame, obs: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """The largest estimate among known observations whose period ended within the window.

    Used where sources give estimates of different coverage for the same threat (e.g. militants
    near a border): the watch desk reads the worst credible estimate still current.
    """
    pairs = _known_pairs(grid, obs)
    pairs = pairs[(pairs["as_of"] - pairs["period_end"] <= window_days * DAY)]
    pairs = pairs[pairs["period_end"] - window_days * DAY <= pairs["as_of"]]
    if pairs.empty:
        return _result(pd.DataFrame(columns=[*KEY, "value", "low", "high"]))
    best = pairs.loc[pairs.groupby(KEY)["point"].idxmax()]
    best = best.assign(
        value=best["point"],
        low=best["low"].fillna(best["point"]),
        high=best["high"].fillna(best["point"]),
    )
    return _result(best, _ids(pairs, "obs_id"))


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
    """
    rows = events[events["kind"].isin(list(severity))]
    pairs = _known_pairs(grid, rows)
    # An event dated only by month or year happened by the end of that period, and by the
    # time it was reported: the earlier of the two dates it. Among the known rows of one
    # incident, the most precise (earliest such) date wins.
    pairs = pairs.assign(
        kind_weight=pairs["kind"].map(severity).astype(float),
        deaths=pairs["fatalities"].fillna(0.0),
        happened=pairs[["date_end", "published"]].min(axis=1),
    )
    incident = pairs.groupby([*KEY, "incident_id"], as_index=False).agg(
        kind_weight=("kind_weight", "max"), deaths=("deaths", "max"), date_end=("happened", "min")
    )
    age_days = (incident["as_of"] - incident["date_end"]) / DAY
    decay = np.power(0.5, age_days / half_life_days)
    # An incident drops out once it weighs less than min_weight of a fresh one (after about
    # 4.3 half-lives), so every point of the value is cited evidence.
    counted = decay >= min_weight
    incident["weight"] = np.where(
        counted,
        incident["kind_weight"] * (1.0 + fatality_factor * np.log1p(incident["deaths"])) * decay,
        0.0,
    )
    totals = incident.groupby(KEY)["weight"].sum()
    cited = pairs.merge(incident.loc[counted, [*KEY, "incident_id"]], on=[*KEY, "incident_id"])
    base = grid.set_index(KEY)
    value = totals.reindex(base.index).fillna(0.0).where(monitored.reindex(base.index))
    out = pd.DataFrame({"value": value, "low": value, "high": value})
    out["evidence_ids"] = _ids(cited, "event_id").reindex(out.index)
    return out


def monitored(
    grid: pd.DataFrame, evidence_published: pd.DataFrame, staleness_days: int
) -> pd.Series:
    """True where the country has evidence published within ``staleness_days`` before as_of.

    Callers pass the publication dates that count as watching the country (for event counts:
    rows from reports, not from annual datasets).

    For event counts, zero means 'nothing reported', which is only news if somebody was
    reporting: a country with no recent evidence at all gets NaN, not a reassuring zero.
    """
    pairs = _known_pairs(grid, evidence_published)
    last = pairs.groupby(KEY)["published"].max()
    index = grid.set_index(KEY).index
    as_of = pd.Series(index.get_level_values("as_of"), index=index)
    age = as_of - last.reindex(index)
    return age <= pd.Timedelta(days=staleness_days)
