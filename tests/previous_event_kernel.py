"""The event kernel as it was before it paired cells only with incidents that can count.

Kept verbatim (from ``fragwatch.indicators.kernels.events`` at the commit before) as the
"before" of ``test_event_kernel_slices``: the new kernel must give the same bits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fragwatch.indicators.kernels.arrays import DAY_US, Cells, Rows, lookup
from fragwatch.indicators.kernels.segments import (
    expand,
    offsets,
    representatives,
    run_starts,
    segment_running,
    segment_sums,
    shared_tuples,
    tuples,
)


def decayed_events_cells(
    cells: Cells,
    events: Rows,
    severity: dict[str, float],
    half_life_days: float,
    fatality_factor: float,
    monitored: np.ndarray,
    min_weight: float = 0.05,
) -> pd.DataFrame:
    """``decayed_events`` on array views (see ``transforms``); ``monitored``: a bool per cell.

    An incident's known state (highest kind weight and fatalities, earliest date over its rows
    published by a date) is a running aggregate over its rows in publication order, read at
    the last row a cell knows. Cells are paired with their country's incidents, in incident-id
    order, and the weights summed in that order as pandas did.
    """
    kinds = np.empty(len(severity), dtype=object)
    kinds[:] = list(severity)
    kind = lookup(events.kind, kinds)
    country = cells.codes_of(events.country)
    keep = np.flatnonzero((kind >= 0) & (country >= 0) & ~pd.isna(events.incident))
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

    # Running state of each incident, row by row (a reset per incident via segment offsets).
    kind_weight = segment_running(row_weight, segment, np.maximum)
    fatalities = events.fatalities[pos]
    deaths = segment_running(np.where(np.isnan(fatalities), 0.0, fatalities), segment, np.maximum)
    happened = segment_running(
        np.minimum(events.end[pos], events.published[pos]), segment, np.minimum
    )

    # Pair each cell with the incidents of its country; keep those known by the cell's date.
    per_country = np.bincount(seg_country, minlength=len(cells.countries))
    country_first = offsets(per_country)
    cell, inc = expand(country_first[cells.code], per_country[cells.code])
    days = np.sort(published)
    width = len(days) + 1
    row_key = segment * width + np.searchsorted(days, published, side="right")
    cell_rank = np.searchsorted(days, cells.t, side="right")
    state = np.searchsorted(row_key, inc * width + cell_rank[cell], side="right") - 1
    known = state >= seg_first[inc]
    cell, inc, state = cell[known], inc[known], state[known]

    age_days = (cells.t[cell] - happened[state]) / DAY_US
    decay = np.power(0.5, age_days / half_life_days)
    counted = decay >= min_weight
    weight = np.where(
        counted,
        kind_weight[state] * (1.0 + fatality_factor * np.log1p(deaths[state])) * decay,
        0.0,
    )
    # pandas summed a table sorted by (country, as_of, incident_id): sorted group ids.
    total, _ = segment_sums(weight, np.bincount(cell, minlength=cells.n), sorted_groups=True)
    value = np.where(monitored, total, np.nan)

    cited_cell, cited_state = cell[counted], state[counted]
    cited_inc = inc[counted]

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
