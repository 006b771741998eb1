"""Latest and previous period readings: the level and change kernels.

A cell's latest reading is the tie group (rows of one country with the same period end and
publication date) with the greatest (end, published) among the rows it knows. As those rows
are a prefix in publication order, it is a running maximum read at the prefix's end, computed
once for all cells. ``change`` also needs the group before it: the latest among the known rows
whose period ended before the latest one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fragwatch.indicators.kernels.arrays import DAY_US, Cells, Known, Rows
from fragwatch.indicators.kernels.segments import (
    expand,
    run_sizes,
    run_starts,
    segment_means,
    spread,
    tuples,
)


class _Latest:
    """Per cell, the tie group of the latest known period, and optionally of the one before.

    A tie group is the set of rows of one country with the same period end and the same
    publication date. The latest reading known to a cell is the group with the greatest
    (end, published) among the rows it knows; as those rows are a prefix in publication order,
    it is a running maximum read at the prefix's end. All rows of that group were published on
    the same day, so the cell knows all of them: each group is averaged once for all cells.

    With ``previous``, also the group that ``latest`` would give among the known rows whose
    period ended before the latest one (the basis of a change).
    """

    def __init__(self, cells: Cells, rows: Rows, previous: bool = False) -> None:
        known = Known(cells, rows.country, rows.published)
        self.rows = rows
        end, pub, code = rows.end[known.pos], known.pub, known.code
        n = known.n
        # Tie groups, numbered in (country, end, published) order; rows in original order.
        order = np.lexsort((pub, end, code))
        new = np.ones(n, dtype=bool)
        if n:
            s_code, s_end, s_pub = code[order], end[order], pub[order]
            new[1:] = (s_code[1:] != s_code[:-1]) | (s_end[1:] != s_end[:-1])
            new[1:] |= s_pub[1:] != s_pub[:-1]
        group = np.empty(n, dtype=np.intp)
        group[order] = np.cumsum(new) - 1
        self.starts = np.flatnonzero(new)
        self.sizes = run_sizes(self.starts, n)
        self.members = known.pos[order]  # original row positions, group by group
        self.end = rows.end[self.members[self.starts]]

        # Group codes increase with the country, so one running maximum serves all countries.
        running = np.maximum.accumulate(group) if n else group
        has = known.hi > known.lo
        last = known.hi[has] - 1
        self.latest = np.full(cells.n, -1, dtype=np.intp)
        self.latest[has] = running[last]
        if previous:
            self.previous = np.full(cells.n, -1, dtype=np.intp)
            self.previous[has] = self._before_latest(code, end, group, running)[last]

    def _before_latest(
        self, code: np.ndarray, end: np.ndarray, group: np.ndarray, running: np.ndarray
    ) -> np.ndarray:
        """Per sorted row: the best group among rows up to it that ended before the latest.

        An epoch is a run of rows (of one country) over which the latest end stays the same.
        Rows before the epoch all ended earlier, and the best of them is the running maximum
        just before the epoch; rows inside the epoch count only if they ended earlier.
        """
        n = len(group)
        if not n:
            return group
        latest_end = self.end[running]
        country_start = run_starts(code)
        epoch_start = country_start | run_starts(latest_end)
        epoch = np.cumsum(epoch_start) - 1
        first = np.flatnonzero(epoch_start)
        carried = np.where(country_start[first], -1, running[np.maximum(first - 1, 0)])
        earlier = np.where(end < latest_end, group, -1)
        width = len(self.starts) + 1
        inside = np.maximum.accumulate(epoch * width + earlier + 1) - epoch * width - 1
        return np.maximum(carried[epoch], inside)

    def means(self, groups: np.ndarray, sorted_groups: bool) -> tuple[np.ndarray, ...]:
        """Mean point, low and high (missing bounds filled with the point) of each group.

        ``groups`` are the groups of all cells reduced together (one per cell, in grid order);
        ``sorted_groups`` says whether those cells were in (country, as_of) order.
        """
        unique, which = np.unique(groups, return_inverse=True)
        _, position = expand(self.starts[unique], self.sizes[unique])
        rows = self.members[position]
        sizes = self.sizes[unique]
        point = self.rows.point[rows]
        out = []
        for values in (point, self.rows.low[rows], self.rows.high[rows]):
            filled = values if values is point else np.where(np.isnan(values), point, values)
            out.append(segment_means(filled, sizes, sorted_groups)[which])
        return tuple(out)

    def ids(self, groups: np.ndarray) -> np.ndarray:
        """The evidence-id tuple of each group (ids in original row order)."""
        _, position = expand(self.starts[groups], self.sizes[groups])
        return tuples(self.rows.ids[self.members[position]], self.sizes[groups])


def _combined_ids(
    n: int, cells: np.ndarray, parts: Sequence[tuple[_Latest, np.ndarray]]
) -> np.ndarray:
    """Per cell, the concatenated id tuples of one group from each part (e.g. prev + latest)."""
    key = np.zeros(len(cells), dtype=np.int64)
    for latest, groups in parts:
        key = key * (len(latest.starts) + 1) + groups
    unique, first, which = np.unique(key, return_index=True, return_inverse=True)
    pieces = [latest.ids(groups[first]) for latest, groups in parts]
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = np.fromiter(
            (a + b for a, b in zip(joined, piece, strict=True)), dtype=object, count=len(unique)
        )
    return spread(n, cells, which, joined)


def _latest_readings(cells: Cells, found: _Latest) -> tuple[np.ndarray, ...]:
    """Per cell with a known observation: its position and the latest point, low, high."""
    has = np.flatnonzero(found.latest >= 0)
    point, low, high = found.means(found.latest[has], cells.in_key_order(has))
    return has, point, low, high


def latest_observation_cells(cells: Cells, obs: Rows) -> pd.DataFrame:
    """``latest_observation`` on array views (see ``transforms.latest_observation``)."""
    found = _Latest(cells, obs)
    has, point, low, high = _latest_readings(cells, found)
    country_rank = np.argsort(np.argsort(cells.countries))
    order = np.lexsort((cells.t[has], country_rank[cells.code[has]]))
    at, g = has[order], found.latest[has[order]]
    unique, which = np.unique(g, return_inverse=True)
    return pd.DataFrame(
        {
            "country": cells.grid["country"].to_numpy()[at],
            "as_of": cells.as_of[at],
            "point": point[order],
            "low": low[order],
            "high": high[order],
            "period_end": found.end[g].view("datetime64[us]"),
            "obs_ids": found.ids(unique)[which] if len(at) else np.empty(0, dtype=object),
        }
    )


def level_cells(
    cells: Cells,
    obs: Rows,
    staleness_days: int,
    denominator: Rows | None = None,
    scale: float = 1.0,
) -> pd.DataFrame:
    """``level`` on array views (see ``transforms.level``)."""
    found = _Latest(cells, obs)
    has, *reading = _latest_readings(cells, found)
    fresh = cells.t[has] - found.end[found.latest[has]] <= staleness_days * DAY_US
    at, reading = has[fresh], [x[fresh] for x in reading]
    g = found.latest[at]
    parts = [(found, g)]
    if denominator is not None:
        base = _Latest(cells, denominator)
        base_has, base_point, _, _ = _latest_readings(cells, base)
        per_cell = np.full(cells.n, np.nan)
        per_cell[base_has] = base_point
        with_base = base.latest[at] >= 0
        at, g, reading = at[with_base], g[with_base], [x[with_base] for x in reading]
        point = per_cell[at]
        reading = [x / point * scale for x in reading]
        parts = [(found, g), (base, base.latest[at])]
    out = [cells.nan(), cells.nan(), cells.nan()]
    for column, values in zip(out, reading, strict=True):
        column[at] = values
    return cells.frame(*out, _combined_ids(cells.n, at, parts))


def change_cells(cells: Cells, obs: Rows, staleness_days: int) -> pd.DataFrame:
    """``change`` on array views (see ``transforms.change``)."""
    found = _Latest(cells, obs, previous=True)
    has, *reading = _latest_readings(cells, found)
    ok = (cells.t[has] - found.end[found.latest[has]] <= staleness_days * DAY_US) & (
        found.previous[has] >= 0
    )
    at, reading = has[ok], [x[ok] for x in reading]
    g, p = found.latest[at], found.previous[at]
    base, _, _ = found.means(p, cells.in_key_order(at))
    out = [cells.nan(), cells.nan(), cells.nan()]
    for column, values in zip(out, reading, strict=True):
        column[at] = (values - base) / base * 100.0
    return cells.frame(*out, _combined_ids(cells.n, at, [(found, p), (found, g)]))


def per_head(panel: pd.DataFrame, cells: Cells, denominator: Rows, scale: float) -> pd.DataFrame:
    """A panel's value, low and high divided by the latest known denominator (population) and
    multiplied by ``scale``; the denominator's evidence ids join the cell's. A cell with no
    denominator known becomes NaN: a count cannot be compared across countries without it."""
    base = _Latest(cells, denominator)
    has, point, _, _ = _latest_readings(cells, base)
    per_cell = np.full(cells.n, np.nan)
    per_cell[has] = point
    out = panel.copy()
    for column in ("value", "low", "high"):
        out[column] = panel[column].to_numpy(float) / per_cell * scale
    ids = out["evidence_ids"].to_numpy(dtype=object)
    valued = np.flatnonzero(~np.isnan(out["value"].to_numpy(float)) & (base.latest >= 0))
    base_ids = base.ids(base.latest[valued]) if len(valued) else np.empty(0, dtype=object)
    joined = np.empty(cells.n, dtype=object)
    joined[:] = [()] * cells.n
    for at, extra in zip(valued, base_ids, strict=True):
        own = ids[at] if isinstance(ids[at], tuple) else ()
        joined[at] = own + extra
    out["evidence_ids"] = joined
    return out
