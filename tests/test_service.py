"""The service's jobs on a real SQLite store, with a fixed clock, and `run-once` as a user runs it.

Downtime and catch-up, hysteresis on real data, one transaction per period, job-failure alerts,
silences and acknowledgements, and the README's main job.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from fragwatch.alerts.grouping import Grouping
from fragwatch.alerts.rules import Rule
from fragwatch.delivery.message import message_id
from fragwatch.evidence.files import load_evidence
from fragwatch.scheduler.jobs import JobFailed, assess_job, deliver_job
from fragwatch.scheduler.wiring import build_service
from fragwatch.settings.service import load_settings
from fragwatch.store.schema import alert_state, assessments, outbox

from .conftest import REPO, WATCHED, run_cli

MONTHLY = "0 6 1 * *"  # periods on the first of each month, 06:00 UTC
# At the level of Tajikistan's score under the two-layer model (36 in January 2016, 45 in February).
SCORE_HIGH = Rule("score-high", "score_above", "critical", fire=40, clear=38, repeat_hours=24 * 90)
JOB_FAILURE = Rule("job-failure", "job_failure", "high")


EACH = Grouping(catch_up="each")  # a mail per period, even when catching up


def make_service(
    tmp_path: Path, rules, *, backfill=None, evidence_paths=(), spec=None, grouping=None, **extra
):
    from fragwatch.settings import load_model_spec

    settings = load_settings(
        REPO / "config",
        database_url=f"sqlite:///{tmp_path / 'var' / 'fragwatch.db'}",
        outbox_dir=tmp_path / "var" / "outbox",
        schedule={"assess_cron": MONTHLY, "backfill_from": backfill},
        # Tajikistan alone (the shipped config watches it and its five neighbours).
        **{"countries": ["TJK"], "recipients": {"report_readers": []}, **extra},
    )
    spec = spec or load_model_spec(REPO / "config" / "model.toml")
    paths = [Path(p) for p in evidence_paths]
    return build_service(
        settings, spec, rules, lambda: load_evidence(paths, countries=["TJK"]), grouping
    )


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def queued(svc) -> list[tuple[str, str]]:
    """(dedupe key, subject) of every outbox row, oldest first."""
    with svc.engine.connect() as conn:
        return [
            (r.dedupe_key, r.subject)
            for r in conn.execute(select(outbox.c.dedupe_key, outbox.c.subject).order_by("id"))
        ]


def alert_rows(svc) -> list[tuple]:
    """Each alert's state, firing start and last period, as the store holds them."""
    columns = (alert_state.c.rule, alert_state.c.subject, alert_state.c.state,
               alert_state.c.fired_at, alert_state.c.last_as_of)  # fmt: skip
    with svc.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*columns)))


def periods_stored(svc) -> list[date]:
    with svc.engine.connect() as conn:
        return list(conn.scalars(select(assessments.c.as_of).order_by(assessments.c.as_of)))


def test_downtime_each_missed_period_is_assessed_once_and_no_alert_goes_twice(tmp_path):
    rules = [SCORE_HIGH, Rule("band-change", "band_change", "high")]
    # The reference service never stopped: one run over the whole span.
    reference = make_service(tmp_path / "ref", rules, backfill=date(2015, 6, 1))
    assess_job(at("2016-09-15"), reference)

    # The real one ran in 2015, was down from October to the end of August 2016, came back.
    svc = make_service(tmp_path / "svc", rules, backfill=date(2015, 6, 1))
    assess_job(at("2015-09-15"), svc)
    assert periods_stored(svc) == [date(2015, m, 1) for m in (6, 7, 8, 9)]
    keys_before = [k for k, _ in queued(svc)]
    report = assess_job(at("2016-09-15"), svc)
    assert report.periods[0] == date(2015, 10, 1)  # caught up from the store's last period
    assert len(report.periods) == 12

    stored = periods_stored(svc)
    assert stored == sorted(set(stored))  # once each
    assert stored == periods_stored(reference)
    keys = [k for k, _ in queued(svc)]
    assert len(keys) == len(set(keys))
    # The alert states end the same as if the service had never stopped.
    assert alert_rows(svc) == alert_rows(reference)
    # The catch-up after the downtime: one summary of the past periods, then the current
    # period's mail, both for the one country watched (and nothing before it twice).
    after = keys[len(keys_before) :]
    assert keys[: len(keys_before)] == keys_before
    assert [k.split("|")[0] for k in after] in (["summary", "alerts"], ["summary"])
    assert after[0] == "summary|officer|TJK|2015-10-01|2016-08-01"
    assert any("FIRING" in s or "fired" in s for _, s in queued(svc))  # alerts did fire

    # Coming back again with nothing new due changes nothing.
    assert assess_job(at("2016-09-20"), svc).periods == []
    assert [k for k, _ in queued(svc)] == keys


