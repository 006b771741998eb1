"""The event kernel pairs each date only with incidents that can count, a slice at a time.

Its results must be the same bits as the kernel before (which paired every date with every
incident of its country, kept in ``previous_event_kernel``): values, and the evidence ids each
cell cites, on awkward synthetic evidence, in one slice and in many slices of a few pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fragwatch.indicators import registered
from fragwatch.indicators.kernels.arrays import Cells, Rows
from fragwatch.indicators.kernels.events import decayed_events_cells
from tests.previous_event_kernel import decayed_events_cells as previous_kernel
from tests.test_transforms_equivalence import _dates, synthetic_evidence


def _same_bits(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert got.index.equals(expected.index)
    for column in ("value", "low", "high"):
        a, b = got[column].to_numpy(float), expected[column].to_numpy(float)
        assert np.array_equal(a.view(np.int64), b.view(np.int64)), column
    assert list(got["evidence_ids"]) == list(expected["evidence_ids"])


@pytest.fixture(scope="module")
def bases(evidence):
    return [evidence] + [synthetic_evidence(evidence, n_countries=6, seed=s) for s in (1, 2, 3)]


CASES = [
    # (half-life days, fatality factor, min weight)
    (365.0, 0.5, 0.05),
    (548.0, 0.5, 0.05),
    (30.0, 1.0, 0.05),
    (365.0, 0.5, 0.0),  # nothing decays out
    (365.0, 0.5, 0.9),
]


@pytest.mark.parametrize(("half_life", "factor", "min_weight"), CASES)
@pytest.mark.parametrize("max_pairs", [1, 7, 1_000_000])
def test_same_bits_as_before(bases, half_life, factor, min_weight, max_pairs):
    severity = dict(registered()["armed_violence"]().params["severity"])
    severity |= {"border_raid": 1.5, "riot": 0.3}
    for base in bases:
        countries, dates = [*base.countries, "ZZZ"], _dates(base)
        for order in (1, -1):  # the grid in either order
            cells = Cells.product(countries[::order], dates[::order])
            events = Rows.events(base.events)
            watched = np.arange(cells.n) % 5 != 0
            args = (cells, events, severity, half_life, factor, watched, min_weight)
            expected = previous_kernel(*args)
            got = decayed_events_cells(*args, max_pairs=max_pairs)
            assert expected["value"].notna().any()
            _same_bits(got, expected)


def test_counted_cells_cite_their_incidents(bases):
    """Not vacuous: some cells count several incidents, and a late date counts none."""
    base = bases[1]
    severity = {kind: 1.0 for kind in base.events["kind"].unique()}
    cells = Cells.product(base.countries, pd.DatetimeIndex(["2020-06-30", "2090-01-01"]))
    got = decayed_events_cells(
        cells, Rows.events(base.events), severity, 3650.0, 0.5, np.ones(cells.n, bool), 0.05, 3
    )
    recent = got.xs(pd.Timestamp("2020-06-30"), level="as_of")
    assert (recent["value"] > 2.0).any()
    assert any(len(ids) > 2 for ids in recent["evidence_ids"])
    late = got.xs(pd.Timestamp("2090-01-01"), level="as_of")
    assert (late["value"] == 0.0).all()
    assert all(ids == () for ids in late["evidence_ids"])
