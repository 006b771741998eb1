"""Monte Carlo over a scenario's random shocks, vectorised over draws x cells x indicators.

All draws of every random shock are made at once. Indicator shocks act on a (draws, cells,
indicators) array of raw values, a block of draws at a time to bound memory. The block is scored
with the scoring core's own functions (``scoring.aggregate``): which indicators are known at a
cell, and so every effective weight, the coverage and whether the score is withheld, does not
depend on a shock's value, so one ``aggregate`` call at the central values fixes them; each draw
then only normalises the columns a draw can change and adds their weighted points (a block where
that does not hold is scored by ``aggregate`` whole).

A random shock on an evidence quantity acts before the indicators are computed, and indicators
are not vectorised over draws. Its effect is read from a response curve instead: the indicators
that read the quantity are computed exactly at five values of the shock spanning all draws. The
built-in level and change indicators respond to a shocked figure as a Mobius map
(a + b x) / (c + d x): linear in a numerator (returns, remittances, recruits), a ratio in a
denominator (population) or a base period (heroin seizures). When the three outer nodes' Mobius
curve passes through the two inner ones, every draw reads that curve, exactly. Otherwise (a
window maximum, a figure clipped at zero) each draw interpolates linearly between the two nearest
of ``RESPONSE_NODES`` nodes, which is exact except within the one interval around each kink.
The tests compare draws with the exact path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fragwatch.scenarios.apply import shock_values
from fragwatch.scenarios.engine import Prepared
from fragwatch.scoring.aggregate import aggregate, normalise
from fragwatch.scoring.bands import WITHHELD

RESPONSE_NODES = 65
# Elements of the (draws, cells, indicators) block scored at once: ~16 MiB of float64.
BLOCK = 2**21


@dataclass(frozen=True)
class Simulation:
    draws: int
    seed: int
    values: dict[int, np.ndarray]  # per random shock (position in scenario.shocks): its draws
    scores: np.ndarray  # (draws, cells); NaN where withheld

    def quantiles(self, q: tuple[float, ...] = (0.05, 0.5, 0.95)) -> np.ndarray:
        """(len(q), cells) quantiles of the score; NaN for cells withheld in every draw."""
        out = np.full((len(q), self.scores.shape[1]), np.nan)
        scored = ~np.isnan(self.scores).all(axis=0)
        if scored.any():
            out[:, scored] = np.nanquantile(self.scores[:, scored], q, axis=0)
        return out

    def band_shares(self, bands: tuple[tuple[str, float], ...]) -> dict[str, np.ndarray]:
        """Per band (and 'withheld'): the share of draws in it, per cell."""
        edges = np.array([edge for _, edge in bands])
        where = np.searchsorted(edges, np.nan_to_num(self.scores, nan=-np.inf), side="right") - 1
        where[np.isnan(self.scores) | (where < 0)] = len(bands)
        names = [name for name, _ in bands] + [WITHHELD]
        return {name: (where == b).mean(axis=0) for b, name in enumerate(names)}


def draw_values(prepared: Prepared, n: int, seed: int) -> dict[int, np.ndarray]:
    """Every random shock's ``n`` draws, in shock order from one seeded generator."""
    rng = np.random.default_rng(seed)
    return {i: s.distribution.draw(n, rng) for i, s in enumerate(prepared.shocks) if s.random}


def _response(
    prepared: Prepared, position: int, draws: np.ndarray, central: list[float]
) -> tuple[str, np.ndarray, np.ndarray, list[int]]:
    """How the indicators reading a randomly shocked quantity respond to the shock's value.

    Returns the kind of curve ("mobius" or "linear"), its nodes, the indicator values at the
    nodes (nodes, cells, columns) and the columns affected.
    """
    shock = prepared.shocks[position]
    codes = [c for c in prepared.vocab.indicators_reading(shock.code) if c in prepared.codes]
    columns = [prepared.codes.index(c) for c in codes]
    low, high = float(draws.min()), float(draws.max())

    def at(nodes: np.ndarray) -> np.ndarray:
        out = np.empty((len(nodes), len(prepared.cell_date), len(codes)))
        for k, node in enumerate(nodes):  # a few nodes, never one evaluation per draw
            values = list(central)
            values[position] = float(node)
            evidence, _ = prepared.shocked_evidence(values)
            for j, code in enumerate(codes):
                indicator = prepared.spec.indicators[code]
                panel = indicator.panel(
                    evidence, prepared.countries, prepared.dates, with_evidence=False
                )
                out[k, :, j] = panel["value"].to_numpy(dtype=float)
        return out

    if high == low or not codes:
        return "linear", np.array([low]), at(np.array([low])), columns
    probe = np.linspace(low, high, 5)
    found = at(probe)
    fitted = _mobius(probe[[0, 2, 4]], found[[0, 2, 4]], probe[[1, 3]])
    scale = max(1.0, float(np.nanmax(np.abs(found), initial=0.0)))
    if np.allclose(fitted, found[[1, 3]], rtol=0, atol=1e-10 * scale, equal_nan=True):
        return "mobius", probe[[0, 2, 4]], found[[0, 2, 4]], columns
    nodes = np.linspace(low, high, RESPONSE_NODES)
    return "linear", nodes, at(nodes), columns


