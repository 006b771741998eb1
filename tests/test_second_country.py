"""A second country is data and config, not code."""

from __future__ import annotations

import json
import shutil

import pytest

from .conftest import MODEL_TOML, REPO, run_cli

SOURCES = """source_id,title,publisher,published,published_note,url,kind,file,text_from,text_to
zz-report,Ruritania Watch,Desk,2020-03-01,,,report,zz.txt,,
"""
TEXT = (
    "Remittances reached 25 per cent of GDP in 2019. "
    "Some 40,000 migrants returned in 2019. The population is 2 million. "
    "Border guards were attacked at the northern post in January 2020, and two died."
)
OBS = """obs_id,country,quantity,period,value,low,high,unit,source_id,quote,published,note
zz-remit,ZZR,remittances_gdp,2019,25,,,per cent,zz-report,Remittances reached 25 per cent of GDP in 2019.,2020-03-01,
zz-returns,ZZR,migrant_returns,2019,40000,,,persons,zz-report,Some 40,000 migrants returned in 2019.,2020-03-01,
zz-pop,ZZR,population,2019,2000000,,,persons,zz-report,The population is 2 million.,2020-03-01,
"""
EVENTS = """event_id,country,date,kind,fatalities,incident_id,description,source_id,quote,published,note
zz-raid,ZZR,2020-01,border_raid,2,,Post attacked.,zz-report,"Border guards were attacked at the northern post in January 2020, and two died.",2020-03-01,
"""


@pytest.fixture
def second_country(tmp_path):
    folder = tmp_path / "ruritania"
    (folder / "texts").mkdir(parents=True)
    (folder / "texts" / "zz.txt").write_text(TEXT, encoding="utf-8")
    (folder / "sources.csv").write_text(SOURCES, encoding="utf-8")
    # The quotes contain commas; write them CSV-quoted.
    (folder / "observations.csv").write_text(
        OBS.replace(
            "Some 40,000 migrants returned in 2019.", '"Some 40,000 migrants returned in 2019."'
        ),
        encoding="utf-8",
    )
    (folder / "events.csv").write_text(EVENTS, encoding="utf-8")
    # Its own model: one dimension reweighted, and scored on the little its desk knows (a
    # made-up country has none of the open-data layer's tables).
    model = (
        MODEL_TOML.read_text(encoding="utf-8")
        .replace("[dimensions]\neconomic = 1.0", "[dimensions]\neconomic = 2.0")
        .replace("min_coverage = 0.5", "min_coverage = 0.2")
    )
    (tmp_path / "model.toml").write_text(model, encoding="utf-8")
    return folder, tmp_path / "model.toml"


def test_second_country_is_assessed_from_data_and_config_alone(second_country):
    folder, model = second_country
    validated = run_cli("--evidence", str(folder), "evidence", "validate")
    assert validated.returncode == 0, validated.stderr
    assert "quotes found verbatim" in validated.stdout

    result = run_cli(
        "--evidence", str(folder), "--model", str(model),
        "assess", "--country", "ZZR", "--as-of", "2020-06-30", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)
    by_code = {c["code"]: c for c in record["contributions"]}
    assert by_code["remittances_gdp"]["value"] == pytest.approx(25.0)
    assert by_code["migrant_returns"]["value"] == pytest.approx(2.0)  # 40,000 / 2 million
    assert by_code["border_incidents"]["evidence_ids"] == ["zz-raid"]
    # Tajikistan's evidence never leaks into the other country.
    assert all(i.startswith("zz-") for c in record["contributions"] for i in c["evidence_ids"])
    assert sum(c["contribution"] or 0 for c in record["contributions"]) == pytest.approx(
        record["score"], abs=0.01
    )

    # Asked for, both are assessed; by default, the watched countries of fragwatch.toml are.
    both = run_cli("--evidence", str(folder), "assess", "--as-of", "2020-06-30", "--json",
                   "--country", "TJK", "--country", "ZZR")  # fmt: skip
    assert [r["country"] for r in json.loads(both.stdout)] == ["TJK", "ZZR"]
    watched = run_cli("--evidence", str(folder), "assess", "--as-of", "2020-06-30", "--json")
    assert "ZZR" not in [r["country"] for r in json.loads(watched.stdout)]


def test_evidence_in_the_local_library_is_layered_without_flags(second_country, tmp_path):
    """A batch under var/evidence/ is part of every assessment, as if given with --evidence."""
    folder, model = second_country
    library = tmp_path / "work" / "var" / "evidence"
    library.mkdir(parents=True)
    shutil.copytree(folder, library / "2026-11-ruritania")
    env = {"FRAGWATCH_CONFIG_DIR": str(REPO / "config")}
    result = run_cli(
        "--model", str(model), "assess", "--as-of", "2020-06-30", "--json",
        "--country", "TJK", "--country", "ZZR", cwd=tmp_path / "work", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [r["country"] for r in json.loads(result.stdout)] == ["TJK", "ZZR"]

    elsewhere = tmp_path / "library"
    shutil.move(library, elsewhere)
    moved = run_cli(
        "evidence", "list", "--country", "ZZR", cwd=tmp_path / "work",
        env={**env, "FRAGWATCH_EVIDENCE_DIR": str(elsewhere)},
    )  # fmt: skip
    assert "zz-raid" in moved.stdout