def test_a_value_oscillating_around_the_fire_level_sends_one_alert(tmp_path):
    """Remittances (WDI) read 32.7, 49.9, 37.8, 47.9 % of GDP in 2023-2026: around 45."""
    kw = {"kind": "indicator_above", "severity": "medium", "indicator": "remittances_gdp"}
    with_hysteresis = Rule("remit", fire=45, clear=35, **kw)
    without = Rule("remit", fire=45, clear=44.9, **kw)

    def firings(rule: Rule, name: str) -> list[str]:
        svc = make_service(tmp_path / name, [rule], backfill=date(2023, 1, 1), grouping=EACH)
        assess_job(at("2026-11-15"), svc)
        return [s for _, s in queued(svc) if "FIRING" in s]

    assert len(firings(with_hysteresis, "a")) == 1
    # The same data with the clear level at the fire level alerts on every crossing.
    assert len(firings(without, "b")) == 2


def test_a_period_is_written_whole_or_not_at_all(tmp_path):
    svc = make_service(tmp_path, [SCORE_HIGH], backfill=date(2016, 1, 1), grouping=EACH)
    # The database refuses the outbox row the February 2016 firing needs (a real SQLite
    # failure, as a full disk would be): the whole period must roll back.
    with svc.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER no_mail BEFORE INSERT ON outbox "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
    with pytest.raises(JobFailed, match="disk full"):
        assess_job(at("2016-03-15"), svc)
    assert periods_stored(svc) == [date(2016, 1, 1)]  # January had no alert and committed
    with svc.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(outbox)) == 0
        firing = conn.scalar(select(func.count()).where(alert_state.c.state == "firing"))
        assert firing == 0

    with svc.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER no_mail"))
    report = assess_job(at("2016-03-15"), svc)
    assert report.periods == [date(2016, 2, 1), date(2016, 3, 1)]
    assert [s for _, s in queued(svc) if "FIRING" in s] != []
    assert len(queued(svc)) == 1


def test_a_failing_job_fires_a_job_failure_alert_and_resolves_when_it_recovers(tmp_path):
    extra = tmp_path / "extra.csv"
    extra.write_text("not,an,evidence,file\n1,2,3,4\n", encoding="utf-8")
    svc = make_service(tmp_path, [SCORE_HIGH, JOB_FAILURE], evidence_paths=[extra])
    with pytest.raises(JobFailed, match=r"extra\.csv"):
        assess_job(at("2016-03-15"), svc)
    ((_key, subject),) = queued(svc)
    assert "job-failure FIRING" in subject
    assert "job:assess" in subject

    extra.unlink()  # the analyst removes the bad file
    svc_fixed = make_service(tmp_path, [SCORE_HIGH, JOB_FAILURE])
    assess_job(at("2016-03-16"), svc_fixed)
    subjects = [s for _, s in queued(svc_fixed)]
    assert any("job-failure RESOLVED" in s for s in subjects)
    assert periods_stored(svc_fixed) == [date(2016, 3, 1)]


