"""Backtest: point-in-time replay, the shipped event ledger, metrics and the command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fragwatch.errors import EvidenceError
from fragwatch.evidence.files import load_evidence
from fragwatch.evidence.ledger import read_ledger
from fragwatch.scoring.assessment import assess
from fragwatch.scoring.backtest import month_ends, replay, score_backtest, target
from fragwatch.settings.alerts import load_alert_rules

from .conftest import REPO, run_cli

LEDGER = REPO / "config" / "ledgers" / "tjk-crises.csv"
DATES = month_ends(pd.Timestamp("2006-01-01"), pd.Timestamp("2016-12-31"))


@pytest.fixture(scope="module")
def rules(spec):
    return load_alert_rules(REPO / "config", set(spec.indicators))


def test_every_ledger_quote_is_verbatim_in_its_source_text(evidence):
    ledger = read_ledger(LEDGER)
    assert len(ledger) >= 5
    for row in ledger.itertuples():
        assert row.quote, row
        assert row.quote in evidence.texts[row.source_id], row.source_id


def test_ledger_errors_are_located(tmp_path):
    bad = tmp_path / "l.csv"
    bad.write_text("date,kind\n2015-09-04,armed_attack\n2015,riot\n")
    with pytest.raises(EvidenceError, match=r"l.csv:3: field 'date'"):
        read_ledger(bad)


def test_replay_matches_assess_month_by_month(evidence, spec, rules):
    run = replay(evidence, spec, rules, "TJK", DATES)
    for when in DATES[::17]:
        (one,) = assess(evidence, spec, ["TJK"], when)
        got = run.scores.loc[when, "score"]
        assert (np.isnan(one.score) and np.isnan(got)) or got == pytest.approx(one.score)


def _planted(tmp_path: Path, published: str) -> Path:
    """An extra evidence folder: a huge remittances figure for 2010, published later."""
    base = REPO / "src" / "fragwatch" / "evidence" / "data" / "observations.csv"
    table = pd.read_csv(base, dtype=str, keep_default_na=False)
    row = table[table["quantity"] == "remittances_gdp"].iloc[[0]].copy()
    row["obs_id"] = "planted-future"
    row["period"] = "2010"
    row["value"], row["low"], row["high"] = "95", "", ""
    row["published"] = published
    folder = tmp_path / "planted"
    folder.mkdir()
    row.to_csv(folder / "observations.csv", index=False)
    return folder


def test_a_future_observation_has_no_effect_before_its_publication(tmp_path, spec, rules):
    clean = load_evidence([])
    planted = load_evidence([_planted(tmp_path, "2014-06-15")])
    a = replay(clean, spec, rules, "TJK", DATES)
    b = replay(planted, spec, rules, "TJK", DATES)
    before = pd.Timestamp("2014-06-15") > DATES
    pd.testing.assert_frame_equal(a.scores[before], b.scores[before])
    pd.testing.assert_frame_equal(a.firing[before], b.firing[before])
    # ...and it is read once published: the plant is real, not ignored.
    assert not a.scores[~before]["score"].equals(b.scores[~before]["score"])
    ledger = read_ledger(LEDGER)
    cut = DATES[before]
    m1 = score_backtest(replay(clean, spec, rules, "TJK", cut), ledger)
    m2 = score_backtest(replay(planted, spec, rules, "TJK", cut), ledger)
    assert m1.to_dict() == m2.to_dict()


def test_target_is_an_event_within_the_horizon_and_unknown_at_the_end():
    dates = month_ends(pd.Timestamp("2010-01-01"), pd.Timestamp("2010-12-31"))
    y = target(dates, pd.DatetimeIndex(["2010-06-10"]), horizon=3)
    # Jan end: window to Apr 30 -> no; Mar end .. May end -> yes; Oct end onwards: unknown.
    assert list(y[:6]) == [0, 0, 1, 1, 1, 0]
    assert np.isnan(y[-3:]).all()
    assert not np.isnan(y[-4])


def test_metrics_on_the_shipped_ledger(evidence, spec, rules):
    run = replay(evidence, spec, rules, "TJK", DATES)
    m = score_backtest(run, read_ledger(LEDGER), horizon=12)
    assert len(m.events) == 6
    assert 0 <= m.hit_rate <= 1
    assert 0 <= m.auc <= 1
    assert 0 <= m.brier <= 1
    hit = m.events[m.events["hit"]]
    assert (hit["lead_days"] > 0).all()
    assert (hit["lead_days"] <= 366).all()
    assert m.events.loc[~m.events["hit"], "lead_days"].isna().all()


def test_backtest_command_json_and_chart(tmp_path):
    chart = tmp_path / "bt.png"
    args = ["backtest", "--from", "2006-01-01", "--to", "2016-12-31", "--events", str(LEDGER)]
    done = run_cli(*args, "--json", "--chart", str(chart))
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["horizon_months"] == 12
    assert len(record["events"]) == 6
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = run_cli(*args[:-1], str(tmp_path / "missing.csv"))
    assert bad.returncode != 0
    assert "no such file" in bad.stderr


def test_a_bare_ledger_name_reads_the_config_ledgers_folder(tmp_path):
    done = run_cli(
        "backtest", "--from", "2014-01-01", "--to", "2016-12-31", "--events", "tjk-crises",
        cwd=tmp_path, env={"FRAGWATCH_CONFIG_DIR": str(REPO / "config")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "events in period: 3" in done.stdout