def _mobius(nodes: np.ndarray, curve: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The curve f(x) = (a + b x) / (c + d x) through three nodes, read at each ``x``.

    Written through the cross-ratio, which a Mobius map keeps, multiplied out so a draw on a
    node divides by nothing: f = (f1 (f2 - f3) Q - f3 (f2 - f1) P) / ((f2 - f3) Q - (f2 - f1) P)
    with P = (x - x1)(x2 - x3), Q = (x - x3)(x2 - x1). A constant curve (0/0) is its value.
    """
    (x1, x2, x3), (f1, f2, f3) = nodes, curve
    p = ((x - x1) * (x2 - x3))[:, None, None]
    q = ((x - x3) * (x2 - x1))[:, None, None]
    top = f1 * (f2 - f3) * q - f3 * (f2 - f1) * p
    bottom = (f2 - f3) * q - (f2 - f1) * p
    with np.errstate(invalid="ignore", divide="ignore"):
        out = top / bottom
    return np.where(bottom == 0, f1, out)


def _interpolate(kind: str, nodes: np.ndarray, curve: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per draw in ``x``: the response (nodes, cells, columns) read at that draw."""
    if len(nodes) == 1:
        return np.broadcast_to(curve[0], (len(x), *curve.shape[1:]))
    if kind == "mobius":
        return _mobius(nodes, curve, x)
    at = np.clip(np.searchsorted(nodes, x, side="right") - 1, 0, len(nodes) - 2)
    w = ((x - nodes[at]) / (nodes[at + 1] - nodes[at]))[:, None, None]
    return curve[at] * (1.0 - w) + curve[at + 1] * w


def simulate(prepared: Prepared, n: int, seed: int) -> Simulation:
    """Score ``n`` draws of the scenario's random shocks at every cell."""
    values = draw_values(prepared, n, seed)
    central = prepared.central_values()
    evidence, _ = prepared.shocked_evidence(central)
    codes = prepared.codes
    base = np.column_stack(
        [
            prepared.spec.indicators[c]
            .panel(evidence, prepared.countries, prepared.dates, with_evidence=False)["value"]
            .to_numpy(dtype=float)
            for c in codes
        ]
    )
    responses = [
        (_response(prepared, i, values[i], central), i)
        for i in prepared.of("quantity")
        if i in values
    ]
    shocks, columns, masks, bounds = prepared.indicator_plan()
    positions = prepared.of("indicator")
    # The columns a draw can change; every other column is the same in every draw.
    varying = sorted(
        {c for (_, _, _, cols), _ in responses for c in cols}
        | {c for c, s in zip(columns, shocks, strict=True) if s.random}
    )
    model = prepared.spec.model
    ind = model.framework_.indicators
    params = {
        "lo": ind["lo"].to_numpy(float),
        "hi": ind["hi"].to_numpy(float),
        "direction": ind["direction"].to_numpy(float),
        "weight": ind["weight"].to_numpy(float),
        "position": model.positions_,
        "dimension_weight": model.framework_.dimension_weights.to_numpy(float),
        "min_coverage": float(model.min_coverage),
    }
    # One run at the central values: which cells are known and scored, with what weights.
    reference = shock_values(base[None].copy(), shocks, [central[i] for i in positions],
                             columns, masks, bounds)[0]  # fmt: skip
    fixed = _Fixed(reference, varying, params)

    cells, k = base.shape
    scores = np.empty((n, cells))
    step = max(1, BLOCK // max(1, cells * k))
    for first in range(0, n, step):  # blocks of draws, to bound memory
        last = min(n, first + step)
        block = np.repeat(base[None], last - first, axis=0)
        for (kind, nodes, curve, cols), i in responses:
            block[:, :, cols] = _interpolate(kind, nodes, curve, values[i][first:last])
        xs = [values[i][first:last] if i in values else central[i] for i in positions]
        shock_values(block, shocks, xs, columns, masks, bounds)
        scores[first:last] = fixed.score(block)
    return Simulation(draws=n, seed=seed, values=values, scores=scores)


class _Fixed:
    """The aggregation with everything that does not change between draws done once.

    Which indicators are known at a cell (and so every effective weight, the coverage and
    whether the score is withheld) does not depend on a shock's value, only on whether the
    indicator has fresh evidence; the central run fixes them, and each draw only normalises its
    varying columns and adds their weighted points to the fixed columns' points. A block whose
    known cells differ from the central run's is scored by the full ``aggregate`` instead.
    """

    def __init__(self, reference: np.ndarray, varying: list[int], params: dict) -> None:
        self.varying, self.params = varying, params
        result = aggregate(reference, **params)
        self.known = ~np.isnan(reference[:, varying])
        self.withheld = np.isnan(result.score)
        self.weights = result.weights[:, varying] * 100.0
        rest = np.ones(reference.shape[1], dtype=bool)
        rest[varying] = False
        points = np.nan_to_num(result.contributions[:, rest])
        self.points = np.zeros(len(reference))
        for column in range(points.shape[1]):  # in column order, as aggregate sums
            self.points += points[:, column]

    def score(self, block: np.ndarray) -> np.ndarray:
        """Scores of a (draws, cells, indicators) block: (draws, cells)."""
        p, v = self.params, self.varying
        values = block[:, :, v]
        if not np.array_equal(~np.isnan(values), np.broadcast_to(self.known, values.shape)):
            draws, cells, k = block.shape
            return aggregate(block.reshape(-1, k), **p).score.reshape(draws, cells)
        draws, cells, _ = values.shape
        s = normalise(
            values.reshape(draws * cells, len(v)), p["lo"][v], p["hi"][v], p["direction"][v]
        ).reshape(values.shape)
        np.nan_to_num(s, copy=False)
        out = np.broadcast_to(self.points, s.shape[:2]).copy()
        for j in range(len(v)):
            out += s[:, :, j] * self.weights[:, j]
        out[:, self.withheld] = np.nan
        return out
