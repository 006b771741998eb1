"""The window-max kernel: the largest estimate among known observations still current.

Each cell is paired with every row of its country it knows (an ``expand`` of its known range);
pairs whose period ended outside the window are dropped, and the first maximum of each cell's
pairs, in original row order, is its reading. All pairs in the window are cited.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fragwatch.indicators.kernels.arrays import DAY_US, Cells, Known, Rows
from fragwatch.indicators.kernels.segments import (
    expand,
    offsets,
    representatives,
    run_sizes,
    run_starts,
    shared_tuples,
    tuples,
)


def window_max_cells(cells: Cells, obs: Rows, window_days: int) -> pd.DataFrame:
    """``window_max`` on array views (see ``transforms.window_max``)."""
    known = Known(cells, obs.country, obs.published)
    cell, row = expand(known.lo, known.hi - known.lo)
    pos = known.pos[row]
    t, end = cells.t[cell], obs.end[pos]
    window = window_days * DAY_US
    inside = (t - end <= window) & (end - window <= t)
    cell, pos = cell[inside], pos[inside]
    order = np.lexsort((pos, cell))
    cell, pos = cell[order], pos[order]
    out = [cells.nan(), cells.nan(), cells.nan()]
    if len(cell):
        first = np.flatnonzero(run_starts(cell))
        run = np.repeat(np.arange(len(first)), run_sizes(first, len(cell)))
        point = obs.point[pos]
        best = np.fmax.reduceat(point, first)
        top = np.flatnonzero(point == best[run])
        top = top[run_starts(run[top])]  # the first maximum of each cell
        at, chosen = cell[top], pos[top]
        value = obs.point[chosen]
        out[0][at] = value
        out[1][at] = np.where(np.isnan(obs.low[chosen]), value, obs.low[chosen])
        out[2][at] = np.where(np.isnan(obs.high[chosen]), value, obs.high[chosen])

    def build(reps: np.ndarray) -> np.ndarray:
        counts = np.bincount(cell, minlength=cells.n)
        first_pair = offsets(counts)
        _, position = expand(first_pair[reps], counts[reps])
        return tuples(obs.ids[pos[position]], counts[reps])

    rep = representatives(cell, pos, cells.n)
    return cells.frame(*out, shared_tuples(cells.n, rep, build))
