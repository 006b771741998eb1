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
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Connection, Engine

from fragwatch.alerts.grouping import Grouping
from fragwatch.alerts.lifecycle import AlertState, Notification, deliverable, step
from fragwatch.alerts.rules import Rule, evaluate, job_reading
from fragwatch.delivery.compose import AlertMail, Certainty, by_severity, compose_alert
from fragwatch.delivery.message import message_id
from fragwatch.delivery.notifiers.base import Notifier
from fragwatch.delivery.outbox import enqueue
from fragwatch.delivery.sender import DeliveryReport, RetryPolicy, deliver_due
from fragwatch.delivery.summary import compose_summary
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
        return self.route(severity)[1]

    def route(self, severity: str) -> tuple[str, list[str]]:
        """The route's name ("officer" or "list") and its recipients."""
        if severity in ("critical", "high") or not self.watch_list:
            # An empty list must not swallow alerts silently: they go to the officer.
            return "officer", [self.officer]
        return "list", list(self.watch_list)


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
    grouping: Grouping = field(default_factory=Grouping)  # one mail per group and period
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
    # A database error's own reason, not SQLAlchemy's text with the SQL and its parameters.
    exc = getattr(exc, "orig", None) or exc
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
    if svc.grouping.catch_up == "each" or len(periods) == 1:
        for period in periods:
            if svc.stop.is_set():
                log.info("stopping before period %s (shutdown requested)", period.date())
                return
            current = assess(evidence, svc.spec, countries, pd.Timestamp(period.date()))
            # Reminders only for the latest period: a catch-up reports every transition it
            # finds, not a month of "still firing" mails for periods already past.
            latest = period is periods[-1]
            with svc.engine.begin() as conn:
                report.alerts += _record_period(
                    conn, period, current, previous, evidence, now, svc, remind=latest
                )
            previous = {a.country: a for a in current}
            _done(report, period, current)
        return
    _catch_up(now, svc, report, evidence, countries, periods, previous)


def _catch_up(now, svc, report, evidence, countries, periods, previous) -> None:
    """Several periods at once: one summary per group for the past, full mail for the current.

    Every period is assessed first; then all of them, their alert states and their mail are
    written in ONE transaction, so a crash leaves nothing and a restart redoes the catch-up
    (a summary is never half-sent nor missing). A shutdown request stops the assessing; what
    was assessed is written with its summary, and the next start goes on from there.
    """
    assessed = []
    for period in periods:
        if svc.stop.is_set():
            log.info("stopping before period %s (shutdown requested)", period.date())
            break
        day = pd.Timestamp(period.date())
        assessed.append((period, assess(evidence, svc.spec, countries, day)))
    if not assessed:
        return
    reached = assessed[-1][0] is periods[-1]
    past = assessed[:-1] if reached else assessed
    summary: list[_Step] = []
    with svc.engine.begin() as conn:
        for period, current in past:
            report.alerts += _record_period(
                conn, period, current, previous, evidence, now, svc, remind=False,
                summary=summary,
            )  # fmt: skip
            previous = {a.country: a for a in current}
            _done(report, period, current)
        # Queued before the current period's mail: delivery sends the newest first.
        span = (past[0][0].date(), past[-1][0].date()) if past else None
        report.alerts += _queue_summary(conn, summary, span, now, svc)
        if reached:
            period, current = assessed[-1]
            report.alerts += _record_period(conn, period, current, previous, evidence, now, svc)
            _done(report, period, current)


def _done(report: AssessReport, period: datetime, current: list[Assessment]) -> None:
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
    summary: list | None = None,
) -> int:
    """Save one period's assessments, step every alert, queue the mail: one transaction.

    With ``summary`` (a catch-up's past period) the deliverable notifications are added to it
    for the catch-up's summary mail instead of being mailed one period at a time.
    """
    stored = load_alerts(conn, lock=True)
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
                # The interval's Monte Carlo only for mail that explains one period in full.
                sure = _certainty(svc, a, rule, draws) if summary is None else None
                mail = AlertMail(note, rule, a, before, _since(state, new), sure)
            steps.append(_Step(old, new, note, mail, period.date(), reading.value))
    return _commit_steps(conn, steps, states, evidence, now, svc, summary)


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
            stored = load_alerts(conn, lock=True)
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


