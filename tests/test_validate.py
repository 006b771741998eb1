"""`fragwatch validate`: outcomes checked by hand against the shipped UCDP lines, no look-ahead,
the contenders on the same rows, time-ordered folds with a gap, and the command's errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fragwatch.evidence import Evidence
from fragwatch.evidence.battle_deaths import state_based_deaths
from fragwatch.evidence.files import load_evidence
from fragwatch.scoring import outcomes
from fragwatch.scoring.assessment import indicator_panel
from fragwatch.scoring.validation import validate, year_ends, year_folds

from .conftest import MODEL_TOML, REPO, run_cli

PREFIX = "fragwatch: error: "

# Countries with wars, onsets and long calm, so every fold has both outcomes.
SOME = [
    "AFG", "AGO", "ARG", "BDI", "BFA", "CAF", "CMR", "COD", "COL", "DEU", "EGY", "ETH", "FRA",
    "GEO", "IND", "IRQ", "JPN", "KEN", "KGZ", "LBN", "LBY", "MLI", "MOZ", "NER", "NGA", "PAK",
    "PER", "PHL", "RUS", "SDN", "SOM", "SYR", "TCD", "THA", "TJK", "TUR", "UGA", "UKR", "YEM",
]  # fmt: skip


@pytest.fixture(scope="module")
def deaths() -> pd.DataFrame:
    return state_based_deaths()


@pytest.fixture(scope="module")
def some_evidence():
    return load_evidence([], countries=SOME)


def years(table: pd.DataFrame, country: str) -> list[int]:
    row = table.loc[country]
    return sorted(int(y) for y in row.index[row == 1])


# -- outcome definitions, checked by hand ---------------------------------------------------
# The shipped lines (iso3, year, sb_total_deaths_best_cy), read with zcat:
#   UKR 2012 0, 2013 0, 2014 4901, 2015 1894, 2021 208, 2022 91485, 2023 75080
#   SYR 2009 0, 2010 0, 2011 1206, 2012 50485, 2013 72013, 2022 973, 2023 1660
#   TJK 2008 0, 2009 17, 2010 98, 2011 28, 2012 0, 2020 0, 2021 16, 2022 87, 2023 0
#   MLI 2009 126, 2010 28, 2011 22, 2012 218, 2013 823


def test_shipped_deaths_are_the_ucdp_lines(deaths):
    assert deaths.loc["UKR", 2014] == 4901
    assert deaths.loc["SYR", 2012] == 50485
    assert deaths.loc["TJK", 2010] == 98
    assert deaths.loc["MLI", 2011] == 22


def test_onset_needs_two_calm_years(deaths):
    onset = outcomes.onset(deaths)
    assert 2014 in years(onset, "UKR")
    assert 2022 not in years(onset, "UKR")  # at war since 2014 (208 deaths in 2021)
    assert 2011 in years(onset, "SYR")
    assert 2012 not in years(onset, "SYR")
    assert {2010, 2022} <= set(years(onset, "TJK"))
    assert 2011 not in years(onset, "TJK")  # 98 deaths the year before
    # Mali 2012: 218 deaths after 22 in 2011 but 28 in 2010: one calm year only.
    assert 2012 not in years(onset, "MLI")


def test_escalation_doubles_and_passes_the_floor(deaths):
    up = outcomes.escalation(deaths)
    assert {2014, 2022} <= set(years(up, "UKR"))  # 0 -> 4,901; 208 -> 91,485
    assert 2015 not in years(up, "UKR")  # 4,901 -> 1,894
    assert {2011, 2012} <= set(years(up, "SYR"))  # 0 -> 1,206; 1,206 -> 50,485
    assert 2013 not in years(up, "SYR")  # 50,485 -> 72,013: not double
    assert 2023 not in years(up, "SYR")  # 973 -> 1,660: not double
    assert 2010 not in years(up, "TJK")  # 17 -> 98 doubles but stays under 100
    assert 2012 in years(up, "MLI")  # 22 -> 218


def test_incidence_is_25_deaths(deaths):
    inc = outcomes.incidence(deaths)
    assert {2010, 2011, 2022} <= set(years(inc, "TJK"))  # 98, 28, 87
    assert 2009 not in years(inc, "TJK")  # 17
    assert 2011 not in years(inc, "MLI")  # 22


def test_target_looks_ahead_over_the_horizon_and_only_at_countries_at_risk(deaths):
    one = outcomes.target(deaths, "onset", 1)
    assert one.loc["TJK", 2009] == 1  # calm 2008-2009, onset in 2010
    assert one.loc["TJK", 2008] == 0  # 2009: 17 deaths, no onset
    assert np.isnan(one.loc["TJK", 2010])  # at war at the forecast date: not at risk
    assert np.isnan(one.loc["TJK", 2024])  # 2025 is not in the data yet
    two = outcomes.target(deaths, "onset", 2)
    assert two.loc["TJK", 2008] == 1  # the 2010 onset is within two years
    inc = outcomes.target(deaths, "incidence", 1)
    assert inc.loc["UKR", 2013] == 1
    assert inc.loc["UKR", 2012] == 0


def test_baseline_is_the_last_published_year(deaths):
    last = outcomes.last_known_deaths(deaths)
    assert last.loc["UKR", 2015] == 4901  # a forecast at the end of 2015 knows 2014
    assert last.loc["SYR", 2012] == 1206


# -- the validation ----------------------------------------------------------------------------


def run(evidence, spec, deaths, first=2004, last=2014, outcome="incidence"):
    return validate(
        evidence,
        spec,
        deaths,
        SOME,
        list(range(first, last + 1)),
        outcome=outcome,
        horizon_years=1,
        splits=3,
    )


def plant(evidence, deaths):
    """No organised-violence deaths in Afghanistan in 2016 in the evidence (a figure UCDP
    published in mid-2017), and no battle deaths at all in the outcomes from 2016 on."""
    obs = evidence.observations.copy()
    row = "ucdp-cy-25.1:AFG:conflict_deaths:2016"
    assert row in obs.index
    for column in ("value", "point", "low", "high"):
        obs.loc[row, column] = 0.0
    planted = deaths.copy()
    planted.loc["AFG", [y for y in planted.columns if y >= 2016]] = 0.0
    # A new Evidence, not dataclasses.replace: nothing cached for the original may carry over.
    changed = Evidence(
        sources=evidence.sources, observations=obs, events=evidence.events, texts=evidence.texts
    )
    return changed, planted


def test_a_planted_future_value_changes_no_earlier_score_or_metric(some_evidence, spec, deaths):
    evidence, planted_deaths = plant(some_evidence, deaths)
    before = run(some_evidence, spec, deaths)
    after = run(evidence, spec, planted_deaths)
    pd.testing.assert_frame_equal(before.rows, after.rows)
    pd.testing.assert_frame_equal(before.contenders, after.contenders)
    pd.testing.assert_frame_equal(before.indicators, after.indicators)
    assert before.onsets.equals(after.onsets)

    # The plant is real: once it is published (end of 2017) the score and the targets move.
    dates = year_ends([2016, 2017])
    old = spec.model.score(indicator_panel(some_evidence, spec, ["AFG"], dates).value).score
    new = spec.model.score(indicator_panel(evidence, spec, ["AFG"], dates).value).score
    assert old.iloc[0] == new.iloc[0]  # 2016-12-31: the 2016 figure is not out yet
    assert new.iloc[1] < old.iloc[1]
    later, later_planted = (
        run(some_evidence, spec, deaths, last=2017),
        run(evidence, spec, planted_deaths, last=2017),
    )
    assert not later.rows.equals(later_planted.rows)


def test_contenders_are_scored_on_the_same_rows(some_evidence, spec, deaths):
    result = run(some_evidence, spec, deaths)
    table = result.contenders
    assert table["rows"].nunique() == 1
    assert table["rows"].iloc[0] > 100
    assert table["positives"].nunique() == 1
    assert table["positives"].iloc[0] > 10
    # The baseline ranks by last year's deaths and knows incidence well: persistence.
    assert table.loc["baseline", "auc"] > 0.8
    # Withheld rows are counted, not silently dropped.
    assert result.withheld["rows"] + len(result.sample) <= len(result.rows)


def test_folds_are_time_ordered_with_the_gap():
    years_of_rows = np.repeat(np.arange(2000, 2024), 5)
    folds = year_folds(years_of_rows, splits=5, gap=2)
    assert len(folds) == 5
    last_test = 0
    for train, test in folds:
        train_years, test_years = set(years_of_rows[train]), set(years_of_rows[test])
        assert max(train_years) + 2 < min(test_years)  # two whole years between
        assert min(test_years) > last_test  # test blocks move forward in time
        last_test = max(test_years)
        assert set(years_of_rows[test]) == test_years
        assert len(test) == 5 * len(test_years)


def test_validation_folds_in_the_result_keep_the_horizon_gap(some_evidence, spec, deaths):
    result = validate(
        some_evidence,
        spec,
        deaths,
        SOME,
        list(range(2002, 2016)),
        outcome="incidence",
        horizon_years=2,
        splits=3,
    )
    for fold in result.folds:
        assert fold["train"][1] + 2 < fold["test"][0]


# -- the command ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "where", "words"),
    [
        (["--horizon", "18"], "--horizon", "12, 24, 36"),
        (["--horizon", "0"], "--horizon", "12, 24, 36"),
        (["--to", "2030"], "--to", "last forecast year is 2023"),
        (["--horizon", "24", "--to", "2024"], "--to", "last forecast year is 2022"),
        (["--from", "1980"], "--from", "UCDP starts in 1989"),
        (["--from", "2015", "--to", "2010"], "--from", "after --to"),
        (["--from", "2020", "--to", "2023"], "--from", "too few"),
        (["--chart", "out.jpg"], "--chart", ".png"),
        (["--outcome", "war"], "--outcome", "'war' is not one of"),
        (["--from", "two"], "--from", "'two' is not a valid integer"),
    ],
)
def test_bad_arguments_give_one_line(args, where, words, tmp_path):
    result = run_cli("validate", *args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(PREFIX)
    assert where in lines[0]
    assert words in lines[0]
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())  # no chart or anything else written


def test_no_evidence_for_any_ucdp_country_is_one_line(tmp_path):
    result = run_cli(
        "--config-dir", str(REPO / "config"), "--no-default-evidence", "validate", cwd=tmp_path
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{PREFIX}--evidence: none of the 0 countries with evidence has UCDP outcomes;"
        " validate needs the embedded open data or evidence for UCDP countries"
    ]


def test_the_command_on_the_embedded_world(tmp_path):
    model_before = MODEL_TOML.read_bytes()
    chart = tmp_path / "validation.png"
    result = run_cli(
        "--config-dir",
        str(REPO / "config"),
        "validate",
        "--from",
        "2010",
        "--outcome",
        "incidence",
        "--splits",
        "3",
        "--chart",
        str(chart),
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert (record["from"], record["to"], record["horizon_months"]) == (2010, 2023, 12)
    assert record["rows"] > 1500  # ~150 countries x 14 years, minus withheld
    keys = [c["key"] for c in record["out_of_sample"]]
    assert keys == ["score", "score_nohist", "baseline", "fitted", "fitted_nohist", "base_rate"]
    assert len({c["rows"] for c in record["out_of_sample"]}) == 1
    assert {"conflict_deaths", "political_stability"} <= {i["code"] for i in record["indicators"]}
    assert record["advice"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert MODEL_TOML.read_bytes() == model_before  # advice only


# -- lead time and precision, on tables small enough to check by eye ------------------------


def test_lead_time_counts_the_unbroken_warning_before_an_onset():
    from fragwatch.scoring.validation import _onsets

    years = list(range(2001, 2007))
    deaths = pd.DataFrame(
        # A: calm, then 300 deaths in 2006; B: calm, then 40 in 2005; C: never.
        {y: [0.0, 0.0, 0.0] for y in range(1999, 2005)}
        | {2005: [0.0, 40.0, 0.0], 2006: [300.0, 5.0, 0.0]},
        index=pd.Index(["A", "B", "C"], name="country"),
    )
    rows = pd.DataFrame(
        {
            "country": [c for c in "ABC" for _ in years],
            "year": years * 3,
        }
    )
    # World ranks, 2001-2006: A in the top 30 from 2003, B never, C always.
    rank = np.array([50, 50, 3, 3, 3, 3, 40, 40, 40, 40, 40, 40, 1, 1, 1, 1, 1, 1], dtype=float)
    found = _onsets(rows, rank, deaths, years, 1, {}).set_index("country")
    assert found.loc["A", "year"] == 2006
    assert found.loc["A", "warned"]
    assert found.loc["A", "lead_years"] == 3  # flagged 2003, 2004, 2005
    assert found.loc["B", "year"] == 2005
    assert not found.loc["B", "warned"]
    assert "C" not in found.index


def test_precision_at_k_is_the_share_of_positives_in_each_years_top_k():
    from fragwatch.scoring.validation import precision_at

    frame = pd.DataFrame(
        {
            "country": ["A", "B", "C", "D"] * 2,
            "year": [2001] * 4 + [2002] * 4,
            "score": [90, 80, 70, 60, 90, 80, 70, 60],
            "y": [1, 0, 0, 1, 0, 0, 1, 1],
        }
    )
    # 2001: top 2 are A (1), B (0) -> 50%; 2002: A (0), B (0) -> 0%; mean 25%.
    assert precision_at(frame, "score", 2) == 0.25
    # Top 3: 2001 A, B, C -> 1/3; 2002 A, B, C -> 1/3.
    assert precision_at(frame, "score", 3) == pytest.approx(1 / 3)
