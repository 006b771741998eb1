"""The vectorised core: normalise, weight, aggregate and decompose a whole panel at once.

score = 100 * sum_d W_d * (sum_{i in d} w_i s_i / sum_{i in d, known} w_i) / sum_{d known} W_d

Weights renormalise over indicators with fresh evidence (and dimensions with any), so a missing
value is never read as zero; coverage says how much of the nominal weight was known. Each
indicator's contribution is its term of that sum in score points, so contributions add up to the
score exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Aggregated:
    contributions: np.ndarray  # (n, k) score points, NaN where unknown or withheld
    weights: np.ndarray  # (n, k) effective weight of each known indicator (rows sum to 1)
    score: np.ndarray  # (n,)
    coverage: np.ndarray  # (n,) in [0, 1]
    dimension_scores: np.ndarray  # (n, d) 0-100, NaN where a dimension has no evidence


def normalise(raw: np.ndarray, lo: np.ndarray, hi: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Map raw values onto [0, 1], 1 most fragile, into one new array (computed in place).

    ``lo``/``hi`` are fixed goalposts in the indicator's unit; values beyond them clip, so
    scores stay comparable over time. ``direction`` -1 flips the scale (lower is more fragile).
    NaN (no fresh evidence) stays NaN.
    """
    # Row-major output whatever the input layout: row sums must not depend on it.
    out = np.subtract(raw, lo, dtype=np.float64, order="C")
    out /= hi - lo
    np.clip(out, 0.0, 1.0, out=out)
    for column in np.flatnonzero(direction < 0):  # flip in place, one indicator at a time
        np.subtract(1.0, out[:, column], out=out[:, column])
    return out


def aggregate(
    raw: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    direction: np.ndarray,
    weight: np.ndarray,
    position: np.ndarray,
    dimension_weight: np.ndarray,
    min_coverage: float = 0.0,
) -> Aggregated:
    """Score ``raw`` (rows = unit-periods, columns = indicators) against one framework.

    ``position[i]`` is the index of indicator i's dimension in ``dimension_weight``. Memory
    stays near two panel-sized arrays (the one holding normalised values becomes the
    contributions in place); sums run per row and per dimension, never as a matrix product,
    because BLAS may block a product differently for different row counts and a panel must
    score exactly as its rows would one by one.
    """
    n_dims = len(dimension_weight)
    values = normalise(raw, lo, hi, direction)
    known = ~np.isnan(values)
    unknown = ~known
    values[unknown] = 0.0  # unknown cells add nothing to any sum

    n, k = values.shape
    # Column by column (a loop over indicators, not cells): no panel-sized temporaries, and
    # each row's sums run in the same order whatever the number of rows.
    dim_known_weight = np.zeros((n, n_dims))
    dim_sum = np.zeros((n, n_dims))
    for column in range(k):
        d = position[column]
        dim_known_weight[:, d] += known[:, column] * weight[column]
        dim_sum[:, d] += values[:, column] * weight[column]
    dim_known = dim_known_weight > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        dim_score = dim_sum  # in place: the dimension's weighted mean, 0-100
        dim_score /= dim_known_weight
        dim_score *= 100.0
        dim_score[~dim_known] = np.nan
        dim_share = np.where(dim_known, dimension_weight, 0.0)
        total_share = dim_share.sum(axis=1, keepdims=True)
        dim_share /= total_share  # each known dimension's share of the index
        # Indicator i's effective weight: its share within its dimension x the dimension's share.
        effective = np.empty_like(values)
        for column in range(k):
            d = position[column]
            effective[:, column] = weight[column] / dim_known_weight[:, d] * dim_share[:, d]
        # A dimension whose known indicators all weigh zero counts as absent, not as 0/0.
        effective[~dim_known[:, position]] = 0.0
    enough_share = total_share[:, 0] > 0
    del dim_known_weight, dim_share, total_share  # free before the next panel-sized step
    effective[unknown] = 0.0

    # Coverage: the share of the nominal (all-known) effective weight that is known.
    dim_total = np.bincount(position, weights=weight, minlength=n_dims)
    weighed = np.where(dim_total > 0, dimension_weight, 0.0)  # a dimension weighing nothing
    with np.errstate(invalid="ignore", divide="ignore"):
        nominal = weight / dim_total[position] * (weighed / weighed.sum())[position]
    nominal = np.nan_to_num(nominal)
    coverage = np.zeros(n)
    for column in range(k):
        coverage += known[:, column] * nominal[column]
    enough = (coverage + 1e-12 >= min_coverage) & enough_share

    contributions = values  # reuse: normalised x effective weight x 100, in place
    contributions *= effective
    contributions *= 100.0
    score = np.zeros(n)
    for column in range(k):
        score += contributions[:, column]
    score[~enough] = np.nan
    # Unknown indicators have no contribution; a withheld score has no decomposition either,
    # so contributions always sum to the score.
    unknown[~enough] = True
    contributions[unknown] = np.nan
    effective[~enough] = 0.0
    return Aggregated(
        contributions=contributions,
        weights=effective,
        score=score,
        coverage=coverage,
        dimension_scores=dim_score,
    )
