"""Distributions of a shock's value: medians, supports and vectorised draws.

A random shock is drawn for all draws at once (one numpy call per shock, never a loop over
draws). The truncated normal is drawn by inverting its CDF, so bounds never cost rejections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

KINDS = ("uniform", "triangular", "normal")
# Which parameters each kind takes (the normal's low/high are optional bounds).
PARAMETERS = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd", "low", "high"),
}
REQUIRED = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
}
_STANDARD = NormalDist()


@dataclass(frozen=True)
class Distribution:
    kind: str
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take."""
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        return low, high

    def median(self) -> float:
        """The central value a deterministic run uses in place of the distribution."""
        if self.kind == "uniform":
            return (self.low + self.high) / 2
        if self.kind == "triangular":
            a, c, b = self.low, self.mode, self.high
            if c >= (a + b) / 2:
                return a + math.sqrt((b - a) * (c - a) / 2)
            return b - math.sqrt((b - a) * (b - c) / 2)
        pa, pb = self._normal_mass()
        return self.mean + self.sd * _STANDARD.inv_cdf((pa + pb) / 2) if pb > pa else self.mean

    def kept_mass(self) -> float:
        """For a bounded normal: the share of the untruncated distribution inside the bounds."""
        pa, pb = self._normal_mass()
        return pb - pa

    def _normal_mass(self) -> tuple[float, float]:
        low, high = self.support
        pa = 0.0 if math.isinf(low) else _STANDARD.cdf((low - self.mean) / self.sd)
        pb = 1.0 if math.isinf(high) else _STANDARD.cdf((high - self.mean) / self.sd)
        return pa, pb

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` independent draws."""
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high, n)
        if self.kind == "triangular":
            if self.low == self.high:
                return np.full(n, float(self.low))
            return rng.triangular(self.low, self.mode, self.high, n)
        if self.low is None and self.high is None:
            return rng.normal(self.mean, self.sd, n)
        return self._truncated_normal(n, rng)

    def _truncated_normal(self, n: int, rng: np.random.Generator) -> np.ndarray:
        # Work in the tail nearer the bounds' mass so CDF values stay far from 1 (where
        # doubles are coarse): mirror the distribution when the interval lies above the mean.
        low, high = self.support
        a, b = (low - self.mean) / self.sd, (high - self.mean) / self.sd
        mirror = a > 0
        if mirror:
            a, b = -b, -a
        pa = 0.0 if math.isinf(a) else _STANDARD.cdf(a)
        pb = 1.0 if math.isinf(b) else _STANDARD.cdf(b)
        z = standard_normal_ppf(rng.uniform(pa, pb, n))
        z = np.clip(z, a, b)  # the ppf's last-digit error must not step outside the bounds
        return self.mean + self.sd * (-z if mirror else z)


# Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9).
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)  # fmt: skip
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425


def _poly(coefficients: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    for c in coefficients:
        out = out * x + c
    return out


def standard_normal_ppf(p: np.ndarray) -> np.ndarray:
    """The standard normal quantile of each probability in (0, 1), vectorised."""
    # 0 and 1 map to infinities; the closest doubles inside keep every draw finite.
    p = np.clip(np.asarray(p, dtype=float), np.finfo(float).tiny, 1 - np.finfo(float).epsneg)
    out = np.empty_like(p)
    lower, upper = p < _P_LOW, p > 1 - _P_LOW
    middle = ~(lower | upper)
    q = p[middle] - 0.5
    r = q * q
    out[middle] = _poly(_A, r) * q / (_poly(_B, r) * r + 1)
    for mask, sign, tail in ((lower, 1.0, p), (upper, -1.0, 1 - p)):
        t = np.sqrt(-2 * np.log(tail[mask]))
        out[mask] = sign * _poly(_C, t) / (_poly(_D, t) * t + 1)
    return out
