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


def test_a_withheld_report_names_indicators_without_evidence_instead_of_empty_panels(
    evidence, strict_spec
):
    # Open data alone is below the strict desk's minimum: withheld, report indicators empty.
    spec = strict_spec
    data = gather(evidence, spec, "TJK", pd.Timestamp("2026-11-30"), pd.Timestamp("2026-11-23"))
    assert pd.isna(data.now.score)
    value = data.raw["value"]
    empty = [c for c in data.indicators.index if value[c].isna().all()]
    assert empty  # indicators with no evidence in the five-year window
    chart = next(c for c in draw_charts(data) if c.name == "indicators")
    names = [str(data.indicators.at[c, "name"]) for c in empty]
    assert f"No evidence in this window: {', '.join(names)}." in chart.alt
    assert f"Raw values of the {len(data.indicators) - len(empty)} indicators" in chart.alt
