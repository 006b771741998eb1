"""The vectorised core: normalise, weight, aggregate and decompose a whole panel at once.

score = 100 * sum_d W_d * (sum_{i in d} w_i s_i / sum_{i in d, known} w_i) / sum_{d known} W_d

Weights renormalise over indicators with fresh evidence (and dimensions with any), so a missing
value is never read as zero; coverage says how much of the nominal weight was known. Each
indicator's contribution is its term of that sum in score points, so contributions add up to the
score exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Aggregated:
    contributions: np.ndarray  # (n, k) score points, NaN where unknown or withheld
    score: np.ndarray  # (n,)
    coverage: np.ndarray  # (n,) in [0, 1]
    dimension_scores: np.ndarray  # (n, d) 0-100, NaN where a dimension has no evidence
    # What the effective weights are made of, (k,) and (n, d): the panel-sized array of
    # weights is built only when asked for (scoring a panel does not need it).
    _weight: np.ndarray = field(repr=False)
    _position: np.ndarray = field(repr=False)
    _dimension_weight: np.ndarray = field(repr=False)
    _dim_known_weight: np.ndarray = field(repr=False)
    _total_share: np.ndarray = field(repr=False)

    @cached_property
    def weights(self) -> np.ndarray:
        """(n, k) effective weight of each known indicator (rows sum to 1; 0 where unknown
        or withheld)."""
        effective = np.empty_like(self.contributions)
        with np.errstate(invalid="ignore", divide="ignore"):
            for column, d in enumerate(self._position):
                # The same operations, in the same order, as the contributions were made with.
                dim_known = self._dim_known_weight[:, d] > 0
                share = _dim_share(dim_known, self._dimension_weight[d], self._total_share)
                col = effective[:, column]
                np.divide(self._weight[column], self._dim_known_weight[:, d], out=col)
                col *= share
                # A dimension whose known indicators all weigh zero counts as absent.
                col[~dim_known] = 0.0
                col[np.isnan(self.contributions[:, column])] = 0.0  # unknown or withheld
        return effective


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
    stays near one panel-sized array (the one holding normalised values becomes the
    contributions in place; the effective weights are built only when asked for); sums run
    per row and per dimension, never as a matrix product, because BLAS may block a product
    differently for different row counts and a panel must score exactly as its rows would one
    by one.
    """
    n_dims = len(dimension_weight)
    values = normalise(raw, lo, hi, direction)
    unknown = np.isnan(values)
    values[unknown] = 0.0  # unknown cells add nothing to any sum

    n, k = values.shape
    # Column by column (a loop over indicators, not cells): no panel-sized temporaries, and
    # each row's sums run in the same order whatever the number of rows.
    dim_known_weight = np.zeros((n, n_dims))
    dim_sum = np.zeros((n, n_dims))
    for column in range(k):
        d = position[column]
        dim_known_weight[:, d] += ~unknown[:, column] * weight[column]
        dim_sum[:, d] += values[:, column] * weight[column]
    dim_known = dim_known_weight > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        dim_score = dim_sum  # in place: the dimension's weighted mean, 0-100
        dim_score /= dim_known_weight
        dim_score *= 100.0
        dim_score[~dim_known] = np.nan
        total_share = np.where(dim_known, dimension_weight, 0.0).sum(axis=1)
    enough_share = total_share > 0

    # Coverage: the share of the nominal (all-known) effective weight that is known.
    dim_total = np.bincount(position, weights=weight, minlength=n_dims)
    weighed = np.where(dim_total > 0, dimension_weight, 0.0)  # a dimension weighing nothing
    with np.errstate(invalid="ignore", divide="ignore"):
        nominal = weight / dim_total[position] * (weighed / weighed.sum())[position]
    nominal = np.nan_to_num(nominal)
    coverage = np.zeros(n)
    for column in range(k):
        coverage += ~unknown[:, column] * nominal[column]
    enough = (coverage + 1e-12 >= min_coverage) & enough_share

    # Contributions: normalised x effective weight x 100, in place in the array of normalised
    # values, one indicator at a time; indicator i's effective weight is its share within its
    # dimension x the dimension's share (0 where unknown, or where the dimension's known
    # indicators all weigh zero: absent, not 0/0).
    contributions = values
    score = np.zeros(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        for column in range(k):
            d = position[column]
            share = _dim_share(dim_known[:, d], dimension_weight[d], total_share)
            effective = weight[column] / dim_known_weight[:, d] * share
            effective[~dim_known[:, d] | unknown[:, column]] = 0.0
            col = contributions[:, column]
            col *= effective
            col *= 100.0
            score += col
    score[~enough] = np.nan
    # Unknown indicators have no contribution; a withheld score has no decomposition either,
    # so contributions always sum to the score.
    unknown[~enough] = True
    contributions[unknown] = np.nan
    return Aggregated(
        contributions=contributions,
        score=score,
        coverage=coverage,
        dimension_scores=dim_score,
        _weight=np.asarray(weight, dtype=float),
        _position=np.asarray(position),
        _dimension_weight=np.asarray(dimension_weight, dtype=float),
        _dim_known_weight=dim_known_weight,
        _total_share=total_share,
    )


def _dim_share(known: np.ndarray, weight: float, total: np.ndarray) -> np.ndarray:
    """A dimension's share of the index in each row (0 where it has no known indicator),
    one dimension at a time rather than an (n, d) array kept for all of them."""
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(known, weight, 0.0)
        share /= total
    return share
