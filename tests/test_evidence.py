"""The embedded evidence base: figures cited verbatim, ranges and bounds kept, units normalised."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pandas as pd
import pytest

from fragwatch.evidence.files import default_evidence_dir
from fragwatch.evidence.periods import parse_periods
from fragwatch.evidence.quotes import quote_problems, require_verbatim_quotes, shipped_rows

from .conftest import REPO

SHARED = REPO.parent / "shared"


def test_every_quote_appears_verbatim_in_its_source(evidence):
    assert quote_problems(evidence).empty
    # Every report row is checked against its text; the open-data rows are checked against
    # their shipped release files by digest instead (test_open_layer).
    report_rows = len(evidence.observations) + len(evidence.events) - shipped_rows(evidence)
    assert report_rows > 100
    assert require_verbatim_quotes(evidence) == report_rows


def test_stored_texts_are_the_original_files_byte_for_byte():
    """Each stored text hashes to what the original hashed to when it was copied.

    The recorded hashes travel with the package, so this holds on any clone; where the original
    files are at hand (the shared folder beside the repository), they are checked too.
    """
    data = default_evidence_dir()
    lines = (data / "ORIGINALS.sha256").read_text(encoding="utf-8").splitlines()
    recorded = [line.split() for line in lines if line and not line.startswith("#")]
    stored = sorted(p.name for p in (data / "texts").iterdir())
    assert sorted(name for _, name, _ in recorded) == stored
    for digest, name, origin in recorded:
        assert hashlib.sha256((data / "texts" / name).read_bytes()).hexdigest() == digest, name
        original = SHARED / origin
        if original.exists():
            assert hashlib.sha256(original.read_bytes()).hexdigest() == digest, origin


def test_quotes_of_a_source_come_from_its_own_section(evidence):
    # The 2011 report and the 2016 op-ed share one file; a 2016 figure must not be dated 2011.
    early = evidence.observations[evidence.observations["source_id"] == "icg-asia205-2011"]
    for quote in early["quote"]:
        assert quote in evidence.texts["icg-asia205-2011"]
    assert "banned and labelled terrorist" not in evidence.texts["icg-asia205-2011"]
    assert "banned and labelled terrorist" in evidence.texts["icg-oped-nee-2016"]


def test_heroin_seizures_are_normalised_to_kg(evidence):
    heroin = evidence.observations.query("quantity == 'heroin_seizures'").set_index("period")
    assert heroin.loc["2008", "unit"] == "kg"
    assert heroin.loc["2008", "point"] == pytest.approx(1450.0)
    assert heroin.loc["2014", "point"] == pytest.approx(508.0)
    assert "1.45 tons" in heroin.loc["2008", "quote"]


def test_ranges_and_bounds_are_kept_as_such(evidence):
    obs = evidence.observations
    returns = obs[(obs["quantity"] == "migrant_returns")].iloc[0]
    assert (returns["low"], returns["high"]) == (300000, 400000)
    assert math.isnan(returns["value"])
    assert returns["point"] == 350000

    more_than_40 = obs[
        (obs["quantity"] == "remittances_gdp") & (obs["source_id"] == "icg-b78-2016")
    ]
    row = more_than_40.iloc[0]
    assert row["low"] == 40
    assert math.isnan(row["high"])
    assert math.isnan(row["value"])
    assert "more than 40 per cent" in row["quote"]
    assert row["unit"] == "percent"


def test_open_series_cover_their_years_and_cite_the_data_line(evidence):
    obs = evidence.observations
    wdi = obs[(obs["source_id"] == "wdi-2025-remittances") & (obs["country"] == "TJK")]
    assert sorted(wdi["period"].astype(int)) == list(range(2002, 2025))
    row = wdi.set_index("period").loc["2008"]
    assert row["quote"] == "TJK,2008,44.12654"
    # Point-in-time: a year's figure is known only after that year.
    assert (wdi["published"] > wdi["period_end"]).all()
    tjk_deaths = obs[(obs["quantity"] == "conflict_deaths") & (obs["country"] == "TJK")]
    ged = tjk_deaths[tjk_deaths["source_id"] == "ucdp-ged-19.1-owid"]
    assert sorted(ged["period"].astype(int)) == list(range(1989, 2019))
    ucdp = tjk_deaths[tjk_deaths["source_id"] == "ucdp-cy-25.1"]
    assert sorted(ucdp["period"].astype(int)) == list(range(1991, 2025))


def test_every_event_names_a_kind_date_and_source(evidence):
    ev = evidence.events
    assert {"opposition_ban", "border_raid", "security_defection", "exiled_leader_killed"} <= set(
        ev["kind"]
    )
    assert ev["date_start"].notna().all()
    assert (ev["published"] >= ev["date_start"]).all()
    lakkon = ev[ev["kind"] == "border_raid"].iloc[0]
    assert lakkon["fatalities"] == 13


def test_known_by_drops_what_was_published_later(evidence):
    early = evidence.known_by("2012-01-01")
    assert (early.observations["published"] <= pd.Timestamp("2012-01-01")).all()
    assert "tjk-heroin_seizures-2014-icg-b78" not in early.observations.index
    assert len(early.events) < len(evidence.events)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2015", "2015-01-01", "2015-12-31"),
        ("2015-H1", "2015-01-01", "2015-06-30"),
        ("2015-H2", "2015-07-01", "2015-12-31"),
        ("2015-Q3", "2015-07-01", "2015-09-30"),
        ("2016-02", "2016-02-01", "2016-02-29"),
        ("2015-09-16", "2015-09-16", "2015-09-16"),
    ],
)
def test_periods_parse_to_their_first_and_last_day(text, start, end):
    parsed = parse_periods(pd.Series([text])).iloc[0]
    assert parsed["start"] == pd.Timestamp(start)
    assert parsed["end"] == pd.Timestamp(end)


@pytest.mark.parametrize("text", ["2015-13", "2015-02-30", "15", "2015-Q5", "May 2015", ""])
def test_bad_periods_do_not_parse(text):
    parsed = parse_periods(pd.Series([text])).iloc[0]
    assert pd.isna(parsed["start"])
    assert pd.isna(parsed["end"])


def test_default_dir_is_inside_the_package():
    assert Path(default_evidence_dir(), "sources.csv").exists()
