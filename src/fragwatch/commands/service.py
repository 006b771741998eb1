"""``fragwatch serve`` and ``fragwatch run-once``."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta

import click

from fragwatch.errors import ServiceError, UsageError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _log_to_stderr(level: int) -> None:
    logging.basicConfig(stream=sys.stderr, level=level, format=LOG_FORMAT)
    # APScheduler logs every job run at INFO; its warnings and errors are what matter here.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def parse_now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"'{value}' is not a date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)", where="--now"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@click.command()
@click.pass_obj
def serve(obj):
    """Run the scheduler: assess on the cron, alert, deliver; catch up missed periods at start.

    Stops cleanly on SIGTERM or Ctrl-C after the running job's current period.
    """
    settings, svc = obj.service()  # every config error surfaces here, before any job
    _log_to_stderr(logging.INFO)
    from fragwatch.scheduler.service import serve as run

    logging.getLogger("fragwatch").info("mail goes to %s", _where(settings))
    run(svc, settings.schedule.deliver_every_seconds)


# A --now this far ahead of the clock is clock skew; further is a typo (it would assess the
# future on today's evidence, and a later plain run would find those periods done).
FUTURE_TOLERANCE = timedelta(minutes=15)


def check_now(when: datetime, engine, replay: bool) -> None:
    """Refuse a --now in the future or before the store's latest run, unless --replay."""
    if replay:
        return
    real = datetime.now(UTC)
    if when > real + FUTURE_TOLERANCE:
        raise UsageError(
            f"{when:%Y-%m-%dT%H:%M} is in the future (now {real:%Y-%m-%dT%H:%M} UTC); add"
            " --replay to run as of another time on purpose",
            where="--now",
        )
    from fragwatch.store.alerts import latest_evaluation
    from fragwatch.store.engine import read_connection

    with read_connection(engine) as conn:
        latest = latest_evaluation(conn)
    if latest is not None and when < latest:
        raise UsageError(
            f"{when:%Y-%m-%dT%H:%M} is before this store's latest run"
            f" ({latest:%Y-%m-%dT%H:%M} UTC): alert state would go back in time; add --replay"
            " to do so on purpose",
            where="--now",
        )


@click.command("run-once")
@click.option("--now", help="Run as if at this UTC time (default: now). For replays and tests.")
@click.option(
    "--replay",
    is_flag=True,
    help="Allow a --now in the future or before the store's latest run.",
)
@click.option(
    "--wait",
    "lock_wait",
    type=click.FloatRange(0, 3600),
    default=60,
    show_default=True,
    help="Seconds to wait while another process runs a cycle on the store, then exit 9 (busy).",
)
@click.option("--verbose", "-v", is_flag=True, help="Log every job step to stderr.")
@click.pass_obj
def run_once(obj, now, replay, lock_wait, verbose):
    """One full cycle: assess due periods, step the alerts, report, deliver the outbox.

    The risk report of the current report period is queued when recipients.report_readers is
    set and it was not queued before. Exits 7 when the assess or report job failed, or when mail
    is left undelivered afterwards (waiting for a retry, or refused for good in this run);
    queued mail stays queued for the next run.
    """
    when = parse_now(now)
    settings, svc = obj.service()
    from fragwatch.store.cyclelock import cycle

    with cycle(svc.engine, wait_seconds=lock_wait):
        check_now(when, svc.engine, replay or now is None)
        _cycle(when, svc, settings, verbose)


def _cycle(when, svc, settings, verbose) -> None:
    # Without --verbose the summary on stdout and one error line are the whole story.
    _log_to_stderr(logging.INFO if verbose else logging.CRITICAL + 1)
    from fragwatch.scheduler.jobs import JobFailed, assess_job, deliver_job

    try:
        report = assess_job(when, svc)
    except JobFailed as exc:
        _deliver_and_report(deliver_job, when, svc, settings)
        raise ServiceError(f"assess job failed: {exc}", where="run-once") from None
    if report.periods:
        span = str(report.periods[0])
        if len(report.periods) > 1:
            span = f"{len(report.periods)} periods, {report.periods[0]} to {report.periods[-1]}"
        click.echo(f"assessed {span}; {report.alerts} alert message(s) queued")
    else:
        click.echo("nothing due: every period up to now is assessed")
    failed = _report(when, svc)
    delivery, waiting = _deliver_and_report(deliver_job, when, svc, settings)
    if failed:
        raise ServiceError(f"report job failed: {failed}", where="run-once")
    if waiting or delivery.dead:
        reason = delivery.errors[0] if delivery.errors else "waiting for the next retry"
        raise ServiceError(
            f"{waiting} message(s) not delivered yet, {delivery.dead} refused for good: {reason}",
            where="run-once",
        )


def _report(when, svc) -> str | None:
    """Run the report job if reports have readers; print what it did; the error if it failed."""
    if svc.report is None or not svc.report.readers:
        return None
    from fragwatch.scheduler.jobs import JobFailed
    from fragwatch.scheduler.report_job import report_job

    try:
        run = report_job(when, svc)
    except JobFailed as exc:
        return str(exc)
    for outcome in run.outcomes:
        if outcome.queued:
            click.echo(f"report queued: {outcome.subject} (since {run.since})")
        else:
            click.echo(f"report for {outcome.country} as of {run.period}: queued before")
    return None


def _deliver_and_report(deliver_job, when, svc, settings):
    from fragwatch.delivery.outbox import rows
    from fragwatch.store.engine import read_connection

    delivery = deliver_job(when, svc)
    click.echo(f"delivered {delivery.sent} message(s) to {_where(settings)}")
    with read_connection(svc.engine) as conn:
        waiting = len(rows(conn, ["pending", "sending"]))
        dead = len(rows(conn, ["dead"]))
    if waiting or dead:
        click.echo(f"outbox: {waiting} waiting, {dead} dead letter(s) (fragwatch outbox list)")
    return delivery, waiting


def _where(settings) -> str:
    if settings.notifier == "smtp":
        return f"SMTP {settings.smtp.host}:{settings.smtp.port} ({settings.smtp.security})"
    if settings.notifier == "stdout":
        return "standard output"
    return f".eml files in {settings.outbox_dir}/"
