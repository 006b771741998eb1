"""Charts that say what they show: alert markers name their rule, unit labels are whole, a
weekly report's weeks get a readable axis of their own, score labels sit the way the points do.

The history chart is checked as a reader sees it (the figure's axes limits, legend and label
texts, where labels are drawn), not by its pixels.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import num2date

from fragwatch.reports.charts import _short, draw_charts, history_figure, indicators_figure
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


def legend_texts(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_a_weekly_report_zooms_in_on_its_weeks_under_the_five_year_view(evidence, spec):
    data = gather(evidence, spec, "TJK", pd.Timestamp("2026-11-30"), pd.Timestamp("2026-11-23"))
    fig = history_figure(data)
    _context, zoom = fig.axes
    days = [(num2date(ax.get_xlim()[1]) - num2date(ax.get_xlim()[0])).days for ax in fig.axes]
    assert days[0] > 4 * 365  # the long view: five years of history
    assert 90 <= days[1] <= 120  # the zoom: about a quarter, so one week is a readable span
    left, right = (pd.Timestamp(num2date(x)).tz_localize(None) for x in zoom.get_xlim())
    assert left < pd.Timestamp("2026-11-23")
    assert pd.Timestamp("2026-11-30") < right
    assert zoom.get_title(loc="left").startswith("Zoomed in:")


def test_a_yearly_report_keeps_one_axis_over_its_history(evidence, spec):
    data = gather(evidence, spec, "TJK", pd.Timestamp("2016-01-31"), pd.Timestamp("2015-01-31"))
    (ax,) = history_figure(data).axes
    assert pd.Timestamp(num2date(ax.get_xlim()[0])).year == 2011


def test_each_alert_rule_has_its_own_marker_named_in_the_legend(evidence, spec):
    data = gather(evidence, spec, "TJK", pd.Timestamp("2016-03-31"), pd.Timestamp("2016-02-29"))
    fired = pd.DataFrame(
        [("score-high", "TJK", pd.Timestamp("2016-02-01")),
         ("band-change", "TJK", pd.Timestamp("2016-02-01")),
         ("remittances-dependence", "TJK", pd.Timestamp("2014-01-31"))],
        columns=["rule", "subject", "date"],
    )  # fmt: skip
    fig = history_figure(replace(data, fired=fired))
    texts = legend_texts(fig)
    # The 2014 firing is outside the zoomed year: still named, from the long view.
    for rule in ("score-high", "band-change", "remittances-dependence"):
        assert texts.count(f"alert fired: {rule}") == 1
    assert not any("rule named" in t for t in texts)
    markers = {
        line.get_label(): (line.get_marker(), line.get_color())
        for line in fig.axes[-1].get_lines()
        if line.get_label().startswith("alert fired")
    }
    assert len(set(markers.values())) == len(markers) == 2  # told apart without the legend


@pytest.mark.parametrize(
    ("as_of", "since"), [("2016-12-31", "2016-01-31"), ("2016-01-31", "2015-01-31")]
)
def test_the_higher_score_is_labelled_above_the_lower_one(evidence, spec, as_of, since):
    data = gather(evidence, spec, "TJK", pd.Timestamp(as_of), pd.Timestamp(since))
    fig = history_figure(data)
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[-1]
    shown = {t.get_text(): t.get_window_extent().y0 for t in ax.texts}
    high, low = sorted([data.now.score, data.previous.score], reverse=True)
    assert f"{high:.1f}" in shown
    assert f"{low:.1f}" in shown
    assert shown[f"{high:.1f}"] > shown[f"{low:.1f}"]


def test_no_axis_label_of_the_history_is_cut(evidence, spec):
    data = gather(evidence, spec, "TJK", pd.Timestamp("2026-11-30"), pd.Timestamp("2026-11-23"))
    for ax in history_figure(data).axes:
        label = ax.get_ylabel()
        assert label.replace("\n", " ") == "fragility score (0-100)"


def test_every_unit_label_of_the_indicator_panels_is_whole(evidence, spec):
    data = gather(evidence, spec, "TJK", pd.Timestamp("2016-01-31"), pd.Timestamp("2015-01-31"))
    fig = indicators_figure(data)
    drawn = [ax for ax in fig.axes if ax.get_visible()]
    units = [
        str(data.indicators.at[c, "unit"])
        for c in data.indicators.index
        if data.raw["value"][c].notna().any()
    ]
    assert len(drawn) == len(units)
    assert "percent of population" in units  # the label that used to read "percent of popula..."
    shown = [" ".join(ax.get_ylabel().split()) for ax in drawn]
    assert shown == units
    assert all(len(line) <= 18 for ax in drawn for line in ax.get_ylabel().split("\n"))
