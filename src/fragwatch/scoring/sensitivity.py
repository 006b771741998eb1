"""Which inputs an assessment hangs on: Sobol indices of the score, vectorised (Saltelli/Jansen).

The inputs are the uncertainty Monte Carlo's (``scoring.uncertainty``): each indicator's value,
drawn triangular within its evidence range, and each indicator weight, scaled by
(1 + weight_noise * z). Two independent base samples A and B (N rows each) and, per input i,
A_B^(i) (A with column i from B) are scored in one batch; S1 uses Saltelli (2010), ST Jansen
(1999). Inputs that cannot vary (no range, unknown indicator, no weight noise) are not sampled
and get S1 = ST = 0 exactly, which also saves their N scorings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fragwatch.scoring.uncertainty import draw_between, score_draws

TOP = 3  # the rank stability of this many top contributors is reported


@dataclass(frozen=True)
class Sensitivity:
    inputs: list[str]  # "<code> value" / "<code> weight"
    s1: np.ndarray
    st: np.ndarray
    variance: float  # of the score over the base samples
    samples: int
    top: list[str]  # current top contributors (indicator codes), largest first
    stability: np.ndarray  # share of draws in which each of ``top`` stays in the top TOP

    def ranked(self) -> list[tuple[str, float, float]]:
        """(input, S1, ST) sorted by ST, largest first (ties keep framework order)."""
        order = np.argsort(-self.st, kind="stable")
        return [(self.inputs[i], float(self.s1[i]), float(self.st[i])) for i in order]

    def to_dict(self) -> dict:
        return {
            "samples": self.samples,
            "variance": round(self.variance, 6),
            "indices": [
                {"input": name, "S1": round(s1, 4), "ST": round(st, 4)}
                for name, s1, st in self.ranked()
            ],
            "rank_stability": [
                {"indicator": code, "share_in_top": round(float(share), 4)}
                for code, share in zip(self.top, self.stability, strict=True)
            ],
        }


def sobol_indices(
    f: Callable[[np.ndarray], np.ndarray],
    a: np.ndarray,
    b: np.ndarray,
    active: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """First-order and total indices of ``f`` (rows (n, d) -> (n,)) from base samples a, b.

    Only ``active`` columns are perturbed; the others get exactly zero. Returns (S1, ST, var).
    """
    n, d = a.shape
    idx = np.flatnonzero(np.ones(d, bool) if active is None else active)
    # One stacked batch: A, B, then A_B^(i) for each active i.
    ab = np.repeat(a[None], len(idx), axis=0)
    ab[np.arange(len(idx)), :, idx] = b[:, idx].T
    y = f(np.concatenate([a, b, ab.reshape(-1, d)]))
    # Centred outputs: the Saltelli S1 sum is unbiased either way, but an uncentred mean
    # (a score of ~60 with a spread of ~1) swamps it with noise.
    y = y - np.mean(y[: 2 * n])
    fa, fb, fab = y[:n], y[n : 2 * n], y[2 * n :].reshape(len(idx), n)
    var = float(np.var(y[: 2 * n]))
    s1, st = np.zeros(d), np.zeros(d)
    if var > 0:
        s1[idx] = np.mean(fb * (fab - fa), axis=1) / var
        st[idx] = 0.5 * np.mean((fa - fab) ** 2, axis=1) / var
    return s1, st, var


def sensitivity(
    model,
    value: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    weight_noise: float,
    samples: int = 2048,
    seed: int = 0,
) -> Sensitivity:
    """Sobol indices of one assessment's score; arrays (k,) in framework order."""
    codes = list(model.framework_.codes)
    weight = model.framework_.indicators["weight"].to_numpy(float)
    k = len(codes)
    known = ~np.isnan(value)
    lo = np.where(np.isnan(low), value, low)
    hi = np.where(np.isnan(high), value, high)
    ranged = known & (hi > lo)
    noisy = known & (weight > 0) & (weight_noise > 0)
    # Columns 0..k-1 are uniforms driving the values, k..2k-1 standard normals the weights.
    rng = np.random.default_rng(seed)

    def base() -> np.ndarray:
        return np.hstack([rng.random((samples, k)), rng.standard_normal((samples, k))])

    a, b = base(), base()

    def inputs(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = draw_between(value, low, high, rows[:, :k])
        w = weight * np.clip(1.0 + weight_noise * rows[:, k:], 0.0, None)
        return x, w

    def f(rows: np.ndarray) -> np.ndarray:
        return score_draws(model, *inputs(rows), known)

    s1, st, var = sobol_indices(f, a, b, np.concatenate([ranged, noisy]))
    # Rank stability: the central contributors' top TOP against each base draw's top TOP.
    _, central = score_draws(model, value[None], weight[None], known, contributions=True)
    central = np.nan_to_num(central[0], nan=-np.inf)
    top = [int(j) for j in np.argsort(-central, kind="stable")[:TOP] if known[j]]
    _, parts = score_draws(model, *inputs(a), known, contributions=True)
    in_top = np.zeros_like(parts, dtype=bool)
    np.put_along_axis(in_top, np.argsort(-parts, axis=1, kind="stable")[:, :TOP], True, axis=1)
    return Sensitivity(
        inputs=[f"{c} value" for c in codes] + [f"{c} weight" for c in codes],
        s1=s1,
        st=st,
        variance=var,
        samples=samples,
        top=[codes[j] for j in top],
        stability=in_top[:, top].mean(axis=0),
    )


def assessment_sensitivity(spec, assessment, *, samples: int = 2048, seed: int | None = None):
    """The sensitivity of one assessment (its table holds value, low and high per indicator)."""
    table = assessment.table.set_index("code").loc[spec.model.framework_.codes]
    u = spec.uncertainty
    return sensitivity(
        spec.model,
        table["value"].to_numpy(float),
        table["low"].to_numpy(float),
        table["high"].to_numpy(float),
        weight_noise=u.weight_noise,
        samples=samples,
        seed=u.seed if seed is None else seed,
    )
