"""The event kernels: decayed, severity-weighted incident counts, and the monitored rule.

Rows describing one incident count once, with the state known by each cell's date, and the
weights of a cell's incidents are summed as pandas summed them. A zero count is only news if
somebody was reporting, so ``monitored_cells`` says which cells have recent evidence from the
sources the caller counts as watching; the decayed count is NaN elsewhere.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from fragwatch.indicators.kernels.arrays import DAY_US, Cells, Known, Rows, lookup
from fragwatch.indicators.kernels.segments import (
    expand,
    representatives,
    run_starts,
    segment_running,
    segment_sums,
    shared_tuples,
    tuples,
)

# Pairs of (cell, incident) made at a time: bounds the kernel's working memory (about 100 bytes
# a pair) whatever the number of events and dates.
PAIR_BUDGET = 1_000_000


def monitored_cells(
    cells: Cells, country: np.ndarray, published: np.ndarray, staleness_days: int
) -> np.ndarray:
    """``monitored`` on arrays (published in microseconds): a boolean per cell."""
    known = Known(cells, country, published)
    out = np.zeros(cells.n, dtype=bool)
    has = known.hi > known.lo
    out[has] = cells.t[has] - known.pub[known.hi[has] - 1] <= staleness_days * DAY_US
    return out


def decayed_events_cells(
    cells: Cells,
    events: Rows,
    severity: dict[str, float],
    half_life_days: float,
    fatality_factor: float,
    monitored: np.ndarray,
    min_weight: float = 0.05,
    max_pairs: int = PAIR_BUDGET,
) -> pd.DataFrame:
    """``decayed_events`` on array views (see ``transforms``); ``monitored``: a bool per cell.

    An incident's known state (highest kind weight and fatalities, earliest date over its rows
    published by a date) is a running aggregate over its rows in publication order, read at
    the last row a cell knows. A cell is paired only with the incidents of its country known
    by its date (first published on or before it): each incident's cells are one range of the
    grid sorted by (country, as_of), so no pair with an unpublished incident is ever made, and
    pairs are made for a slice of cells at a time, at most ``max_pairs`` (unless one cell has
    more): the working memory is bounded whatever the number of events and dates. Weights are
    summed per cell in incident-id order as pandas did, to the last bit.
    """
    kinds = np.empty(len(severity), dtype=object)
    kinds[:] = list(severity)
    kind = lookup(events.kind, kinds)
    country = cells.codes_of(events.country)
    # Rows published after the last date are known to no cell: left out before any sorting.
    last = cells.t.max() if cells.n else np.iinfo(np.int64).min
    keep = (kind >= 0) & (country >= 0) & (events.published <= last)
    keep = np.flatnonzero(keep & ~pd.isna(events.incident))
    weights = np.array([float(w) for w in severity.values()], dtype=float)
    row_weight = weights[kind[keep]]
    # Incident ids in sorted order (pandas grouped by them); rows without one were dropped.
    _, incident_code = np.unique(events.incident[keep], return_inverse=True)
    incident_code = incident_code.reshape(-1)

    # Rows by (country, incident id, published); one segment per incident.
    incident = country[keep] * (len(keep) + 1) + incident_code
    published = events.published[keep]
    order = np.lexsort((published, incident))
    pos, incident, published = keep[order], incident[order], published[order]
    row_weight = row_weight[order]
    new = run_starts(incident)
    segment = np.cumsum(new) - 1
    seg_first = np.flatnonzero(new)
    seg_country = country[pos[seg_first]]
    del incident, order, new

    # Running state of each incident, row by row (a reset per incident via segment offsets).
    kind_weight = segment_running(row_weight, segment, np.maximum)
    fatalities = events.fatalities[pos]
    deaths = segment_running(np.where(np.isnan(fatalities), 0.0, fatalities), segment, np.maximum)
    happened = segment_running(
        np.minimum(events.end[pos], events.published[pos]), segment, np.minimum
    )
    days = np.sort(published)
    width = len(days) + 1
    row_key = segment * width + np.searchsorted(days, published, side="right")
    del segment, row_weight, fatalities

    # Each incident is known from its first publication on. (Leaving out the pairs of incidents
    # that decayed out, which weigh exactly 0.0, would move the others to other accumulators of
    # numpy's pairwise sum and change the last bit of some totals: they stay.)
    seg_from = published[seg_first]
    cell_rank = np.searchsorted(days, cells.t, side="right")

    def pairs(at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cell, incident) pairs for the cells ``at``, by cell then incident-id order."""
        by_time = at[np.lexsort((cells.t[at], cells.code[at]))]
        times = np.unique(cells.t[by_time])
        span = len(times) + 1
        key = cells.code[by_time] * span + np.searchsorted(times, cells.t[by_time])
        lo = np.searchsorted(key, seg_country * span + np.searchsorted(times, seg_from))
        hi = np.searchsorted(key, (seg_country + 1) * span)
        inc, slot = expand(lo, hi - lo)
        cell = by_time[slot]
        order = np.lexsort((inc, cell))
        return cell[order], inc[order]

    def sums(cell, inc, at, sorted_groups):
        state = np.searchsorted(row_key, inc * width + cell_rank[cell], side="right") - 1
        age_days = (cells.t[cell] - happened[state]) / DAY_US
        decay = np.power(0.5, age_days / half_life_days)
        counted = decay >= min_weight
        weight = np.where(
            counted,
            kind_weight[state] * (1.0 + fatality_factor * np.log1p(deaths[state])) * decay,
            0.0,
        )
        sizes = np.bincount(np.searchsorted(at, cell), minlength=len(at))
        total, _ = segment_sums(weight, sizes, sorted_groups=sorted_groups)
        return total, bool(np.isnan(weight).any()), cell[counted], state[counted], inc[counted]

    # Slices of consecutive cells with at most max_pairs pairs each (a cell with more is
    # a slice of its own), counted without making any pair.
    counts = _pairs_per_cell(cells, seg_country, seg_from)
    bounds = _slices(counts, max_pairs)
    total = np.zeros(cells.n)
    cited: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    nan_seen = False
    for start, stop in bounds:
        at = np.arange(start, stop)
        cell, inc = pairs(at)
        part, nan, *kept = sums(cell, inc, at, True)
        total[start:stop] = part
        nan_seen |= nan
        cited.append(kept)
    if nan_seen:  # pandas summed with Kahan once any weight was NaN: do the same everywhere
        for start, stop in bounds:
            at = np.arange(start, stop)
            total[start:stop] = sums(*pairs(at), at, False)[0]
    value = np.where(monitored, total, np.nan)

    none = np.zeros(0, dtype=np.intp)
    cited_cell, cited_state, cited_inc = (
        (np.concatenate([none, *part]) for part in zip(*cited, strict=True))
        if cited
        else (none, none, none)
    )

    def build(reps: np.ndarray) -> np.ndarray:
        chosen = np.flatnonzero(np.isin(cited_cell, reps))
        owner = np.searchsorted(reps, cited_cell[chosen])
        first = seg_first[cited_inc[chosen]]
        sizes = cited_state[chosen] - first + 1
        which, position = expand(first, sizes)
        owner, original = owner[which], pos[position]
        order = np.lexsort((original, owner))
        return tuples(events.ids[original[order]], np.bincount(owner, minlength=len(reps)))

    rep = representatives(cited_cell, cited_state, cells.n)
    return cells.frame(value, value.copy(), value.copy(), shared_tuples(cells.n, rep, build))


def _pairs_per_cell(cells: Cells, seg_country: np.ndarray, seg_from: np.ndarray) -> np.ndarray:
    """How many incidents of its country each cell knows (first published by its date)."""
    times = np.unique(np.concatenate([seg_from, cells.t]))
    span = len(times) + 1
    start_key = np.sort(seg_country * span + np.searchsorted(times, seg_from))
    cell_key = cells.code * span + np.searchsorted(times, cells.t)
    return np.searchsorted(start_key, cell_key, side="right") - np.searchsorted(
        start_key, cells.code * span
    )


def _slices(counts: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Consecutive (start, stop) ranges covering all cells, each with about ``budget`` pairs."""
    n = len(counts)
    if n == 0:
        return []
    running = np.cumsum(counts)
    if running[-1] <= budget:
        return [(0, n)]
    cuts = np.searchsorted(running, np.arange(budget, running[-1], budget), side="right")
    cuts = np.unique(np.clip(np.concatenate([[0], cuts, [n]]), 0, n))
    return [(int(a), int(b)) for a, b in pairwise(cuts.tolist())]
