"""How sure an assessment is: Monte Carlo over evidence ranges and weight noise, vectorised.

Each draw reads every indicator at a value drawn between its evidence range (low..high,
triangular around the point value; a point stays a point) and scales each indicator weight by
(1 + weight_noise * z), z standard normal, clipped at zero. As in the scenario Monte Carlo
(``scenarios.montecarlo``), which indicators are known, and so the coverage and whether the score
is withheld, does not depend on a draw: the central ``aggregate`` fixes them and every draw only
renormalises weights over the known indicators. All draws of a cell are one (draws, k) array.
Quantiles are read as ``scenarios.montecarlo.Simulation.quantiles`` reads them; that module is
not imported here because `assess` start-up is benchmarked and it pulls in the scenario engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fragwatch.scoring.aggregate import normalise
from fragwatch.scoring.model import FragilityModel

QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class Interval:
    median: float
    low: float  # 5th percentile
    high: float  # 95th percentile
    draws: int

    def to_dict(self) -> dict:
        def r(x: float) -> float | None:
            return None if np.isnan(x) else round(float(x), 4)

        return {"median": r(self.median), "low": r(self.low), "high": r(self.high),
                "level": 0.9, "draws": self.draws}  # fmt: skip


def draw_between(value: np.ndarray, low: np.ndarray, high: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Triangular(low, mode=value, high) by inverse CDF of uniforms ``u`` (draws, k).

    A missing bound is the value itself; a range without a value has its midpoint as mode.
    """
    lo = np.where(np.isnan(low), value, low)
    hi = np.where(np.isnan(high), value, high)
    mode = np.clip(np.where(np.isnan(value), (lo + hi) / 2, value), lo, hi)
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        cut = np.where(span > 0, (mode - lo) / span, 0.5)
        left = lo + np.sqrt(u * span * (mode - lo))
        right = hi - np.sqrt((1 - u) * span * (hi - mode))
    return np.where(u < cut, left, right)


