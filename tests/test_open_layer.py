"""The open-data layer: every country scored from published tables, with vintages, layers and
a world ranking; report evidence on top."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from fragwatch.evidence.opendata import datasets, open_data_dir, open_layer
from fragwatch.scoring.assessment import assess

from .conftest import REPO, run_cli

BUNDLE = REPO.parent / "shared" / "data" / "open"
KGZ_REPORT = REPO / "tests" / "fixtures" / "reports_kgz"
WATCHED = ["TJK", "KGZ", "UZB", "AFG", "KAZ", "TKM"]


def _json(result) -> object:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("dataset", datasets(), ids=lambda d: d.id)
def test_shipped_tables_are_the_published_lines(dataset):
    """Each shipped file is what its declaration records (SHA-256 of the text); where the
    bundle it was cut from is at hand, every line is a line of the published table."""
    text = gzip.decompress((open_data_dir() / dataset.file).read_bytes()).decode("utf-8")
    assert hashlib.sha256(text.encode()).hexdigest() == dataset.sha256
    originals = list(BUNDLE.glob(f"*/{dataset.file.removesuffix('.gz')}"))
    if originals:  # a clone with the project's shared data beside it
        published = set(originals[0].read_text(encoding="utf-8").splitlines())
        assert set(text.splitlines()) <= published


def test_every_figure_quotes_the_line_it_was_read_from():
    """The value of every open-data observation is the cell of its quoted line (a sample of
    2,000 rows across all releases, re-read with the csv module)."""
    _, observations = open_layer()
    columns = {(d.id, s.quantity): s.column for d in datasets() for s in d.series}
    headers = {
        d.id: next(csv.reader(io.StringIO(gzip.decompress(
            (open_data_dir() / d.file).read_bytes()).decode().split("\n", 1)[0])))
        for d in datasets()
    }  # fmt: skip
    sample = observations.sample(2000, random_state=7)
    for row in sample.itertuples():
        cells = dict(zip(headers[row.source_id], next(csv.reader([row.quote])), strict=True))
        assert cells[headers[row.source_id][0]] == row.country
        assert int(cells["year"]) == int(row.period)
        assert float(cells[columns[(row.source_id, row.quantity)]]) == row.value


def _reading(evidence, spec, country: str, as_of: str, code: str) -> tuple[float, tuple]:
    (a,) = assess(evidence, spec, [country], pd.Timestamp(as_of))
    row = a.table.set_index("code").loc[code]
    return row["value"], row["evidence_ids"]


def test_an_assessment_uses_the_newest_vintage_published_by_its_date(evidence, spec):
    """WGI re-estimates every year in each update: as of mid-2024 the 2023 update is read, once
    the 2024 update is out, that one (and its value for the same year differs)."""
    before, ids_before = _reading(evidence, spec, "AFG", "2024-06-01", "political_stability")
    after, ids_after = _reading(evidence, spec, "AFG", "2025-01-01", "political_stability")
    assert ids_before == ("wgi-2023:AFG:political_stability:2022",)
    assert ids_after == ("wgi-2024:AFG:political_stability:2023",)
    assert not math.isclose(before, after)


def test_no_later_vintage_leaks_into_an_earlier_assessment(evidence, spec):
    """As of 2017-12-31 the 2015 growth figure comes from the oldest release that has it
    (dated when 2015's figure was first published), never from the 2026 release, and as of
    2019 the 2018 release has replaced it; nothing cited is published after the as-of date."""
    _, ids_2017 = _reading(evidence, spec, "TJK", "2017-03-31", "gdp_growth")
    assert ids_2017 == ("wdi-2018-08:TJK:gdp_growth:2015",)
    for as_of in ("2010-06-30", "2016-01-31", "2019-01-01"):
        found = assess(evidence, spec, WATCHED, pd.Timestamp(as_of))
        cited = sorted({i for a in found for i in a.evidence_ids})
        published = evidence.citations(cited)["published"]
        assert (published <= pd.Timestamp(as_of)).all(), as_of
        releases = {i.split(":")[0] for i in cited if i.startswith("wdi-2026")}
        rows = evidence.observations.reindex([i for i in cited if i.split(":")[0] in releases])
        # A 2026-release row can only be known this early as the first publication of its year.
        assert (rows["note"] != "").all(), as_of


def test_the_watched_region_is_scored_today_with_coverage_by_layer():
    """`assess` on the default config: the six watched countries, each with a score (not
    withheld), a band and coverage split into open data and reports that adds up."""
    found = _json(run_cli("assess", "--json"))
    assert [a["country"] for a in found] == WATCHED
    for a in found:
        assert a["score"] is not None, a["country"]
        assert a["band"] != "withheld", a["country"]
        layers = a["coverage_by_layer"]
        assert layers["open"] >= 0.5, a["country"]
        assert layers["open"] + layers["report"] == pytest.approx(a["coverage"], abs=1e-3)


def test_kyrgyzstan_is_scored_from_open_data_and_a_report_figure_changes_it():
    """No report evidence for KGZ: scored from open data alone. One reviewed report figure
    (remittances in 2017) changes the score, and explain quotes it under the report layer."""
    args = ("assess", "--country", "KGZ", "--as-of", "2018-06-20", "--json")
    (alone,) = _json(run_cli(*args))
    (with_report,) = _json(run_cli("--evidence", str(KGZ_REPORT), *args))
    assert alone["coverage_by_layer"]["report"] == 0
    assert alone["score"] is not None
    assert with_report["score"] != pytest.approx(alone["score"], abs=0.05)
    change = next(c for c in with_report["contributions"] if c["code"] == "remittances_change")
    assert change["layer"] == "report"
    assert "kgz-remittances_usd-2017-trend" in change["evidence_ids"]
    text = run_cli("--evidence", str(KGZ_REPORT), "explain", "--country", "KGZ",
                   "--as-of", "2018-06-20")  # fmt: skip
    assert text.returncode == 0, text.stderr
    quote = "Over the past year, Kyrgyz migrant workers transferred about $2.4 billion"
    block = text.stdout.split("[remittances_change] (reports)")[1].split("\n\n")[0]
    assert quote in block


def test_tajikistan_2016_decomposes_with_its_report_quotes_verbatim(evidence, spec):
    """The report layer is kept whole: every cited report quote is in its source text, and
    the contributions add up to the score."""
    (a,) = assess(evidence, spec, ["TJK"], pd.Timestamp("2016-01-31"))
    assert a.table["contribution"].sum() == pytest.approx(a.score)
    cited = evidence.citations(a.evidence_ids)
    reports = cited[cited["citation"] == ""]
    assert len(reports) > 10
    for _, c in reports.iterrows():
        if c["source_id"] in evidence.texts:
            assert c["quote"] in evidence.texts[c["source_id"]], c["id"]
    assert set(a.table.loc[a.table["layer"] == "report", "code"]) >= {
        "opposition_repression",
        "migrant_returns",
        "heroin_seizure_trend",
    }


def test_rank_scores_at_least_150_countries_from_the_embedded_data():
    ranked = _json(run_cli("rank", "--json"))["countries"]
    scored = [r for r in ranked if r["rank"] > 0]
    assert len(scored) >= 150
    scores = [r["score"] for r in scored]
    assert scores == sorted(scores, reverse=True)
    assert [r["rank"] for r in scored] == list(range(1, len(scored) + 1))
    for r in scored:
        assert r["low"] <= r["median"] <= r["high"]
        assert r["coverage_open"] + r["coverage_report"] == pytest.approx(r["coverage"], abs=1e-3)
        assert r["top_driver"]
    # Withheld countries come last, unranked.
    assert all(r["score"] is None for r in ranked[len(scored) :])


def test_rank_of_a_region_and_its_errors(tmp_path):
    ranked = _json(run_cli("rank", "--region", "central asia", "--json"))["countries"]
    assert sorted(r["country"] for r in ranked) == ["KAZ", "KGZ", "TJK", "TKM", "UZB"]
    out = tmp_path / "rank.csv"
    result = run_cli("rank", "--region", "Central Asia", "--csv", str(out))
    assert result.returncode == 0, result.stderr
    assert pd.read_csv(out)["country"].tolist() == [r["country"] for r in ranked]
    bad = run_cli("rank", "--region", "Centrl Asia")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "fragwatch: error: --region: unknown region 'Centrl Asia' (did you mean 'Central Asia'?)"
    )
    both = run_cli("rank", "--region", "Africa", "--country", "SOM")
    assert both.returncode == 2
    assert "not both" in both.stderr


def test_rank_agrees_with_assess_for_a_country():
    """The ranking scores each country exactly as `assess` does (same interval draws too)."""
    ranked = _json(run_cli("rank", "--as-of", "2016-01-31", "--json"))["countries"]
    row = next(r for r in ranked if r["country"] == "TJK")
    (a,) = _json(run_cli("assess", "--country", "TJK", "--as-of", "2016-01-31", "--json"))
    assert row["score"] == pytest.approx(a["score"], abs=1e-3)
    assert row["low"] == pytest.approx(a["interval"]["low"], abs=1e-3)
    assert row["coverage_report"] == pytest.approx(a["coverage_by_layer"]["report"], abs=1e-3)


def test_the_remittance_collapse_scenario_raises_the_score():
    (run,) = _json(run_cli("scenario", "run", "remittance-collapse", "--seed", "1",
                           "--draws", "200", "--json"))  # fmt: skip
    (point,) = run["points"]
    assert point["scenario"]["score"] > point["baseline"]["score"]


def _model_with(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "model.toml"
    base = (REPO / "config" / "model.toml").read_text()
    if "[indicators.gdp_growth]" in extra:  # the declaration takes the built-in's place
        base = base.replace("[indicators.gdp_growth]\nweight = 1.0\n", "")
    path.write_text(base + extra, encoding="utf-8")
    return path


DECLARED = """
[indicators.internally_displaced]
family = "rate"
name = "Internally displaced people"
dimension = "social"
unit = "percent of population"
direction = 1
goalposts = [0, 10]
quantity = "idps"
per = "population"
scale = 100
definition = "IDPs as a share of the population."
sources = "UNHCR (idp); WDI population"
weight = 1.0
"""


def test_a_new_indicator_is_a_declaration_in_model_toml(tmp_path):
    model = _model_with(tmp_path, DECLARED)
    (a,) = _json(run_cli("--model", str(model), "assess", "--country", "SOM", "--json"))
    row = next(c for c in a["contributions"] if c["code"] == "internally_displaced")
    assert row["value"] > 10  # Somalia: millions displaced inside the country
    assert row["normalised"] == 1.0
    assert row["layer"] == "open"
    assert any(i.startswith("unhcr-2024:SOM:idps:") for i in row["evidence_ids"])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('family = "rate"', 'family = "ratio"'), "unknown family 'ratio'"),
        (lambda t: t.replace('per = "population"\n', ""), "needs 'per'"),
        (lambda t: t.replace('name = "Internally displaced people"\n', ""), "needs 'name'"),
        (
            lambda t: t.replace('quantity = "idps"', 'quantity = "ipds"'),
            "unknown quantity 'ipds' (did you mean idps?)",
        ),
        (
            lambda t: t.replace("internally_displaced]", "gdp_growth]"),
            "'gdp_growth' is a built-in indicator",
        ),
    ],
)
def test_a_bad_declaration_is_a_located_error(tmp_path, edit, message):
    model = _model_with(tmp_path, edit(DECLARED))
    before = model.read_bytes()
    result = run_cli("--model", str(model), "assess", "--country", "SOM")
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "Traceback" not in result.stderr
    assert lines[0].startswith(f"fragwatch: error: {model}:")
    assert message in lines[0]
    assert model.read_bytes() == before
