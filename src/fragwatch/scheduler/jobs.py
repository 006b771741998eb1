"""The service's jobs: plain functions of ``now`` and a ``Service`` (DESIGN §9).

``assess_job`` assesses every due period and, per period, writes the assessments, the alert
states they move and the mail those transitions cause in ONE transaction (DESIGN §8): a crash
leaves either the whole period or nothing, so a restart redoes exactly the missing periods and
never enqueues an alert twice. ``deliver_job`` drains the outbox.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Connection, Engine

from fragwatch.alerts.lifecycle import AlertState, Notification, deliverable, step, transition_key
from fragwatch.alerts.rules import Rule, evaluate, job_reading
from fragwatch.delivery.compose import AlertMail, Certainty, compose_alert
from fragwatch.delivery.message import message_id
from fragwatch.delivery.notifiers.base import Notifier
from fragwatch.delivery.outbox import enqueue
from fragwatch.delivery.sender import DeliveryReport, RetryPolicy, deliver_due
from fragwatch.evidence import Evidence
from fragwatch.scheduler.periods import due_periods
from fragwatch.scoring.assessment import Assessment, assess
from fragwatch.scoring.spec import ModelSpec
from fragwatch.scoring.uncertainty import alert_share, assessment_interval
from fragwatch.store.alerts import StoredAlert, list_silences, load_alerts, save_alert
from fragwatch.store.assessments import last_assessed, save_assessment
from fragwatch.store.engine import read_connection

log = logging.getLogger("fragwatch.scheduler")


@dataclass(frozen=True)
class Routing:
    """Who gets an alert, by severity: the officer critical and high, the list the rest."""

    officer: str
    watch_list: tuple[str, ...] = ()

    def recipients(self, severity: str) -> list[str]:
        if severity in ("critical", "high") or not self.watch_list:
            # An empty list must not swallow alerts silently: they go to the officer.
            return [self.officer]
        return list(self.watch_list)


@dataclass(frozen=True)
class ReportPlan:
    """The scheduled risk report: each firing of ``trigger`` is a period, mailed to readers."""

    trigger: CronTrigger
    readers: tuple[str, ...] = ()  # empty: no report is sent
    out_dir: Path = Path("var/reports")  # each report's HTML is kept in <out_dir>/<country>-<date>
    methodology_url: str = "docs/methodology.md"
    history_years: int = 5


@dataclass(frozen=True)
class Service:
    """Everything the jobs need, as plain values (the CLI builds it from the settings)."""

    engine: Engine
    load_evidence: Callable[[], Evidence]  # called at every assess run: new evidence is seen
    spec: ModelSpec
    rules: tuple[Rule, ...]
    countries: tuple[str, ...]  # empty: every country in the evidence
    trigger: CronTrigger
    sender: str
    routing: Routing
    policy: RetryPolicy
    notifier: Callable[[], Notifier]
    backfill_from: date | None = None
    report: ReportPlan | None = None  # None: no scheduled report
    feeds: Any = None  # a scheduler.feeds_job.FeedsPlan; None: no fetch job
    # Set by SIGTERM: the assess job stops between two periods (each is complete on its own).
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass
class AssessReport:
    periods: list[date] = field(default_factory=list)
    alerts: int = 0  # messages put in the outbox
    error: str | None = None


class JobFailed(Exception):
    """A job failed; the job-failure alert has been recorded (and queued) already."""


def assess_job(now: datetime, svc: Service) -> AssessReport:
    """Assess each due period in order; record the job's outcome for job-failure rules."""
    report = AssessReport()
    try:
        _assess_due(now, svc, report)
    except Exception as exc:  # any failure is a job failure: the officer must hear of it
        report.error = _one_line(exc)
        log.exception("assess job failed")
    _record_job_outcome("assess", report.error, now, svc)
    if report.error is not None:
        raise JobFailed(report.error)
    return report


