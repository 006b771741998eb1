"""Words a reader trusts, on the embedded data: a trend call that respects the interval, what
happened in the period (dated, with deaths), and why each indicator moved in plain words.

Expectations are computed here from ``scoring`` (the interval, ``attribute_change``) and the
evidence tables, never copied from a report.
"""

from __future__ import annotations

import pandas as pd
import pytest

from fragwatch.reports.build import build_report
from fragwatch.reports.data import gather
from fragwatch.reports.words import DETERIORATED, UNCHANGED, trend_call
from fragwatch.scoring.explain import attribute_change

from .report_helpers import Sections


def report(evidence, spec, as_of: str, since: str):
    data = gather(evidence, spec, "TJK", pd.Timestamp(as_of), pd.Timestamp(since))
    return data, build_report(data, methodology_url="https://fragwatch.example.org/m.md")


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_year_of_repression_and_returns_is_called_deteriorated(evidence, spec):
    data, built = report(evidence, spec, "2016-01-31", "2015-01-31")
    reference = data.previous.score  # open data scored Tajikistan on 2015-01-31 too
    assert not pd.isna(reference)
    assert reference < data.interval.low  # outside the interval: a real move
    assert built.view["headline"]["trend"] == DETERIORATED
    text = flat(built.text)
    assert text.startswith("FRAGWATCH RISK REPORT")
    assert (
        f"Deteriorated: the score rose from {reference:.1f} ({data.previous.band})"
        f" on {data.since.date()} to {data.now.score:.1f} ({data.now.band})"
    ) in text
    assert "(withheld then)" not in text
    html = Sections(built.html(lambda c: c.filename))
    assert html.keys.count(f"data-trend={DETERIORATED}") == 1


def test_a_week_inside_the_interval_is_no_significant_change(evidence, spec):
    data, built = report(evidence, spec, "2016-01-31", "2016-01-24")
    low, high = data.interval.low, data.interval.high
    assert data.score_change < 0  # the point estimate fell...
    assert low <= data.previous.score <= high  # ...inside the 90% interval
    assert built.view["headline"]["trend"] == UNCHANGED
    text = flat(built.text)
    assert "No significant change:" in text
    assert "the score fell from" not in text  # never a fall read out of noise


def test_the_trend_call_needs_the_earlier_score_outside_the_interval():
    assert trend_call(68.9, 69.1, 67.6, 70.2) == UNCHANGED
    assert trend_call(68.9, 28.6, 67.6, 70.2) == DETERIORATED
    assert trend_call(40.0, 55.0, 38.0, 42.0) == "improved"
    assert trend_call(float("nan"), 55.0, 38.0, 42.0) is None


def test_what_happened_lists_the_events_of_the_period_dated_with_deaths(evidence, spec):
    data, built = report(evidence, spec, "2016-01-31", "2015-01-31")
    ev = evidence.events
    period = ev[(ev["country"] == "TJK") & (ev["published"] > data.since)
                & (ev["published"] <= data.as_of)]  # fmt: skip
    assert len(period) > 0
    happened = built.view["happened"]
    assert happened["deaths"] == str(int(period["fatalities"].sum()))
    shown = len(happened["events"]) + happened["more_events"]
    assert shown == len(period)
    newest = period.sort_values("date", ascending=False).iloc[0]
    assert happened["events"][0]["date"] == newest["date"]
    text = flat(built.text)
    assert f"WHAT HAPPENED SINCE {data.since.date()}" in text
    assert flat(str(newest["description"])) in text


@pytest.mark.parametrize(("as_of", "since"), [("2017-08-31", "2016-12-31")])
def test_a_weight_moved_by_stale_evidence_is_said_in_plain_words(evidence, spec, as_of, since):
    data, built = report(evidence, spec, as_of, since)
    change = attribute_change(data.before, data.now)
    stale = change.index[change["reason"] == "evidence went stale"]
    assert len(stale) > 0  # some indicators went stale in this period
    moved_by_weight = change["from_reweighting"] > 0.005
    heavier = change[moved_by_weight & ~change["reason"].isin(["evidence went stale",
                                                                "newly covered"])]  # fmt: skip
    assert len(heavier) > 0
    rows = {c["code"]: c for c in built.view["changes"]}
    for code in heavier.index.intersection(list(rows)):
        why = rows[code]["why"]
        assert f"now weighs more because {len(stale)} other indicator(s) went stale" in why
        assert str(change.at[stale[0], "name"]) in why
    # No accounting words in the reader's text.
    assert "reweighting" not in built.text


def test_a_mover_against_the_trend_says_so(evidence, spec):
    # February 2016: the score rose 15 points while new evidence lowered remittances.
    data, built = report(evidence, spec, "2016-02-01", "2016-01-01")
    change = data.change
    total = data.score_change
    against = change[change["delta"] * total < 0]
    assert total > 0
    assert len(against) > 0
    summary = built.view["headline"]["summary"]
    assert f"Against the trend: {against.iloc[0]['name']}" in summary
    main = summary.split("Main driver: ", 1)[1]
    top_with = change[change["delta"] * total > 0].iloc[0]
    assert main.startswith(str(top_with["name"]))
