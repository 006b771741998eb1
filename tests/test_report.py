"""`fragwatch report` as a reader and an operator meet it: what it says, and what it refuses.

The report for 2016-01-31 is checked against ``attribute_change`` computed here, not against
strings copied from a run; the score's interval and the robust marking of score alerts are
checked against ``scoring.uncertainty`` run here; evidence text with markup is shown as text;
alert markers, active alerts and a model change come from a real SQLite store; bad input is one
line, exit 2, and nothing written.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from fragwatch.render import interval_line
from fragwatch.reports.build import build_report
from fragwatch.reports.citations import clean_quote, is_data_row
from fragwatch.reports.data import gather
from fragwatch.reports.view import safe_url
from fragwatch.reports.words import MOVED
from fragwatch.scoring.assessment import assess
from fragwatch.scoring.explain import attribute_change
from fragwatch.scoring.uncertainty import alert_share, assessment_interval, fire_share
from fragwatch.settings import load_model_spec
from fragwatch.settings.alerts import load_alert_rules
from fragwatch.store.assessments import save_assessment
from fragwatch.store.engine import open_store, read_connection

from .alert_levels import tajik_config_dir
from .conftest import MODEL_TOML, REPO
from .report_helpers import (
    HOSTILE_PUBLISHER,
    HOSTILE_QUOTE,
    HOSTILE_TITLE,
    Sections,
    write_hostile_evidence,
)

AS_OF, SINCE = pd.Timestamp("2016-01-31"), pd.Timestamp("2015-01-31")
DASH = "\u2013"


def fragwatch(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real command in ``cwd`` with the shipped config and no FRAGWATCH_ variable but ours."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FRAGWATCH_")}
    clean["FRAGWATCH_CONFIG_DIR"] = str(REPO / "config")
    clean["FRAGWATCH_COUNTRIES"] = '["TJK"]'  # the shipped config watches six; these read one
    return subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


def write(cwd: Path, *args: str, before: tuple[str, ...] = (), **env: str) -> Sections:
    """``fragwatch BEFORE... report ARGS... --out CWD/out``, read back."""
    out = cwd / "out"
    result = fragwatch(cwd, *before, "report", *args, "--out", str(out), **env)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out / 'report.html'}" in result.stdout
    return Sections((out / "report.html").read_text(encoding="utf-8"))


def test_the_change_since_2015_is_attributed_to_the_indicators_that_moved_with_evidence(
    tmp_path, evidence, spec
):
    html = write(tmp_path, "--as-of", str(AS_OF.date()), "--since", str(SINCE.date()))
    (now,) = assess(evidence, spec, ["TJK"], AS_OF)
    (before,) = assess(evidence, spec, ["TJK"], SINCE)
    change = attribute_change(before, now)
    moved = change[change["delta"].abs() > 0.005]
    assert len(moved) >= 5  # the briefing of January 2016 moved most of the model

    assert html.text["data-score=now"].strip() == f"{now.score:.1f}"
    # Every indicator that moved, biggest first, and no other.
    assert html.of("change") == list(moved.index)
    # Open data scored 2015-01-31 too, so the change is split into each indicator's own move
    # and its reweighting as the reports of 2015 brought new indicators in.
    assert not pd.isna(before.score)
    assert set(moved["reason"]) >= {"newly covered", "new evidence"}
    for code, row in moved.iterrows():
        shown = html.text[f"data-change={code}"]
        assert f"{row['delta']:+.2f}" in shown
        assert row["reason"] in shown
        assert "withheld before" not in shown
        if row["reason"] == "newly covered":
            assert "It has fresh evidence again" in shown
        elif row["from_reweighting"] < -MOVED:
            assert "weighs less because" in shown
            assert "gained fresh evidence" in shown
        if row["reason"] in ("newly covered", "new evidence"):
            # Each with its evidence: the quotes shown are the new evidence that moved it.
            assert row["new_evidence_ids"], code
            quotes = _as_shown(evidence.citations(row["new_evidence_ids"]))
            cited = html.text[f"data-change-evidence={code}"]
            assert [q for q in quotes if any(f in cited for f in q)], f"{code}: none shown"
        # ... and in full under its source, every quote behind the value now.
        ids = list(now.table.set_index("code").at[code, "evidence_ids"])
        cited = evidence.citations(ids)
        for shown, title in zip(_as_shown(cited), cited["source_title"], strict=True):
            listed = source_block(html, title)
            assert any(f in listed for f in shown), code


def source_block(html: Sections, title: str) -> str:
    """The text listed under the one source of ``title`` in "Sources and quotes"."""
    (block,) = [
        html.text[k] for k in html.keys if k.startswith("data-source=") and title in html.text[k]
    ]
    return block


def _as_shown(citations: pd.DataFrame) -> list[tuple[str, ...]]:
    """Each quote as the reader may see it: without markup (clean_quote), the stored one
    verbatim; a data row as a person cites it ("<release>: <value> <unit> in <year>", the
    release as the data set declares it: "World Bank WGI, 2023 update")."""
    return [
        (f": {v:,.1f}", f": {v:,.0f}") if is_data_row(q) else (clean_quote(q)[0],)
        for q, v in zip(citations["quote"], citations["value"], strict=True)
    ]


def test_evidence_text_with_markup_is_shown_as_text_never_as_markup(tmp_path):
    folder = write_hostile_evidence(tmp_path / "hostile")
    html = write(tmp_path, "--as-of", "2016-01-31", before=("--evidence", str(folder)))
    raw = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")

    assert not [a for t, a in html.elements if t == "script"]
    handlers = [(t, k) for t, a in html.elements for k in a if k.startswith("on")]
    assert handlers == []
    images = [a["src"] for t, a in html.elements if t == "img"]
    assert len(images) == 4
    assert all(src.endswith(".png") for src in images)  # only the charts
    assert "<script>" not in raw
    # The text itself is there, escaped, for the reader to see.
    assert "&lt;script&gt;document.title=&#39;pwned-script&#39;&lt;/script&gt;" in raw
    # The full title once, in the source list, its quote and publisher under it.
    listed = source_block(html, HOSTILE_TITLE)
    assert HOSTILE_QUOTE in listed
    assert HOSTILE_PUBLISHER in listed
    # The URL stays one attribute value: its quote cannot open another attribute.
    links = [a["href"] for t, a in html.elements if t == "a" and "example.org" in a["href"]]
    assert links
    assert all("onmouseover=" in href for href in links)


def test_only_web_links_become_links():
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//evil", ""):
        assert safe_url(bad) == ""


def test_alert_markers_and_active_alerts_come_from_the_store(tmp_path, evidence, spec):
    config = tajik_config_dir(tmp_path / "config")  # score-high at 40: Tajikistan reads 45
    ran = fragwatch(tmp_path, "run-once", "--now", "2016-02-03T07:00",
                    FRAGWATCH_CONFIG_DIR=str(config))  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    html = write(tmp_path, "--as-of", "2016-02-08", FRAGWATCH_CONFIG_DIR=str(config))
    assert "score-high" in html.text["data-alerts=firing"]
    assert "remittances-dependence" in html.text["data-alerts=firing"]

    engine = open_store(f"sqlite:///{tmp_path / 'var' / 'fragwatch.db'}")
    rules = load_alert_rules(config, set(spec.indicators))
    with read_connection(engine) as conn:
        data = gather(evidence, spec, "TJK", pd.Timestamp("2016-02-08"), pd.Timestamp("2016-02-01"),
                      conn=conn, rules=rules)  # fmt: skip
    assert pd.Timestamp("2016-02-03") in set(data.fired["date"])
    assert set(data.active["rule"]) == {"score-high", "remittances-dependence"}
    # The score the service stored for 2016-02-03 is on the history line.
    assert pd.Timestamp("2016-02-03") in data.history.index

    # The firing score rule is marked with the share of the interval's draws in which it fires,
    # in the words `fragwatch assess` uses; the indicator rule over its own evidence range.
    found, draws = assessment_interval(spec, data.now)
    (high,) = [r for r in rules if r.name == "score-high"]
    share = fire_share(high, draws)
    u = spec.uncertainty
    assert share >= u.robust_share  # 45.4 against a fire level of 40
    active = data.active.set_index("rule")
    assert active.at["score-high", "share"] == share
    (dependence,) = [r for r in rules if r.name == "remittances-dependence"]
    shown = active.at["remittances-dependence", "share"]
    assert shown == alert_share(dependence, data.now, draws, seed=u.seed)
    # "more than 40 per cent" is read as the point 40, the fire level: every draw fires.
    assert shown == 1.0
    console = interval_line(found, [("score-high", share)], u.weight_noise, u.robust_share)
    verdict = console.splitlines()[1].split(": ", 1)[1]
    assert verdict == f"fires in {share:.0%} of draws (robust at {u.robust_share:.0%})"
    assert html.text["data-robust=score-high"] == verdict
    assert html.of("robust") == ["remittances-dependence", "score-high"]
    report = build_report(data, methodology_url="docs/methodology.md")
    assert f"\n     {verdict}\n" in report.text

    # A fire level at the median of the draws: the alert still fires, but not robustly.
    near = [replace(r, fire=float(found.median)) if r is high else r for r in rules]
    with read_connection(engine) as conn:
        shaky = gather(evidence, spec, "TJK", pd.Timestamp("2016-02-08"),
                       pd.Timestamp("2016-02-01"), conn=conn, rules=near)  # fmt: skip
    share = shaky.active.set_index("rule").at["score-high", "share"]
    assert share == fire_share(replace(high, fire=float(found.median)), draws)
    assert 0 < share < u.robust_share
    shown = Sections(build_report(shaky, methodology_url="").html(lambda c: c.filename))
    assert shown.text["data-robust=score-high"] == (
        f"fires in {share:.0%} of draws (not robust at {u.robust_share:.0%})"
    )


def test_without_a_store_the_report_says_so_and_creates_none(tmp_path):
    html = write(tmp_path, "--as-of", "2016-01-31")
    assert "No alert store" in html.text["data-alerts=none"]
    assert not (tmp_path / "var").exists()


def test_a_model_change_since_the_previous_report_is_its_own_part_of_the_change(
    tmp_path, evidence, spec
):
    as_of, since = pd.Timestamp("2016-06-30"), pd.Timestamp("2016-01-31")
    # The previous report was scored with other remittance goalposts (0..80, not the
    # catalogue's 0..40), set in the model as a desk may tune them.
    text = MODEL_TOML.read_text(encoding="utf-8")
    old_toml = text.replace(
        "[indicators.remittances_gdp]\nweight = 1.0\n",
        "[indicators.remittances_gdp]\nweight = 1.0\ngoalposts = [0, 80]\n",
        1,
    )
    assert old_toml != text
    (tmp_path / "old.toml").write_text(old_toml, encoding="utf-8")
    old_spec = load_model_spec(tmp_path / "old.toml")
    (reported,) = assess(evidence, old_spec, ["TJK"], since)
    engine = open_store(f"sqlite:///{tmp_path / 'fragwatch.db'}")
    with engine.begin() as conn:
        save_assessment(conn, reported, computed_at=datetime(2016, 2, 1, tzinfo=UTC))

    with read_connection(engine) as conn:
        data = gather(evidence, spec, "TJK", as_of, since, conn=conn)
    # (The store keeps scores to 4 decimals, hence the tolerance.)
    assert data.model_change is not None
    assert data.model_change.points == pytest.approx(data.before.score - reported.score, abs=1e-3)
    assert data.model_change.points > 1  # 40% of GDP is more fragile against 0..40
    assert data.score_change == pytest.approx(data.now.score - reported.score, abs=1e-3)
    # The model's part and the indicators' moves add up to the change since the last report.
    change = attribute_change(data.before, data.now)
    assert data.score_change == pytest.approx(data.model_change.points + change["delta"].sum())

    report = build_report(data, methodology_url="docs/methodology.md")
    html = Sections(report.html(lambda c: c.filename))
    assert f"{data.model_change.points:+.2f} points" in html.text["data-model-change=yes"]
    assert "change" in {c.name for c in report.charts}
    assert "model change" in report.text


def test_coverage_and_stale_evidence_warnings(evidence, strict_spec):
    # Mid-2019 the 2015 report events have aged out: open data alone covers 69% of the weight,
    # below the 75% minimum of a strict desk, so the score is withheld.
    spec = strict_spec
    data = gather(evidence, spec, "TJK", pd.Timestamp("2019-06-30"), pd.Timestamp("2018-06-30"))
    warnings = " ".join(data.warnings)
    assert "Score withheld" in warnings
    assert "no fresh evidence for" in warnings
    assert "Went stale since 2018-06-30" in warnings
    report = build_report(data, methodology_url="docs/methodology.md")
    assert "COVERAGE AND STALE EVIDENCE" in report.text
    assert report.subject == "TJK risk report as of 2019-06-30: score withheld"
    # A withheld score has no interval, and the report says so rather than printing NaN.
    found, _ = assessment_interval(spec, data.now)
    assert pd.isna(found.median)
    assert pd.isna(data.interval.median)
    assert "\nUncertainty: no interval (score withheld)\n" in report.text
    html = Sections(report.html(lambda c: c.filename))
    assert html.text["data-interval=now"] == "Uncertainty: no interval (score withheld)"
    assert not re.search(r"\bnan\b", report.text, re.IGNORECASE)


def _interval_shown(found, u) -> str:
    return (
        f"median {found.median:.1f}, 90% interval {found.low:.1f} {DASH} {found.high:.1f}"
        f" ({found.draws} draws over evidence ranges and {u.weight_noise:.0%} weight noise)"
    )


def test_the_headline_gives_the_interval_that_assess_computes(evidence, spec):
    data = gather(evidence, spec, "TJK", AS_OF, SINCE)
    (now,) = assess(evidence, spec, ["TJK"], AS_OF)
    found, _ = assessment_interval(spec, now)
    u = spec.uncertainty
    assert found.low < found.median < found.high  # ranges and weight noise widen it
    assert found.draws == u.draws

    report = build_report(data, methodology_url="docs/methodology.md")
    html = Sections(report.html(lambda c: c.filename))
    expected = _interval_shown(found, u)
    assert html.text["data-interval=now"] == f"Uncertainty: {expected}"
    lines = report.text.splitlines()
    headline = f"Score {now.score:.1f}/100, band {now.band}, coverage 100% (open data "
    (score_line,) = [i for i, line in enumerate(lines) if line.startswith(headline)]
    # The text part is wrapped at 78 columns: the line goes on on the next one.
    following = " ".join(lines[score_line + 1 : score_line + 3])
    assert " ".join(following.split()).startswith(f"Uncertainty: {expected}")
    # The same numbers as the console's interval line for this assessment.
    console = interval_line(found, [], u.weight_noise, u.robust_share)
    assert f"median {found.median:.1f}, 90% {found.low:.1f} .. {found.high:.1f}" in console
    # Without a store there is no alert to mark.
    assert html.of("robust") == []


def test_without_weight_noise_or_ranges_the_interval_is_the_score(evidence, spec):
    as_of, since = pd.Timestamp("2017-12-31"), pd.Timestamp("2016-12-31")
    still = replace(spec, uncertainty=replace(spec.uncertainty, weight_noise=0.0))
    data = gather(evidence, still, "TJK", as_of, since)
    known = data.now.table.dropna(subset=["value"])
    assert (known["low"] == known["high"]).all()  # no evidence range at this date
    assert not pd.isna(data.now.score)
    score = data.now.score
    assert data.interval.low == pytest.approx(score)
    assert data.interval.median == pytest.approx(score)
    assert data.interval.high == pytest.approx(score)
    report = build_report(data, methodology_url="docs/methodology.md")
    assert (
        f"Uncertainty: median {score:.1f}, 90% interval {score:.1f} {DASH} {score:.1f}"
        f" ({still.uncertainty.draws} draws over evidence ranges and 0% weight noise)"
    ) in " ".join(report.text.split())
    # With the shipped weight noise the same evidence gives a wider interval.
    noisy = gather(evidence, spec, "TJK", as_of, since)
    assert noisy.interval.high - noisy.interval.low > 0.1
    assert noisy.interval == assessment_interval(spec, noisy.now)[0]


def test_every_figure_cites_its_sources(evidence, spec):
    data = gather(evidence, spec, "TJK", AS_OF, SINCE)
    report = build_report(data, methodology_url="docs/methodology.md")
    html = Sections(report.html(lambda c: c.filename))
    captions = [html.text[f"data-figure={c.name}"] for c in report.charts]
    assert len(captions) == 4
    assert all("Sources: [" in caption for caption in captions)
    listed = html.of("source")
    assert listed == [str(r) for r in data.sources.index]
    assert "Uppsala Conflict Data Program" in html.text[f"data-source={listed[-2]}"]


# -- bad input: one line, exit 2, nothing written ----------------------------------------------


def _snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


BAD = {
    "as-of-month-13": (["--as-of", "2016-13-01"], ("--as-of", "2016-13-01")),
    "since-word": (["--as-of", "2016-01-31", "--since", "last week"], ("--since", "last week")),
    "since-not-before": (["--as-of", "2016-01-31", "--since", "2016-01-31"], ("--since",)),
    "out-is-a-file": (["--as-of", "2016-01-31", "--out", "{file}"], ("--out", "is a file")),
    "out-under-a-file": (["--as-of", "2016-01-31", "--out", "{file}/sub"], ("--out", "is a file")),
    # /proc takes no new folder, even from root (CI runs as root, so chmod would not do).
    "out-unwritable": (["--as-of", "2016-01-31", "--out", "/proc/fragwatch-report"], ("--out",)),
    "to-without-send": (["--to", "a@localhost"], ("--to", "--send")),
    "to-not-an-address": (["--send", "--to", "not an address"], ("--to", "not an e-mail")),
    "unknown-country": (["--country", "XXX"], ("--country", "XXX")),
}


@pytest.mark.parametrize(("args", "words"), list(BAD.values()), ids=list(BAD))
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, args, words):
    (tmp_path / "a-file.txt").write_text("keep me\n", encoding="utf-8")
    args = [a.replace("{file}", str(tmp_path / "a-file.txt")) for a in args]
    before = _snapshot(tmp_path)
    result = fragwatch(tmp_path, "report", *args)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("fragwatch: error: ")
    assert all(w in line for w in words), line
    assert result.stdout == ""
    assert _snapshot(tmp_path) == before


def test_the_same_period_renders_the_same_charts(tmp_path):
    """Charts are a function of the data: no time stamp or random state in the bytes."""
    runs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        write(tmp_path / name, "--as-of", "2016-01-31")
        runs.append({p.name: p.read_bytes() for p in (tmp_path / name / "out").glob("*.png")})
    assert len(runs[0]) == 4
    assert runs[0] == runs[1]