def deliver_job(now: datetime, svc: Service) -> DeliveryReport:
    """Send everything due, batch after batch, until the outbox is drained or a send fails."""
    total = DeliveryReport()
    while not svc.stop.is_set():
        report = deliver_due(svc.engine, svc.notifier(), now, svc.policy, sender=svc.sender)
        total.sent += report.sent
        total.retrying += report.retrying
        total.dead += report.dead
        total.deferred += report.deferred
        total.errors += report.errors
        if not report.ok or report.sent + report.dead < svc.policy.batch_size:
            break
    return total


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:299] + "\u2026"


def _assess_due(now: datetime, svc: Service, report: AssessReport) -> None:
    evidence = svc.load_evidence()
    countries = list(svc.countries) or evidence.countries
    with read_connection(svc.engine) as conn:
        lasts = {c: last_assessed(conn, c, svc.spec.digest) for c in countries}
    # Catch up from the country furthest behind; countries already further are upserted
    # unchanged and their alerts skip periods they have seen (``last_as_of``).
    last = None if None in lasts.values() else min(lasts.values())
    periods = due_periods(svc.trigger, now, last, svc.backfill_from)
    if not periods:
        return
    first = pd.Timestamp(periods[0].date())
    previous = {c: _previous(evidence, svc.spec, c, lasts[c], first) for c in countries}
    if len(periods) > 1:
        log.info("catching up %d periods: %s to %s", len(periods), periods[0], periods[-1])
    for period in periods:
        if svc.stop.is_set():
            log.info("stopping before period %s (shutdown requested)", period.date())
            return
        current = assess(evidence, svc.spec, countries, pd.Timestamp(period.date()))
        # Reminders only for the latest period: a catch-up reports every transition it finds,
        # not a month of "still firing" mails for periods already past.
        remind = period is periods[-1]
        with svc.engine.begin() as conn:
            report.alerts += _record_period(
                conn, period, current, previous, evidence, now, svc, remind=remind
            )
        previous = {a.country: a for a in current}
        report.periods.append(period.date())
        log.info(
            "assessed %s: %s",
            period.date(),
            ", ".join(f"{a.country} {_score(a)} ({a.band})" for a in current),
        )


def _previous(
    evidence: Evidence, spec: ModelSpec, country: str, last: date | None, first: pd.Timestamp
) -> Assessment | None:
    """The run before the first due period, recomputed point-in-time (jump and band rules)."""
    if last is None or pd.Timestamp(last) >= first:
        return None
    return assess(evidence, spec, [country], pd.Timestamp(last))[0]


def _score(a: Assessment) -> str:
    return "withheld" if pd.isna(a.score) else f"{a.score:.1f}"


def _record_period(
    conn: Connection,
    period: datetime,
    current: list[Assessment],
    previous: dict[str, Assessment | None],
    evidence: Evidence,
    now: datetime,
    svc: Service,
    *,
    remind: bool = True,
) -> int:
    """Save one period's assessments, step every alert, queue the mail: one transaction."""
    stored = load_alerts(conn)
    states = {key: alert.state for key, alert in stored.items()}
    steps: list[_Step] = []
    rules = [r for r in svc.rules if not r.about_jobs]
    draws: dict[str, tuple] = {}  # the interval's Monte Carlo, once per country and only if mailed
    for a in current:
        save_assessment(conn, a, computed_at=now)
        before = previous.get(a.country)
        for rule in rules:
            reading = evaluate(rule, a, before)
            old = stored.get((rule.name, reading.subject))
            if old is not None and old.last_as_of is not None and old.last_as_of >= period.date():
                continue  # this period was already counted for this alert
            state = old.state if old else AlertState(rule.name, reading.subject)
            new, note = step(rule, state, reading, period)
            if note is not None and note.kind == "reminder" and not remind:
                new, note = state, None  # the reminder stays due for the latest period
            states[(rule.name, reading.subject)] = new
            mail = None
            if note is not None:
                sure = _certainty(svc, a, rule, draws)
                mail = AlertMail(note, rule, a, before, _since(state, new), sure)
            steps.append(_Step(old, new, note, mail, period.date(), reading.value))
    return _commit_steps(conn, steps, states, evidence, now, svc)