def test_the_previous_run_is_compared_across_restarts(tmp_path):
    """A jump rule sees the period before a restart, not a blank."""
    jump = Rule("score-jump", "jump", "high", fire=8)
    svc = make_service(tmp_path, [jump], backfill=date(2016, 1, 1))
    assess_job(at("2016-01-15"), svc)  # January: 36.2
    svc = make_service(tmp_path, [jump], backfill=date(2016, 1, 1))  # the service restarts
    assess_job(at("2016-02-15"), svc)  # February: 45.5, a jump of 9 points across the restart
    ((_, subject),) = queued(svc)
    assert "score-jump FIRING" in subject
    assert "+9" in subject


def test_alert_mail_is_delivered_as_eml_files_threaded_and_routed_by_severity(tmp_path):
    stale = Rule("stale", "stale_evidence", "medium", fire=0.5, clear=0.5)
    svc = make_service(
        tmp_path,
        [SCORE_HIGH, stale],
        backfill=date(2016, 1, 1),
        recipients={"watch_officer": "officer@example.org", "watch_list": ["desk@example.org"]},
        grouping=EACH,
    )
    # Fires in February 2016 (45.5), resolves in January 2018 (35.3, below 38).
    assess_job(at("2018-01-15"), svc)
    report = deliver_job(at("2018-01-15"), svc)
    files = sorted((tmp_path / "var" / "outbox").glob("*.eml"))
    assert report.sent == len(files) == len(queued(svc)) > 0
    messages = [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files
    ]
    by_kind = {}
    for m in messages:
        by_kind.setdefault((m["X-Fragwatch-Rule"], m["X-Fragwatch-Kind"]), []).append(m)
    firing = by_kind[("score-high", "firing")][0]
    resolved = by_kind[("score-high", "resolved")][0]
    assert firing["To"] == "officer@example.org"  # critical: the officer
    # The assess job attaches the interval: a score far above the fire level is robust.
    assert "score-high FIRING (robust)" in firing["Subject"]
    assert "Robust:   yes" in firing.get_body(("plain",)).get_content()
    assert "interval: median" in firing.get_body(("plain",)).get_content()
    assert resolved["In-Reply-To"] == firing["Message-ID"]  # the resolution threads under it
    keys = {k for k, _ in queued(svc)}
    assert {m["Message-ID"] for m in messages} == {message_id(k, svc.sender) for k in keys}


def run_once(tmp_path: Path, *args: str, now: str, **env: str):
    return run_cli(
        "--config-dir", str(REPO / "config"), "run-once", "--now", now, *args,
        cwd=tmp_path, env={"FRAGWATCH_SCHEDULE__ASSESS_CRON": MONTHLY, **env},
    )  # fmt: skip


def test_run_once_on_a_fresh_install_says_where_the_mail_went(tmp_path):
    first = run_once(tmp_path, now="2026-11-22T12:00")
    assert first.returncode == 0, first.stderr
    assert "assessed 2026-11-01" in first.stdout
    assert "var/outbox" in first.stdout
    mails = list((tmp_path / "var" / "outbox").glob("*.eml"))
    messages = [
        email.message_from_bytes(m.read_bytes(), policy=email.policy.default) for m in mails
    ]
    alerts = [m for m in messages if m["X-Fragwatch-Rule"]]
    reports = [m for m in messages if m["X-Fragwatch-Kind"] == "report"]
    # Today Afghanistan scores in the high band and Tajikistan lives on remittances of 48% of
    # GDP: each an alert to the watch officer, and each watched country's weekly report.
    assert {m["X-Fragwatch-Rule"] for m in alerts} == {"score-high", "remittances-dependence"}
    assert {m["To"] for m in alerts} == {"watch-officer@localhost"}
    assert sorted(m["X-Fragwatch-Country"] for m in reports) == sorted(WATCHED)
    assert {m["To"] for m in reports} == {"report-readers@localhost"}
    assert len(alerts) + len(reports) == len(mails)

    again = run_once(tmp_path, now="2026-11-22T13:00")
    assert again.returncode == 0, again.stderr
    assert "nothing due" in again.stdout
    assert len(list((tmp_path / "var" / "outbox").glob("*.eml"))) == len(mails)


