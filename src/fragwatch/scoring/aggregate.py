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


def aggregate(
    raw: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    direction: np.ndarray,
    weight: np.ndarray,
    membership: np.ndarray,
    dimension_weight: np.ndarray,
    min_coverage: float = 0.0,
) -> Aggregated:
    """Score ``raw`` (rows = unit-periods, columns = indicators) against one framework."""
    norm = rescale(raw, lo, hi, direction)
    known = ~np.isnan(norm)
    known_weight = known * weight  # (n, k)
    filled = np.where(known, norm, 0.0)

    dim_known_weight = known_weight @ membership  # (n, d)
    dim_sum = (filled * weight) @ membership
    with np.errstate(invalid="ignore", divide="ignore"):
        dim_score = dim_sum / dim_known_weight
    dim_known = dim_known_weight > 0
    dim_share = np.where(dim_known, dimension_weight, 0.0)
    total_share = dim_share.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        dim_share = dim_share / total_share  # each known dimension's share of the index

        # Indicator i's effective weight: its dimension's share x its share within the dimension.
        within = weight / (dim_known_weight @ membership.T)
        effective = np.where(known, within * (dim_share @ membership.T), 0.0)
    contributions = np.where(known, 100.0 * effective * filled, np.nan)
    score = np.where(total_share[:, 0] > 0, 100.0 * (effective * filled).sum(axis=1), np.nan)

    # Coverage: the share of the nominal (all-known) effective weight that is known.
    with np.errstate(invalid="ignore", divide="ignore"):
        nominal_dim = dimension_weight / dimension_weight.sum()
        nominal_within = weight / (membership @ (membership.T @ weight))
    nominal = np.nan_to_num(nominal_within * (membership @ nominal_dim))
    coverage = (known * nominal).sum(axis=1)
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