def _commit_steps(
    conn, steps: list[_Step], states, evidence, now, svc: Service, summary: list | None = None
) -> int:
    """Queue the deliverable mail, then write every alert's state; return messages queued."""
    noted = [s for s in steps if s.note is not None]
    if summary is not None:
        kept = _kept(conn, noted, states, now, svc)
        summary.extend(s for s in noted if s.note.dedupe_key in kept)
        sent, count = kept, 0
    else:
        sent, count = _queue(conn, noted, states, evidence, now, svc)
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
            period=None if s.as_of is None else datetime.combine(s.as_of, time(), UTC),
        )
    return count


def _kept(conn, steps: list[_Step], states, now, svc: Service) -> set[str]:
    """The dedupe keys of the notifications to mail: not silenced, not inhibited."""
    if not steps:
        return set()
    rules = {r.name: r for r in svc.rules}
    firing = {key for key, state in states.items() if state.state == "firing"}
    silences = [s.silence for s in list_silences(conn, now)]
    notes = [s.note for s in steps]
    kept = {n.dedupe_key for n in deliverable(notes, rules, firing, silences, now)}
    for s in steps:
        if s.note.dedupe_key not in kept:
            log.info("not sent (silenced or inhibited): %s", s.note.dedupe_key)
    return kept


def group_key(route: str, group: str, period: date) -> str:
    """The dedupe key of one group's mail for one period (its Message-ID derives from it)."""
    return f"alerts|{route}|{group}|{period.isoformat()}"


def _groups(steps: list[_Step], svc: Service) -> dict[tuple, list[_Step]]:
    """Route first, then group (Alertmanager's order): (route, recipients, group) -> steps."""
    grouped: dict[tuple, list[_Step]] = {}
    for s in steps:
        route, recipients = svc.routing.route(s.mail.rule.severity)
        group = svc.grouping.group_of(s.mail.rule, s.note.subject)
        grouped.setdefault((route, tuple(recipients), group), []).append(s)
    return grouped


def _queue(conn, steps: list[_Step], states, evidence, now, svc: Service) -> tuple[set[str], int]:
    """One mail per route, group and period; return the notifications' keys and mails queued."""
    kept = _kept(conn, steps, states, now, svc)
    steps = [s for s in steps if s.note.dedupe_key in kept]
    included: set[str] = set()
    queued = 0
    for (route, recipients, group), members in _groups(steps, svc).items():
        mails = by_severity([s.mail for s in members])
        period = members[0].as_of or _utc_date(members[0].note.at)
        key = group_key(route, group, period)
        message = compose_alert(
            mails,
            evidence,
            sender=svc.sender,
            recipients=list(recipients),
            message_id=message_id(key, svc.sender),
            thread_id=_thread(members, mails[0], route, group, svc),
        )
        if enqueue(conn, message, dedupe_key=key, recipients=list(recipients), kind="alert",
                   now=now):  # fmt: skip
            queued += 1
        included |= {s.note.dedupe_key for s in members}
    return included, queued


def _utc_date(at: datetime) -> date:
    return at.date()


def _thread(members: list[_Step], lead: AlertMail, route: str, group: str, svc: Service):
    """A mail about an alert that fired before threads under the mail it fired in."""
    for s in members:
        if s.mail is lead and s.note.kind != "firing" and s.old is not None:
            since = s.old.state.since
            if since is not None:
                return message_id(group_key(route, group, since.date()), svc.sender)
    return None


def _queue_summary(conn, steps: list[_Step], span, now, svc: Service) -> int:
    """One summary mail per route and group for the past periods (``span``) of a catch-up."""
    if not steps:
        return 0
    queued = 0
    first, last = span
    for (route, recipients, group), members in _groups(steps, svc).items():
        key = f"summary|{route}|{group}|{first.isoformat()}|{last.isoformat()}"
        message = compose_summary(
            [s.mail for s in members],
            group=group,
            span=(str(first), str(last)),
            sender=svc.sender,
            recipients=list(recipients),
            message_id=message_id(key, svc.sender),
        )
        if enqueue(conn, message, dedupe_key=key, recipients=list(recipients), kind="alert",
                   now=now):  # fmt: skip
            queued += 1
    return queued