def test_silence_holds_the_mail_back_and_ack_stops_reminders(tmp_path):
    env = {"FRAGWATCH_USER": "duty-officer"}
    silenced = run_cli(
        "--config-dir", str(REPO / "config"), "alerts", "silence", "remittances-*", "TJK:*",
        "--for", "2w", "--comment", "known dependence", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert silenced.returncode == 0, silenced.stderr
    result = run_once(tmp_path, now=datetime.now(UTC).isoformat(timespec="minutes"))
    assert result.returncode == 0, result.stderr
    listing = run_cli("--config-dir", str(REPO / "config"), "alerts", "list", cwd=tmp_path)
    line = next(x for x in listing.stdout.splitlines() if "remittances-dependence" in x)
    assert line.startswith("FIRING")
    assert "0 sent" in line
    assert "known dependence" in listing.stdout
    assert "duty-officer" in listing.stdout

    ack = run_cli(
        "--config-dir", str(REPO / "config"), "alerts", "ack", "remittances-dependence",
        "TJK:remittances_gdp",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert ack.returncode == 0, ack.stderr
    listing = run_cli("--config-dir", str(REPO / "config"), "alerts", "list", cwd=tmp_path)
    assert "acknowledged by duty-officer" in listing.stdout

    not_firing = run_cli(
        "--config-dir", str(REPO / "config"), "alerts", "ack", "score-high", "TJK", cwd=tmp_path
    )
    assert not_firing.returncode == 2
    assert not_firing.stderr.count("\n") == 1
    assert "score-high" in not_firing.stderr


def test_outbox_commands_list_and_requeue_dead_letters(tmp_path):
    svc = make_service(tmp_path, [SCORE_HIGH], backfill=date(2016, 2, 1))
    assess_job(at("2016-02-15"), svc)
    with svc.engine.begin() as conn:
        conn.execute(outbox.update().values(state="dead", last_error="550 mailbox unavailable"))
    args = ("--config-dir", str(REPO / "config"))
    env = {"FRAGWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'fragwatch.db'}"}
    dead = run_cli(*args, "outbox", "dead", cwd=tmp_path, env=env)
    assert "DEAD" in dead.stdout
    assert "550 mailbox unavailable" in dead.stdout
    retried = run_cli(*args, "outbox", "retry", "--all", cwd=tmp_path, env=env)
    assert retried.returncode == 0
    assert "1 message(s) queued again" in retried.stdout
    listing = run_cli(*args, "outbox", "list", "--state", "pending", cwd=tmp_path, env=env)
    assert "PENDING" in listing.stdout
    assert "score-high" in listing.stdout
    assert "no messages" in run_cli(*args, "outbox", "dead", cwd=tmp_path, env=env).stdout


def test_backfill_sends_one_summary_and_the_current_period_with_no_past_reminders(tmp_path):
    # Below 75% coverage is stale for this desk: the 2015 report evidence has aged out.
    stale = Rule("stale", "stale_evidence", "medium", fire=0.75, clear=0.75, repeat_hours=24)
    svc = make_service(tmp_path, [stale], backfill=date(2020, 1, 1))
    assess_job(at("2020-12-15"), svc)
    subjects = [s for _, s in queued(svc)]
    # Stale all through 2020 (66% coverage): the firing of January in one summary of the
    # past periods, and the current period's reminder; not one mail a month.
    assert len(subjects) == 2
    assert "catch-up summary 2020-01-01 to 2020-11-01: 1 fired, 0 resolved" in subjects[0]
    assert "stale REMINDER" in subjects[1]
    assert "2020-12-01" in subjects[1]


def test_catch_up_runs_from_the_store_not_from_the_first_ever_period(tmp_path):
    svc = make_service(tmp_path, [SCORE_HIGH])  # no backfill: only the current period
    assess_job(at("2016-03-15"), svc)
    assert periods_stored(svc) == [date(2016, 3, 1)]
    assess_job(at("2016-03-15") + timedelta(days=62), svc)
    assert periods_stored(svc) == [date(2016, 3, 1), date(2016, 4, 1), date(2016, 5, 1)]