def simulate(
    model: FragilityModel,
    value: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    draws: int,
    weight_noise: float,
    seed: int,
) -> np.ndarray:
    """Scores (draws, cells) for indicator arrays (cells, k) in framework order."""
    central = model.score(_frame(model, value))
    withheld = central.score.isna().to_numpy()
    weight = model.framework_.indicators["weight"].to_numpy(float)
    cells, k = value.shape
    out = np.full((draws, cells), np.nan)
    scored = np.flatnonzero(~withheld)
    if not len(scored):
        return out
    # Every cell draws from its own stream of the seed, which is the same stream for every
    # cell: a country's interval is the same whether it is assessed alone or ranked among 200,
    # and the draws are made once and shared by all cells.
    rng = np.random.default_rng(seed)
    u = rng.random((draws, k))
    w = weight * np.clip(1.0 + weight_noise * rng.standard_normal((draws, k)), 0.0, None)
    for chunk in np.array_split(scored, max(1, len(scored) // CELLS_PER_BATCH)):
        x = draw_between(value[chunk, None, :], low[chunk, None, :], high[chunk, None, :], u)
        known = ~np.isnan(value[chunk])
        out[:, chunk] = score_draws_cells(model, x, w, known).T
    return out


CELLS_PER_BATCH = 64  # cells scored together: (64, draws, k) arrays stay a few MB


def score_draws_cells(
    model: FragilityModel, x: np.ndarray, w: np.ndarray, known: np.ndarray
) -> np.ndarray:
    """``score_draws`` for many cells at once: ``x`` (cells, draws, k), shared weights ``w``
    (draws, k), ``known`` (cells, k); scores (cells, draws), each cell's as ``score_draws``
    computes it (the same operations in the same order)."""
    ind = model.framework_.indicators
    lo, hi = ind["lo"].to_numpy(float), ind["hi"].to_numpy(float)
    direction = ind["direction"].to_numpy(float)
    position = model.positions_
    dim_weight = model.framework_.dimension_weights.to_numpy(float)
    cells, draws, k = x.shape
    s = normalise(x.reshape(cells * draws, k), lo, hi, direction).reshape(cells, draws, k)
    w = np.broadcast_to(w, (cells, draws, k)).copy()
    w[~np.broadcast_to(known[:, None, :], w.shape)] = 0.0
    s[~np.broadcast_to(known[:, None, :], s.shape)] = 0.0
    dim_w = np.zeros((cells, draws, len(dim_weight)))
    dim_s = np.zeros((cells, draws, len(dim_weight)))
    for j in range(k):
        dim_w[:, :, position[j]] += w[:, :, j]
        dim_s[:, :, position[j]] += w[:, :, j] * s[:, :, j]
    has = dim_w > 0
    share = np.where(has, dim_weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = share / share.sum(axis=2, keepdims=True)
        return 100.0 * np.where(has, dim_s / dim_w * share, 0.0).sum(axis=2)


def score_draws(
    model: FragilityModel,
    x: np.ndarray,
    w: np.ndarray,
    known: np.ndarray,
    *,
    contributions: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Scores (draws,) of raw indicator values ``x`` under weights ``w`` (both (draws, k)).

    Only the ``known`` indicators count. With ``contributions``, also each indicator's points
    of the score (draws, k), which sum to the score (used by the sensitivity analysis).
    """
    ind = model.framework_.indicators
    lo, hi = ind["lo"].to_numpy(float), ind["hi"].to_numpy(float)
    direction = ind["direction"].to_numpy(float)
    position = model.positions_
    dim_weight = model.framework_.dimension_weights.to_numpy(float)
    draws, k = x.shape
    s = normalise(x, lo, hi, direction)
    w = np.array(w, dtype=float)  # a copy: the caller's weights are not zeroed in place
    w[:, ~known] = 0.0
    s[:, ~known] = 0.0
    # Renormalise within each dimension, then across the dimensions with evidence.
    dim_w = np.zeros((draws, len(dim_weight)))
    dim_s = np.zeros((draws, len(dim_weight)))
    for j in range(k):
        dim_w[:, position[j]] += w[:, j]
        dim_s[:, position[j]] += w[:, j] * s[:, j]
    has = dim_w > 0
    share = np.where(has, dim_weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = share / share.sum(axis=1, keepdims=True)
        score = 100.0 * np.where(has, dim_s / dim_w * share, 0.0).sum(axis=1)
        if not contributions:
            return score
        pos = np.asarray(position)
        part = 100.0 * np.where(has[:, pos], w * s / dim_w[:, pos] * share[:, pos], 0.0)
    return score, part


def _frame(model: FragilityModel, value: np.ndarray):
    import pandas as pd

    return pd.DataFrame(value, columns=model.framework_.codes)


def interval_of(
    model: FragilityModel,
    value: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    draws: int,
    weight_noise: float,
    seed: int,
) -> tuple[list[Interval], np.ndarray]:
    """The median and 90% interval of each cell's score, and the draws themselves."""
    scores = simulate(model, value, low, high, draws, weight_noise, seed)
    q = np.full((len(QUANTILES), scores.shape[1]), np.nan)
    scored = ~np.isnan(scores).all(axis=0)  # withheld cells have no interval
    if scored.any():
        q[:, scored] = np.nanquantile(scores[:, scored], QUANTILES, axis=0)
    return [Interval(q[1, c], q[0, c], q[2, c], draws) for c in range(scores.shape[1])], scores


def assessment_interval(spec, assessment) -> tuple[Interval, np.ndarray]:
    """The interval of one assessment (its table holds value, low and high per indicator)."""
    return assessment_intervals(spec, [assessment])[0]


def assessment_intervals(spec, assessments: list) -> list[tuple[Interval, np.ndarray]]:
    """The interval and score draws of each assessment, in one Monte Carlo for all of them.

    Each is the same as ``assessment_interval`` gives it alone: every cell uses the same draws
    of the seed (see ``simulate``).
    """
    if not assessments:
        return []
    codes = spec.model.framework_.codes
    value, low, high = (
        np.vstack([_column(a.table, codes, name) for a in assessments])
        for name in ("value", "low", "high")
    )
    u = spec.uncertainty
    found, scores = interval_of(
        spec.model, value, low, high, draws=u.draws, weight_noise=u.weight_noise, seed=u.seed
    )
    return [(interval, scores[:, cell]) for cell, interval in enumerate(found)]


def _column(table, codes, name: str) -> np.ndarray:
    """A decomposition table's column as floats in ``codes`` order."""
    at = dict(zip(table["code"], range(len(table)), strict=True))
    return table[name].to_numpy(float)[[at[code] for code in codes]]


def fire_share(rule, scores: np.ndarray) -> float | None:
    """Share of draws in which a score rule's fire condition holds (None for other rules)."""
    if rule.kind not in ("score_above", "score_below") or np.isnan(scores).all():
        return None
    fired = scores >= rule.fire if rule.kind == "score_above" else scores <= rule.fire
    return float(fired.mean())


def alert_share(rule, assessment, scores: np.ndarray, *, seed: int) -> float | None:
    """Share of draws in which an alert rule's fire condition holds, or None for rules the
    Monte Carlo cannot test (band changes, jumps, staleness, jobs) or without a reading.

    Score rules are judged on the score's draws; indicator rules on draws of the indicator's
    own value over its evidence range (triangular, as in the interval; weights play no part),
    as many as the score has draws.
    """
    if rule.kind not in ("indicator_above", "indicator_below"):
        return fire_share(rule, scores)
    value, low, high = (
        _column(assessment.table, [rule.indicator], c) for c in ("value", "low", "high")
    )
    if np.isnan(value[0]):
        return None
    u = np.random.default_rng(seed).random((len(scores), 1))
    x = draw_between(value, low, high, u)[:, 0]
    fired = x >= rule.fire if rule.kind == "indicator_above" else x <= rule.fire
    return float(fired.mean())
