"""Alert mail as Alertmanager groups it, through a real SMTP server on 127.0.0.1.

One change of the score that trips a score rule, a band change and a jump is one mail; a
backfill is one summary of the past periods plus the current period's mail; a resolution that
happens while a country alert inhibits the indicator alert still arrives; and every mail is
dated when it is sent, not in the period it is about.

The shipped rules, with the score levels set where Tajikistan's score moves (score-high at 40, a
jump of 8), on the embedded data, assessed monthly for TJK: 2016-02-01 is the month the score
jumps from 36.2 to 45.5 (score-high, band-change and score-jump all fire); remittances-dependence
fires from 2014 and clears on 2016-07-01 while score-high is still firing.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fragwatch.evidence.files import load_evidence
from fragwatch.scheduler.jobs import assess_job, deliver_job
from fragwatch.scheduler.wiring import build_service
from fragwatch.settings import load_model_spec
from fragwatch.settings.alerts import load_alert_rules, load_grouping
from fragwatch.settings.service import load_settings

from .alert_levels import tajik_rules_dir
from .conftest import MODEL_TOML, REPO, run_cli
from .smtp_server import Recorder
from .test_report_mail import over_78

MONTHLY = "0 6 1 * *"


def service(tmp_path: Path, port: int, backfill: date | None = None):
    spec = load_model_spec(MODEL_TOML)
    settings = load_settings(
        REPO / "config",
        database_url=f"sqlite:///{tmp_path / 'fragwatch.db'}",
        smtp={"host": "127.0.0.1", "port": port, "security": "none"},
        schedule={"assess_cron": MONTHLY, "backfill_from": backfill},
        countries=["TJK"],
    )
    rules = load_alert_rules(tajik_rules_dir(tmp_path / "rules"), set(spec.indicators))
    grouping = load_grouping(REPO / "config")
    return build_service(
        settings, spec, rules, lambda: load_evidence([], countries=["TJK"]), grouping
    )


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def run(svc, day: str, handler: Recorder) -> list[email.message.EmailMessage]:
    """Assess and deliver at ``day``; the messages the server received in that cycle."""
    handler.received.clear()
    assess_job(at(day), svc)
    deliver_job(at(day), svc)
    sent = datetime.now(UTC)
    messages = [
        email.message_from_bytes(raw, policy=email.policy.default) for _, _, raw in handler.received
    ]
    for m in messages:  # dated when sent, not in the period (2016) the mail is about
        assert abs(m["Date"].datetime - sent) < timedelta(minutes=1), m["Subject"]
    return messages


def text(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def alerts_in(message) -> list[str]:
    return [a.strip() for a in message["X-Fragwatch-Alerts"].split(",")]


def test_one_change_of_the_score_is_one_mail_listing_every_alert_most_severe_first(
    tmp_path, start_server
):
    handler = Recorder()
    svc = service(tmp_path, start_server(handler).port)
    run(svc, "2016-01-15", handler)  # the run before: 53.4, elevated
    (mail,) = run(svc, "2016-02-15", handler)
    assert alerts_in(mail) == ["score-high firing", "band-change firing", "score-jump firing"]
    assert mail["Subject"].startswith("[fragwatch CRITICAL] TJK, 2016-02-01: score-high FIRING")
    assert "also band-change FIRING, score-jump FIRING" in mail["Subject"]
    body = text(mail)
    assert "TJK, period 2016-02-01: 3 alerts (most severe first)" in body
    # One explanation for the three: the score and its movers appear once.
    assert body.count("\nSCORE\n") == 1
    assert body.count("TOP MOVERS") == 1
    # The events are over once reported: nothing to acknowledge or silence for them.
    assert "band-change: an event, nothing to acknowledge or silence." in body
    assert "fragwatch alerts ack score-high TJK" in body
    assert "alerts ack band-change" not in body
    assert over_78(body) == []


def test_a_backfill_is_one_summary_and_the_current_periods_mail(tmp_path, start_server):
    handler = Recorder()
    svc = service(tmp_path, start_server(handler).port, backfill=date(2014, 1, 1))
    messages = run(svc, "2016-08-15", handler)
    assert [m["X-Fragwatch-Kind"] for m in messages][1:] == ["summary"]
    current, summary = messages  # the newest period first (score-high still firing)
    assert current["X-Fragwatch-Period"] == "2016-08-01"
    assert "catch-up summary 2014-01-01 to 2016-07-01" in summary["Subject"]
    listed = text(summary)
    # Every past transition, dated by its period, in one place.
    for line in ("2014-01-01\n", "2016-02-01\n", "2016-07-01\n"):
        assert line in listed
    assert "RESOLVED remittances-dependence" in listed
    assert over_78(listed) == []
    # The HTML part says the same, period by period, for a client that shows HTML.
    assert summary.get_content_type() == "multipart/alternative"
    html = summary.get_body(("html",)).get_content()
    for period in ("2014-01-01", "2016-02-01", "2016-07-01"):
        assert f'data-period="{period}"' in html
    assert 'data-alert="RESOLVED remittances-dependence TJK:remittances_gdp"' in html
    assert over_78(text(current)) == []


def test_a_resolution_while_inhibited_arrives_in_the_group_mail(tmp_path, start_server):
    handler = Recorder()
    svc = service(tmp_path, start_server(handler).port, backfill=date(2016, 1, 1))
    (first,) = run(svc, "2016-01-15", handler)
    assert "remittances-dependence firing" in alerts_in(first)
    run(svc, "2016-06-15", handler)  # score-high fired in February and is still firing
    (july,) = run(svc, "2016-07-15", handler)
    assert "remittances-dependence resolved" in alerts_in(july)
    assert "REMITTANCES-DEPENDENCE RESOLVED" in text(july)


def test_alerts_list_dates_by_period_and_outbox_list_by_real_send_time(tmp_path, start_server):
    handler = Recorder()
    svc = service(tmp_path, start_server(handler).port, backfill=date(2016, 1, 1))
    run(svc, "2016-03-15", handler)  # a catch-up run today of the periods 2016-01 to 2016-03
    env = {
        "FRAGWATCH_CONFIG_DIR": str(REPO / "config"),
        "FRAGWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'fragwatch.db'}",
    }
    listing = run_cli("alerts", "list", cwd=tmp_path, env=env)
    assert listing.returncode == 0, listing.stderr
    lines = {line.split()[1]: line for line in listing.stdout.splitlines()}
    assert "since 2016-02-01" in lines["score-high"]  # the period it fired in
    assert "since 2016-01-01" in lines["remittances-dependence"]
    sent = run_cli("outbox", "list", cwd=tmp_path, env=env)
    today = datetime.now(UTC).date()
    rows = [line for line in sent.stdout.splitlines() if line.startswith("#")]
    assert rows
    assert all(f"sent {today}" in line for line in rows)
