"""The real command, run as a subprocess: the acceptance scenarios of the score."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from .conftest import REPO, run_cli


@pytest.fixture(scope="module")
def assessed_2016():
    result = run_cli("assess", "--country", "TJK", "--as-of", "2016-01-31", "--json")
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)
    return record


def test_assess_json_gives_score_band_coverage_and_contributions(assessed_2016, spec):
    record = assessed_2016
    assert record["country"] == "TJK"
    assert record["as_of"] == "2016-01-31"
    assert 0 <= record["score"] <= 100
    assert record["band"] in {name for name, _ in spec.model.bands}
    assert 0 < record["coverage"] <= 1
    codes = [c["code"] for c in record["contributions"]]
    assert sorted(codes) == sorted(spec.indicators)
    total = sum(c["contribution"] or 0.0 for c in record["contributions"])
    assert total == pytest.approx(record["score"], abs=0.01)


def test_every_contribution_cites_evidence_quoted_verbatim(assessed_2016, evidence):
    for c in assessed_2016["contributions"]:
        if c["value"] is None:
            continue
        assert c["evidence_ids"], f"{c['code']} has a value but cites nothing"
        for evidence_id in c["evidence_ids"]:
            table = (
                evidence.observations
                if evidence_id in evidence.observations.index
                else evidence.events
            )
            row = table.loc[evidence_id]
            if row["source_id"] in evidence.texts:
                assert row["quote"] in evidence.texts[row["source_id"]]
            else:  # the open-data layer: the quote is the shipped data line it was read from
                line = next(csv.reader([row["quote"]]))
                assert line[0].strip('"') == "TJK"
                assert int(line[1]) == int(row["period"])


def test_text_output_shows_score_band_and_table():
    result = run_cli("assess", "--country", "TJK", "--as-of", "2016-01-31")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("TJK as of 2016-01-31: score ")
    assert "remittances_gdp" in result.stdout
    assert "points" in result.stdout


def test_evidence_published_later_never_changes_an_assessment(tmp_path, assessed_2016):
    """Plant observations and events published after the as-of date: nothing moves."""
    (tmp_path / "observations.csv").write_text(
        "obs_id,country,quantity,period,value,low,high,unit,source_id,quote,published,note\n"
        "future-remit,TJK,remittances_gdp,2016-01,5,,,percent,future,Remittances were 5%.,"
        "2016-02-01,\n"
        "future-returns,TJK,migrant_returns,2016-01,1000000,,,persons,future,"
        "A million came home.,2016-02-01,\n",
        encoding="utf-8",
    )
    (tmp_path / "events.csv").write_text(
        "event_id,country,date,kind,fatalities,incident_id,description,source_id,quote,published,"
        "note\n"
        "future-raid,TJK,2016-01-15,border_raid,50,,A raid.,future,A raid.,2016-02-01,\n",
        encoding="utf-8",
    )
    (tmp_path / "sources.csv").write_text(
        "source_id,title,publisher,published,published_note,url,kind,file,text_from,text_to\n"
        "future,Planted,Test,2016-02-01,,,report,,,\n",
        encoding="utf-8",
    )
    planted = run_cli(
        "--evidence", str(tmp_path), "assess", "--country", "TJK", "--as-of", "2016-01-31", "--json"
    )
    assert planted.returncode == 0, planted.stderr
    (record,) = json.loads(planted.stdout)
    assert record["score"] == assessed_2016["score"]
    assert record["contributions"] == assessed_2016["contributions"]

    # The day it is published, the planted evidence does count.
    later = run_cli(
        "--evidence", str(tmp_path), "assess", "--country", "TJK", "--as-of", "2016-02-01", "--json"
    )
    (moved,) = json.loads(later.stdout)
    remit = next(c for c in moved["contributions"] if c["code"] == "remittances_gdp")
    assert remit["value"] == 5.0
    assert remit["evidence_ids"] == ["future-remit"]


def test_scores_for_2008_2012_2016_differ_and_the_explanation_says_why():
    scores = {}
    for year in (2008, 2012, 2016):
        result = run_cli("assess", "--country", "TJK", "--as-of", f"{year}-12-31", "--json")
        assert result.returncode == 0, result.stderr
        scores[year] = json.loads(result.stdout)[0]["score"]
    assert len({round(s, 2) for s in scores.values()}) == 3, scores

    result = run_cli(
        "explain", "--country", "TJK", "--as-of", "2016-12-31", "--since", "2012-12-31", "--json"
    )
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)
    change = {row["code"]: row for row in record["change"]}
    assert record["since"]["score"] == pytest.approx(scores[2012])
    # The change is attributed indicator by indicator and adds up to the score change.
    total = sum(row["delta"] for row in change.values())
    assert total == pytest.approx(scores[2016] - scores[2012], abs=0.01)
    moved = {code for code, row in change.items() if abs(row["delta"]) > 0.01}
    assert {"opposition_repression", "elite_defections"} <= moved
    assert change["opposition_repression"]["reason"] in {"new evidence", "newly covered"}

    text = run_cli(
        "explain", "--country", "TJK", "--as-of", "2016-12-31", "--since", "2012-12-31"
    ).stdout
    assert "Change since 2012-12-31" in text
    assert "opposition_repression" in text
    assert "\u201c" in text


def test_history_writes_the_series(tmp_path):
    out = tmp_path / "history.csv"
    result = run_cli(
        "history",
        "--country",
        "TJK",
        "--from",
        "2005-01-01",
        "--to",
        "2016-12-31",
        "--csv",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out)
    assert table["as_of"].tolist() == [f"{y}-12-31" for y in range(2005, 2017)]
    assert {"score", "band", "coverage", "remittances_gdp"} <= set(table.columns)
    assert "2016-12-31" in result.stdout

    quarterly = run_cli(
        "history", "--from", "2015-01-01", "--to", "2015-12-31", "--freq", "quarter"
    )
    assert quarterly.returncode == 0
    assert all(d in quarterly.stdout for d in ("2015-03-31", "2015-06-30", "2015-09-30"))


def test_evidence_list_filters(evidence):
    result = run_cli("evidence", "list", "--quantity", "heroin_seizures")
    assert result.returncode == 0, result.stderr
    assert "1,450 kg" in result.stdout
    assert "508 kg" in result.stdout
    assert "2 row(s)" in result.stdout

    result = run_cli("evidence", "list", "--kind", "opposition_ban", "--json")
    rows = json.loads(result.stdout)
    assert rows
    assert all(r["what"] == "opposition_ban" for r in rows)

    result = run_cli("evidence", "list", "--source", "iwpr-shadowboxing-2006", "--to", "2006-12-31")
    assert "border_raid" in result.stdout


def test_evidence_validate_reports_counts():
    result = run_cli("evidence", "validate")
    assert result.returncode == 0, result.stderr
    # The report layer's 7 sources with their texts (and the GED 19.1 extract) and the eight
    # releases of the open-data layer; report quotes are checked against their texts.
    assert result.stdout.startswith("ok: 15 sources")
    assert "144 quotes found verbatim in their source text" in result.stdout
    assert "open-data figures quote the data line they were read from" in result.stdout


def test_indicators_lists_definitions():
    result = run_cli("indicators")
    assert result.returncode == 0, result.stderr
    assert "heroin_seizure_trend" in result.stdout
    assert "complicity" in result.stdout


def test_main_job_runs_from_the_readme_command():
    # `make run` runs these two commands; they must succeed on the embedded data.
    result = run_cli("explain", "--country", "TJK")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("TJK as of ")
    assert (REPO / "README.md").read_text().count("make run") >= 1


def test_explain_dates_an_open_data_figure_by_its_first_publication_not_its_release():
    """The 2018 WDI release repeats the 2014 remittances figure, first published in 2015: the
    citation says so, rather than setting a 2015 date beside a 2018 release unexplained."""
    result = run_cli("explain", "--country", "TJK", "--as-of", "2016-12-31")
    assert result.returncode == 0, result.stderr
    (line,) = [
        line
        for line in result.stdout.splitlines()
        if "[wdi-2018-08:TJK:remittances_usd:2014]" in line
    ]
    assert "World Bank WDI, 2018 release" in line
    first = pd.Timestamp(line.rsplit("first published ", 1)[1].rstrip(")"))
    assert pd.Timestamp("2015-01-01") <= first < pd.Timestamp("2018-08-01")
