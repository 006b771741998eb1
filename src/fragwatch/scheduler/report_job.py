"""The scheduled risk report (DESIGN §10): one mail per country and report period, once.

A report period is one firing of ``schedule.report_cron`` (UTC): the report is as of its date and
compares with the firing before it. The outbox row is the record that a period was reported: its
dedupe key names the country, both dates and the model, so a re-run or a restart queues nothing
twice. Catching up is deliberately shallow: after downtime the job sends the *latest* missed
period once, not one mail per missed week; a reader wants the current picture, and the history
chart shows the weeks in between.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from fragwatch.alerts.rules import Rule
from fragwatch.delivery.outbox import enqueue, has_key
from fragwatch.evidence import Evidence
from fragwatch.scheduler.jobs import JobFailed, ReportPlan, Service, _one_line, _record_job_outcome
from fragwatch.scheduler.periods import current_period, previous_period
from fragwatch.scoring.spec import ModelSpec
from fragwatch.store.engine import read_connection

log = logging.getLogger("fragwatch.scheduler")


@dataclass(frozen=True)
class ReportOutcome:
    country: str
    subject: str | None  # None when the period was queued before (nothing was rendered)
    html: Path | None  # the report written to disk
    queued: bool  # False: this report period was queued already


@dataclass
class ReportRun:
    period: date | None = None  # None: no report readers, nothing to do
    since: date | None = None
    outcomes: list[ReportOutcome] = field(default_factory=list)

    @property
    def queued(self) -> int:
        return sum(o.queued for o in self.outcomes)


def report_dedupe_key(
    country: str,
    as_of: date,
    since: date,
    model_digest: str,
    recipients: Sequence[str] | None = None,
) -> str:
    """The identity of one report mail; ``recipients`` only for a one-off list (``--to``)."""
    key = f"report|{country}|{as_of}|{since}|{model_digest}"
    if recipients is not None:
        listed = "\n".join(sorted(recipients)).encode("utf-8")
        key += f"|to:{hashlib.sha256(listed).hexdigest()[:16]}"
    return key


def report_job(now: datetime, svc: Service) -> ReportRun:
    """Queue the current report period's mail for every country, unless it was queued before."""
    plan, run = svc.report, ReportRun()
    if plan is None or not plan.readers:
        return run
    error = None
    try:
        _report_due(now, svc, plan, run)
    except Exception as exc:  # a report that cannot be made must reach the officer
        error = _one_line(exc)
        log.exception("report job failed")
    _record_job_outcome("report", error, now, svc)
    if error is not None:
        raise JobFailed(error)
    return run


def _report_due(now: datetime, svc: Service, plan: ReportPlan, run: ReportRun) -> None:
    period = current_period(plan.trigger, now).date()
    since = previous_period(plan.trigger, period)
    run.period, run.since = period, since
    evidence = svc.load_evidence()
    for country in list(svc.countries) or evidence.countries:
        if svc.stop.is_set():
            log.info("stopping before the %s report (shutdown requested)", country)
            return
        outcome = queue_report(
            svc.engine,
            evidence,
            svc.spec,
            country,
            period,
            since,
            recipients=list(plan.readers),
            sender=svc.sender,
            key=report_dedupe_key(country, period, since, svc.spec.digest),
            out_dir=plan.out_dir / f"{country}-{period}",
            methodology_url=plan.methodology_url,
            history_years=plan.history_years,
            rules=svc.rules,
            now=now,
        )
        run.outcomes.append(outcome)
        if outcome.queued:
            log.info("report queued: %s", outcome.subject)
        else:
            log.info("report for %s as of %s was queued before: nothing new", country, period)


def queue_report(
    engine: Engine,
    evidence: Evidence,
    spec: ModelSpec,
    country: str,
    as_of: date,
    since: date,
    *,
    recipients: list[str],
    sender: str,
    key: str,
    out_dir: Path,
    methodology_url: str,
    history_years: int,
    rules: Sequence[Rule] = (),
    now: datetime,
    where: str = "report",
) -> ReportOutcome:
    """Render one report, write it to ``out_dir`` and queue its mail (unless queued before).

    Rendering reads the store through a snapshot (no write lock is held while charts are
    drawn); the outbox row is then written in its own transaction, insert-or-ignore on the key.
    """
    from fragwatch.reports.build import build_report
    from fragwatch.reports.data import gather
    from fragwatch.reports.message import compose_report
    from fragwatch.reports.write import write_report

    with read_connection(engine) as conn:
        if has_key(conn, key):
            return ReportOutcome(country, None, None, queued=False)
        data = gather(
            evidence, spec, country, pd.Timestamp(as_of), pd.Timestamp(since),
            conn=conn, rules=rules, history_years=history_years,
        )  # fmt: skip
    report = build_report(data, methodology_url=methodology_url)
    html = write_report(report, out_dir, where=where)
    message = compose_report(report, sender=sender, recipients=recipients, key=key, now=now)
    with engine.begin() as conn:
        queued = enqueue(
            conn, message, dedupe_key=key, recipients=recipients, kind="report", now=now
        )
    return ReportOutcome(country, report.subject, html, queued)
