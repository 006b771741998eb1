"""Charts that say what they show: alert markers name their rule, unit labels are whole."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from fragwatch.reports.charts import _short, draw_charts
from fragwatch.reports.data import gather


def test_alert_markers_name_their_rules(evidence, spec):
    data = gather(evidence, spec, "TJK", pd.Timestamp("2016-03-31"), pd.Timestamp("2016-02-29"))
    fired = pd.DataFrame(
        [("score-high", "TJK", pd.Timestamp("2016-02-01")),
         ("band-change", "TJK", pd.Timestamp("2016-02-01"))],
        columns=["rule", "subject", "date"],
    )  # fmt: skip
    history = next(c for c in draw_charts(replace(data, fired=fired)) if c.name == "history")
    assert "score-high on 2016-02-01" in history.alt
    assert "band-change on 2016-02-01" in history.alt


def test_unit_labels_are_wrapped_never_cut():
    label = _short("percent of population")
    assert "\u2026" not in label
    assert label.replace("\n", " ") == "percent of population"