def _certainty(svc: Service, a: Assessment, rule: Rule, cache: dict) -> Certainty | None:
    """The assessment's interval and the rule's share of firing draws (None if withheld)."""
    if pd.isna(a.score):
        return None
    if a.country not in cache:
        cache[a.country] = assessment_interval(svc.spec, a)
    interval, scores = cache[a.country]
    u = svc.spec.uncertainty
    share = alert_share(rule, a, scores, seed=u.seed)
    return Certainty(interval, u.weight_noise, share, u.robust_share)


def _record_job_outcome(job: str, error: str | None, now: datetime, svc: Service) -> None:
    rules = [r for r in svc.rules if r.about_jobs]
    if not rules:
        return
    try:
        with svc.engine.begin() as conn:
            stored = load_alerts(conn)
            states = {key: alert.state for key, alert in stored.items()}
            steps = []
            for rule in rules:
                reading = job_reading(job, error)
                old = stored.get((rule.name, reading.subject))
                state = old.state if old else AlertState(rule.name, reading.subject)
                new, note = step(rule, state, reading, now)
                states[(rule.name, reading.subject)] = new
                mail = AlertMail(note, rule, None, None, _since(state, new)) if note else None
                steps.append(_Step(old, new, note, mail, None, None))
            _commit_steps(conn, steps, states, None, now, svc)
    except Exception:  # the store itself may be what failed; the log is the last resort
        log.exception("could not record the %s job's outcome for job-failure alerts", job)


def _since(before: AlertState, after: AlertState):
    """When the alert started firing: the new state's start, or the one just resolved."""
    return after.since or before.since


@dataclass(frozen=True)
class _Step:
    """One alert's move in one run, waiting to be written with the mail it causes."""

    old: StoredAlert | None
    new: AlertState
    note: Notification | None
    mail: AlertMail | None
    as_of: date | None
    value: float | None


def _commit_steps(conn, steps: list[_Step], states, evidence, now, svc: Service) -> int:
    """Queue the deliverable mail, then write every alert's state; return messages queued."""
    sent = _queue(conn, [s for s in steps if s.note is not None], states, evidence, now, svc)
    for s in steps:
        save_alert(
            conn,
            s.old,
            s.new,
            resolved=s.note is not None and s.note.kind == "resolved",
            # Counts mail actually sent for this firing; a silenced one is not.
            notified=s.note is not None and s.note.dedupe_key in sent,
            as_of=s.as_of,
            value=s.value,
            now=now,
        )
    return len(sent)


def _queue(conn, steps: list[_Step], states, evidence, now, svc: Service) -> set[str]:
    """Put the deliverable notifications in the outbox; return their dedupe keys."""
    if not steps:
        return set()
    rules = {r.name: r for r in svc.rules}
    firing = {key for key, state in states.items() if state.state == "firing"}
    silences = [s.silence for s in list_silences(conn, now)]
    notes = [s.note for s in steps]
    kept = {n.dedupe_key for n in deliverable(notes, rules, firing, silences, now)}
    queued: set[str] = set()
    for s in steps:
        note, mail, old = s.note, s.mail, s.old
        if note.dedupe_key not in kept:
            log.info("not sent (silenced or inhibited): %s", note.dedupe_key)
            continue
        recipients = svc.routing.recipients(mail.rule.severity)
        thread = None
        if note.kind != "firing" and old is not None and old.state.since is not None:
            firing_key = transition_key(note.rule, note.subject, "firing", old.state.since)
            thread = message_id(firing_key, svc.sender)
        message = compose_alert(
            mail,
            evidence,
            sender=svc.sender,
            recipients=recipients,
            message_id=message_id(note.dedupe_key, svc.sender),
            thread_id=thread,
        )
        enqueue(conn, message, dedupe_key=note.dedupe_key, recipients=recipients, kind="alert",
                now=now)  # fmt: skip
        queued.add(note.dedupe_key)
    return queued
