"""Indicator readings checked against the figures in the sources, worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from fragwatch.evidence import Evidence
from fragwatch.indicators import get_indicator


def value(code, evidence, as_of, **params):
    panel = get_indicator(code)(**params).panel(evidence, ["TJK"], pd.DatetimeIndex([as_of]))
    return panel.iloc[0]


def test_heroin_fall_from_1450_to_508_kg_is_minus_65_percent(evidence):
    row = value("heroin_seizure_trend", evidence, "2016-01-31")
    assert row["value"] == pytest.approx((508 - 1450) / 1450 * 100)  # -64.97%
    assert set(row["evidence_ids"]) == {
        "tjk-heroin_seizures-2008-icg-b78",
        "tjk-heroin_seizures-2014-icg-b78",
    }
    # Both figures were first published in January 2016: before that, nothing is known.
    assert math.isnan(value("heroin_seizure_trend", evidence, "2015-12-31")["value"])


def test_migrant_returns_are_a_share_of_population_with_their_range(evidence):
    row = value("migrant_returns", evidence, "2016-01-31")
    assert row["value"] == pytest.approx(350000 / 8.2e6 * 100)
    assert row["low"] == pytest.approx(300000 / 8.2e6 * 100)
    assert row["high"] == pytest.approx(400000 / 8.2e6 * 100)


def test_latest_period_wins_and_a_revision_supersedes(evidence):
    # Jan 2016: the briefing's 'more than 40 per cent' for 2015 is the latest figure known.
    assert value("remittances_gdp", evidence, "2016-01-31")["value"] == pytest.approx(40.0)
    # After WDI publishes its 2015 figure (July 2016), the later-published figure for the
    # same period replaces the report's lower bound.
    assert value("remittances_gdp", evidence, "2016-08-01")["value"] == pytest.approx(27.30656)
    # Mid-2015, AFP's "around half" (May 2015, via Foreign Intrigue) was the latest figure;
    # before it, the latest WDI year then published (2013; 2014's came out in July 2015).
    assert value("remittances_gdp", evidence, "2015-12-31")["value"] == pytest.approx(50.0)
    assert value("remittances_gdp", evidence, "2015-06-01")["value"] == pytest.approx(43.76836)


def test_level_goes_stale(evidence):
    # UCDP's last year is 2024 (v25.1): two years (730 days) after it ended, it is dropped.
    assert not math.isnan(value("conflict_deaths", evidence, "2026-12-31")["value"])
    assert math.isnan(value("conflict_deaths", evidence, "2027-01-01")["value"])


def _one_event_base(evidence: Evidence, date: str, fatalities: str) -> Evidence:
    """The embedded sources with one synthetic border raid on a synthetic country."""
    events = pd.DataFrame(
        {
            "event_id": ["e1"],
            "country": ["ZZZ"],
            "kind": ["border_raid"],
            "incident_id": ["e1"],
            "fatalities": [float(fatalities)],
            "date_start": [pd.Timestamp(date)],
            "date_end": [pd.Timestamp(date)],
            "published": [pd.Timestamp(date)],
            "source_id": ["icg-b78-2016"],
        }
    )
    return Evidence(evidence.sources, evidence.observations.iloc[0:0], events)


def test_decayed_count_halves_after_one_half_life(evidence):
    base = _one_event_base(evidence, "2020-01-01", "0")
    ind = get_indicator("border_incidents")(half_life_days=100.0)
    dates = pd.DatetimeIndex(["2020-01-01", "2020-04-10", "2020-07-19"])
    panel = ind.panel(base, ["ZZZ"], dates)
    assert panel["value"].tolist() == pytest.approx([3.0, 1.5, 0.75])


def test_fatalities_raise_severity_logarithmically(evidence):
    base = _one_event_base(evidence, "2020-01-01", "10")
    panel = get_indicator("border_incidents")().panel(
        base, ["ZZZ"], pd.DatetimeIndex(["2020-01-01"])
    )
    assert panel["value"].iloc[0] == pytest.approx(3.0 * (1 + 0.5 * math.log(11)))


def test_incident_described_by_three_sources_counts_once(evidence):
    kuvatov = evidence.events[evidence.events["kind"] == "exiled_leader_killed"]
    assert kuvatov["incident_id"].nunique() == 1
    assert len(kuvatov) >= 2
    only_kuvatov = Evidence(evidence.sources, evidence.observations, kuvatov)
    ind = get_indicator("opposition_repression")(half_life_days=1e9)
    got = ind.panel(only_kuvatov, ["TJK"], pd.DatetimeIndex(["2016-03-31"]))["value"].iloc[0]
    assert got == pytest.approx(3.0 * (1 + 0.5 * math.log(2)))


def test_event_count_is_nan_when_nobody_reported_recently(evidence):
    # The only report before 2011 is IWPR's (autumn 2006); three years on, a zero would be
    # a guess, not a reading.
    assert value("border_incidents", evidence, "2008-12-31")["value"] > 0
    assert math.isnan(value("border_incidents", evidence, "2010-06-30")["value"])
