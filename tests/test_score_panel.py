"""`fragwatch score-panel`: a user's own indicator table, scored by the same core."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from .conftest import MODEL_TOML, run_cli

FRAMEWORK = """code,parent,direction,weight,lo,hi
a,econ,1,1,0,100
b,econ,-1,3,0,10
c,sec,1,1,10,20
econ,,,1,,
sec,,,2,,
"""
PANEL = """unit,period,a,b,c
u1,2020,50,5,15
u2,2020,100,,30
u3,2020,,0,
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "framework.csv").write_text(FRAMEWORK, encoding="utf-8")
    (tmp_path / "panel.csv").write_text(PANEL, encoding="utf-8")
    return tmp_path


def test_scores_a_csv_panel_as_worked_out_by_hand(files):
    result = run_cli(
        "score-panel",
        str(files / "panel.csv"),
        "--framework",
        str(files / "framework.csv"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    rows = {r["unit"]: r for r in json.loads(result.stdout)}
    # Same panel as tests/test_scoring.py::test_hand_computed_panel, through the command.
    assert rows["u1"]["score"] == pytest.approx(50.0)
    assert rows["u1"]["points_b"] == pytest.approx(12.5)
    assert rows["u2"]["coverage"] == pytest.approx(0.75)
    assert rows["u2"]["points_b"] is None
    assert rows["u3"]["band"] == "very high"


def test_writes_csv_and_reads_parquet(files):
    pd.read_csv(files / "panel.csv").to_parquet(files / "panel.parquet")
    out = files / "scores.csv"
    result = run_cli(
        "score-panel", str(files / "panel.parquet"), "--framework", str(files / "framework.csv"),
        "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "3 rows scored, 0 withheld; written to" in result.stdout
    scores = pd.read_csv(out)
    assert list(scores.columns[:5]) == ["unit", "period", "score", "band", "coverage"]
    assert scores["score"].tolist() == pytest.approx([50.0, 100.0, 100.0])

    parquet_out = files / "scores.parquet"
    again = run_cli(
        "score-panel", str(files / "panel.csv"), "--framework", str(files / "framework.csv"),
        "--out", str(parquet_out),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert pd.read_parquet(parquet_out)["score"].tolist() == pytest.approx([50.0, 100.0, 100.0])


def test_minimum_coverage_withholds_instead_of_guessing(files):
    result = run_cli(
        "score-panel", str(files / "panel.csv"), "--framework", str(files / "framework.csv"),
        "--min-coverage", "0.5", "--json",
    )  # fmt: skip
    rows = {r["unit"]: r for r in json.loads(result.stdout)}
    assert rows["u3"]["score"] is None
    assert rows["u3"]["band"] == "withheld"
    assert rows["u2"]["score"] == pytest.approx(100.0)


def test_model_toml_works_as_framework(tmp_path):
    panel = tmp_path / "panel.csv"
    panel.write_text(
        "unit,period,remittances_gdp,remittances_change,gdp_growth,inflation,unemployment,"
        "political_stability,civil_liberties,civil_society_repression,opposition_repression,"
        "elite_defections,conflict_deaths,physical_integrity,homicides,armed_violence,"
        "heroin_seizure_trend,border_incidents,militants_across_border,refugees_abroad,"
        "infant_mortality,migrant_returns,is_recruitment\n"
        "X,2020,20,-10,0,16,11.5,-0.75,0.5,0,6,3,12.5,0.5,15.5,50,0,3,2500,2.5,36.5,3,100\n",
        encoding="utf-8",
    )
    result = run_cli("score-panel", str(panel), "--framework", str(MODEL_TOML), "--json")
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    # Every indicator sits at mid-goalpost except heroin (0% change: 0.8 normalised).
    # Remittances: a quarter of the index (economic) x 1 of the economic dimension's 4.
    assert row["points_remittances_gdp"] == pytest.approx(100 * 0.25 * (1 / 4) * 0.5)
    assert row["coverage"] == pytest.approx(1.0)


def edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("panel", "framework", "where", "words"),
    [
        (PANEL.replace("unit,period,a,b,c", "unit,period,a,b,c,zz").replace("15\n", "15,1\n")
         .replace("30\n", "30,1\n").replace(",0,\n", ",0,,1\n"),
         FRAMEWORK, "column 'zz'", "unknown indicator column"),
        (PANEL, edit(FRAMEWORK, "a,econ,1,1,0,100", "a,econ,1,1,100,0"),
         "framework.csv:2: field 'lo'", "lo must be below hi"),
        (PANEL, edit(FRAMEWORK, "c,sec,1,1,10,20", "c,sec,1,-1,10,20"),
         "framework.csv:4: field 'weight'", "negative"),
        (PANEL + "u1,2020,1,1,1\n", FRAMEWORK, "panel.csv:5", "duplicate row for unit 'u1'"),
        (edit(PANEL, "u1,2020,50", "u1,2020,fifty"), FRAMEWORK, "panel.csv:2: field 'a'",
         "'fifty' is not a number"),
        (edit(PANEL, "unit,period,a,b,c", "unit,period,a,b"), FRAMEWORK, "panel.csv",
         "panel.csv:2: 5 fields where the header has 4"),
        (edit(PANEL, "u2,2020", ",2020"), FRAMEWORK, "panel.csv:3: field 'unit'", "empty"),
        (PANEL, edit(FRAMEWORK, "code,parent", "code,parent,aggregation").replace(
            "a,econ,1", "a,geometric,econ,1"), "framework.csv:3", "fields where the header has"),
        (PANEL, FRAMEWORK + "a,econ,1,1,0,100\n", "framework.csv:7: field 'code'", "duplicate"),
    ],
    ids=[
        "unknown-indicator-column",
        "goalposts-lo-above-hi",
        "negative-weight",
        "duplicate-unit-period",
        "non-numeric-cell",
        "row-longer-than-header",
        "empty-unit",
        "framework-row-misaligned",
        "duplicate-framework-code",
    ],
)  # fmt: skip
def test_bad_panel_or_framework_is_one_located_line(tmp_path, panel, framework, where, words):
    (tmp_path / "panel.csv").write_text(panel, encoding="utf-8")
    (tmp_path / "framework.csv").write_text(framework, encoding="utf-8")
    out = tmp_path / "scores.csv"
    result = run_cli(
        "score-panel", str(tmp_path / "panel.csv"), "--framework", str(tmp_path / "framework.csv"),
        "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 5, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fragwatch: error: ")
    assert where in lines[0]
    assert words in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_unsupported_aggregation_is_refused(tmp_path):
    framework = edit(
        FRAMEWORK,
        "code,parent,direction,weight,lo,hi",
        "code,parent,direction,weight,lo,hi,aggregation",
    )
    framework = (
        "\n".join(
            line + ("," if i else "") + ("geometric" if line.startswith("a,") else "")
            for i, line in enumerate(framework.splitlines())
        )
        + "\n"
    )
    (tmp_path / "f.csv").write_text(framework, encoding="utf-8")
    (tmp_path / "p.csv").write_text(PANEL, encoding="utf-8")
    result = run_cli("score-panel", str(tmp_path / "p.csv"), "--framework", str(tmp_path / "f.csv"))
    assert result.returncode == 5
    assert "f.csv:2: field 'aggregation'" in result.stderr
    assert "'geometric' is not supported" in result.stderr
