"""Alert conditions and lifecycle: hysteresis, pending runs, reminders, silences, inhibition."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pandas as pd
import pytest

from fragwatch.alerts.lifecycle import AlertState, Silence, deliverable, step
from fragwatch.alerts.rules import Rule, evaluate
from fragwatch.errors import ConfigError
from fragwatch.scoring.assessment import Assessment
from fragwatch.settings.alerts import load_alert_rules, load_rules

from .conftest import REPO

T0 = datetime(2016, 1, 1)
HIGH = Rule("score-high", "score_above", "critical", fire=60, clear=55, repeat_hours=24 * 30)


def assessment(score: float, band: str = "high", remit: float = 30.0, coverage: float = 1.0):
    table = pd.DataFrame(
        {"code": ["remittances_gdp"], "value": [remit], "unit": ["percent of GDP"]}
    )
    return Assessment("TJK", pd.Timestamp(T0), score, band, coverage, table, "m", "e")


def run(rule: Rule, scores: list[float]) -> list[str]:
    """Feed one score per daily run; return the notifications sent, in order."""
    state, sent, before = AlertState(rule.name, "TJK"), [], None
    for day, score in enumerate(scores):
        now = assessment(score)
        state, note = step(rule, state, evaluate(rule, now, before), T0 + timedelta(days=day))
        before = now
        if note:
            sent.append(f"day{day}:{note.kind}")
    return sent


def test_a_score_oscillating_around_the_fire_level_sends_one_alert():
    assert run(HIGH, [59, 61, 59, 60.5, 58, 61, 57, 62]) == ["day1:firing"]


def test_alert_resolves_once_below_the_clear_level_and_can_fire_again():
    assert run(HIGH, [61, 56, 54, 58, 61]) == ["day0:firing", "day2:resolved", "day4:firing"]


def test_pending_for_n_runs_filters_a_one_run_blip():
    rule = Rule("score-high", "score_above", "critical", fire=60, clear=55, for_runs=3)
    assert run(rule, [61, 50, 61, 61, 50, 61, 61, 61]) == ["day7:firing"]


def test_reminder_after_the_repeat_interval_while_still_firing():
    rule = Rule("score-high", "score_above", "critical", fire=60, clear=55, repeat_hours=48)
    assert run(rule, [61, 62, 63, 64, 65]) == ["day0:firing", "day2:reminder", "day4:reminder"]


def test_withheld_score_keeps_the_state_instead_of_resolving():
    assert run(HIGH, [61, float("nan"), 61, 50]) == ["day0:firing", "day3:resolved"]


def test_jump_and_band_change_compare_with_the_previous_run():
    jump = Rule("score-jump", "jump", "high", fire=10)
    # An event rule: each jump is news, its end is not (no "resolved" mail).
    assert run(jump, [30, 35, 47, 48, 60, 40]) == ["day2:firing", "day4:firing", "day5:firing"]
    band = Rule("band-change", "band_change", "high")
    before, now = assessment(50, "elevated"), assessment(61, "high")
    reading = evaluate(band, now, before)
    assert reading.fire
    assert "elevated -> high" in reading.explanation


def test_indicator_rule_reads_the_raw_value_with_its_unit():
    rule = Rule(
        "remit", "indicator_above", "medium", fire=40, clear=35, indicator="remittances_gdp"
    )
    reading = evaluate(rule, assessment(50, remit=44.1), None)
    assert reading.fire
    assert reading.subject == "TJK:remittances_gdp"
    assert "44.1 percent of GDP" in reading.explanation


def test_dedupe_key_is_stable_for_one_transition():
    state, note = step(
        HIGH, AlertState("score-high", "TJK"), evaluate(HIGH, assessment(61), None), T0
    )
    _, again = step(HIGH, AlertState("score-high", "TJK"), evaluate(HIGH, assessment(65), None), T0)
    assert note.dedupe_key == again.dedupe_key
    assert state.state == "firing"


def test_silences_and_inhibition_decide_what_is_sent_not_the_state():
    remit = Rule(
        "remit", "indicator_above", "medium", fire=40, clear=35, indicator="remittances_gdp"
    )
    rules = {"score-high": HIGH, "remit": remit}
    now = assessment(70, remit=45)
    notes = []
    for rule in rules.values():
        _, note = step(rule, AlertState(rule.name, "-"), evaluate(rule, now, None), T0)
        notes.append(note)
    firing = {("score-high", "TJK"), ("remit", "TJK:remittances_gdp")}
    # The country alert inhibits the indicator alert of the same country.
    kept = deliverable(notes, rules, firing, [], T0)
    assert [n.rule for n in kept] == ["score-high"]
    # A silence on the country alert until tomorrow stops it today, not after it ends.
    silence = Silence("score-*", "TJK", ends_at=T0 + timedelta(days=1))
    assert deliverable(notes, rules, firing, [silence], T0) == []
    after = deliverable(notes, rules, firing, [silence], T0 + timedelta(days=2))
    assert [n.rule for n in after] == ["score-high"]


def test_shipped_alert_rules_load():
    codes = {"remittances_gdp", "heroin_seizure_trend"}
    rules = load_alert_rules(REPO / "config", codes)
    assert {r.kind for r in rules} >= {"score_above", "band_change", "jump", "indicator_above"}


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('[[rule]]\nname = "a"\nkind = "score_above"\nfire = 60\nclear = 65\n',
         "alerts.toml:5: field 'rule.0.clear'", "must lie below the fire level"),
        ('[[rule]]\nname = "a"\nkind = "score_below"\nfire = 20\nclear = 10\n',
         "alerts.toml:5: field 'rule.0.clear'", "must lie above"),
        ('[[rule]]\nname = "a"\nkind = "indicator_above"\nindicator = "gdp"\nfire = 1\nclear = 0\n',
         "alerts.toml:4: field 'rule.0.indicator'", "unknown indicator 'gdp'"),
        ('[[rule]]\nname = "a"\nkind = "score_abov"\nfire = 1\n',
         "alerts.toml:3: field 'rule.0.kind'", "unknown kind"),
        ('[[rule]]\nname = "a"\nkind = "jump"\nfire = 5\nsevere = "x"\n',
         "alerts.toml:5: field 'rule.0.severe'", "unknown key"),
        ('[[rule]]\nname = "a"\nkind = "score_above"\nfire = 60\n',
         "field 'rule.0.clear'", "hysteresis"),
        ('[[rule]]\nname = "a"\nkind = "jump"\nfire = 5\nseverity = "urgent"\n',
         "alerts.toml:5: field 'rule.0.severity'", "critical, high"),
        ('[[rule]]\nname = "a"\nkind = "jump"\nfire = 5\n'
         '[[rule]]\nname = "a"\nkind = "jump"\nfire = 6\n',
         "alerts.toml:6: field 'rule.1.name'", "duplicate"),
        ('[[rule]]\nname = "a"\nkind = "jump"\nfire = 5\nfor_runs = 0\n',
         "alerts.toml:5: field 'rule.0.for_runs'", "> 0"),
        ('[[rule]]\nname = "a\\r\\nBcc: x@y.org"\nkind = "jump"\nfire = 5\n',
         "alerts.toml:2: field 'rule.0.name'", "is not a rule name"),
        ('[[rule]]\nname = "a"\nkind = "job_failure"\nfire = 1\n',
         "alerts.toml:4: field 'rule.0.fire'", "takes no fire level"),
    ],
    ids=["clear-above-fire", "clear-below-fire", "unknown-indicator", "unknown-kind",
         "unknown-key", "missing-clear", "bad-severity", "duplicate-name", "zero-runs",
         "control-characters-in-name", "job-failure-with-level"],
)  # fmt: skip
def test_bad_alert_rules_name_file_line_and_field(tmp_path, text, where, words):
    path = tmp_path / "alerts.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(path, {"remittances_gdp"})
    message = caught.value.one_line()
    assert where in message
    assert words in message


def test_job_failure_fires_on_an_error_and_resolves_on_the_next_success():
    from fragwatch.alerts.rules import job_reading

    rule = Rule("job-failure", "job_failure", "high", repeat_hours=24)
    state, kinds = AlertState(rule.name, "job:assess"), []
    for hour, error in enumerate([None, "database is locked", "database is locked", None]):
        state, note = step(rule, state, job_reading("assess", error), T0 + timedelta(hours=hour))
        if note:
            kinds.append((hour, note.kind, note.reading.explanation))
    assert [(h, k) for h, k, _ in kinds] == [(1, "firing"), (3, "resolved")]
    assert "database is locked" in kinds[0][2]


def test_acknowledged_alert_sends_no_reminders_but_still_resolves():
    rule = Rule("score-high", "score_above", "critical", fire=60, clear=55, repeat_hours=24)
    state, sent = AlertState(rule.name, "TJK"), []
    for day, score in enumerate([61, 62, 63, 64, 50]):
        state, note = step(
            rule, state, evaluate(rule, assessment(score), None), T0 + timedelta(days=day)
        )
        if day == 0:
            state = dataclasses.replace(state, acked_at=T0)
        if note:
            sent.append(f"day{day}:{note.kind}")
    assert sent == ["day0:firing", "day4:resolved"]
