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

from fragwatch.indicators.goalposts import rescale


@dataclass(frozen=True)
class Aggregated:
    normalised: np.ndarray  # (n, k) in [0, 1], NaN where unknown
    contributions: np.ndarray  # (n, k) score points, NaN where unknown
    weights: np.ndarray  # (n, k) effective weight of each known indicator (rows sum to 1)
    score: np.ndarray  # (n,)
    coverage: np.ndarray  # (n,) in [0, 1]
    dimension_scores: np.ndarray  # (n, d) 0-100, NaN where a dimension has no evidence


def _by_dimension(values: np.ndarray, position: np.ndarray, n_dims: int) -> np.ndarray:
    """Row sums within each dimension, (n, k) -> (n, d).

    Plain per-row sums rather than a matrix product: BLAS may block a product differently for
    different row counts, and a panel must score exactly as its rows would one by one.
    """
    return np.stack([values[:, position == d].sum(axis=1) for d in range(n_dims)], axis=1)


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

    ``position[i]`` is the index of indicator i's dimension in ``dimension_weight``.
    """
    n_dims = len(dimension_weight)
    norm = rescale(raw, lo, hi, direction)
    known = ~np.isnan(norm)
    known_weight = np.where(known, weight, 0.0)  # (n, k)
    filled = np.where(known, norm, 0.0)

    dim_known_weight = _by_dimension(known_weight, position, n_dims)  # (n, d)
    dim_sum = _by_dimension(filled * weight, position, n_dims)
    dim_known = dim_known_weight > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        dim_score = dim_sum / dim_known_weight
        dim_share = np.where(dim_known, dimension_weight, 0.0)
        total_share = dim_share.sum(axis=1, keepdims=True)
        dim_share = dim_share / total_share  # each known dimension's share of the index
        # Indicator i's effective weight: its dimension's share x its share within the dimension.
        within = weight / dim_known_weight[:, position]
        effective = np.where(known, within * dim_share[:, position], 0.0)
    contributions = np.where(known, 100.0 * effective * filled, np.nan)
    score = np.where(total_share[:, 0] > 0, 100.0 * (effective * filled).sum(axis=1), np.nan)

    # Coverage: the share of the nominal (all-known) effective weight that is known.
    dim_total = np.array([weight[position == d].sum() for d in range(n_dims)])
    with np.errstate(invalid="ignore", divide="ignore"):
        nominal = (weight / dim_total[position]) * (dimension_weight / dimension_weight.sum())[
            position
        ]
    coverage = (known * np.nan_to_num(nominal)).sum(axis=1)
    enough = coverage + 1e-12 >= min_coverage
    score = np.where(enough, score, np.nan)
    # A withheld score has no decomposition either: contributions always sum to the score.
    contributions = np.where(enough[:, None], contributions, np.nan)
    effective = np.where(enough[:, None], effective, 0.0)
    return Aggregated(
        normalised=norm,
        contributions=contributions,
        weights=effective,
        score=score,
        coverage=coverage,
        dimension_scores=np.where(dim_known, 100.0 * dim_score, np.nan),
    )
