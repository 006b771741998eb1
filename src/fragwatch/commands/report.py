"""``fragwatch report``: the risk report as an HTML file with its charts, or mailed (--send)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from fragwatch.errors import ConfigError, UsageError


@click.command()
@click.option("--country", "countries", multiple=True, help="ISO3 code (repeatable; default: the"
              " watched countries, or all).")  # fmt: skip
@click.option("--as-of", help="Report with evidence published by this date (default: today).")
@click.option(
    "--since",
    help="Compare with this date (default: the report schedule's previous firing before --as-of).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Folder for report.html and its charts (default: report.dir/<country>-<as of>; with"
    " several countries, DIR/<country>-<as of>).",
)
@click.option("--send", is_flag=True, help="Also mail it through the outbox, then deliver.")
@click.option(
    "--to",
    "to",
    multiple=True,
    help="With --send: these addresses instead of recipients.report_readers (repeatable).",
)
@click.pass_obj
def report(obj, countries, as_of, since, out, send, to):
    """A risk report: score and trend, what drove the change, the evidence behind each figure.

    Without --send it is written to disk only. With --send it is also queued in the outbox (once
    per country, period and model: a second --send for the same period queues nothing) and the
    outbox is delivered. The store is read for alert state when it exists; it is needed only
    with --send.
    """
    from fragwatch.cli import check_as_of, parse_date, pick_countries

    when = parse_date(as_of, "--as-of")
    after = parse_date(since, "--since") if since is not None else None
    if after is not None and after >= when:
        raise UsageError(f"{after.date()} is not before --as-of {when.date()}", where="--since")
    if to and not send:
        raise UsageError("--to names recipients for --send; add --send", where="--to")
    recipients = [_address(a) for a in to]
    settings = obj.settings()
    if after is None:
        after = _previous(settings.schedule.report_cron, when.date())
    if out is not None:
        from fragwatch.reports.write import check_folder

        check_folder(out)  # a bad --out fails before anything is computed or written
    wanted = [c.upper() for c in countries or tuple(settings.countries)] or None
    evidence, spec = obj.evidence(wanted), obj.spec()
    check_as_of(when, evidence, "--as-of")
    chosen = pick_countries(evidence, wanted)
    if send:
        _send(obj, settings, evidence, spec, chosen, when, after, out, recipients)
        return
    _write(obj, settings, evidence, spec, chosen, when, after, out)


def _address(value: str) -> str:
    from fragwatch.settings.service import _address as check

    try:
        return check(value)
    except ValueError as exc:
        raise UsageError(str(exc), where="--to") from None


def _previous(cron: str, day: date):
    import pandas as pd

    from fragwatch.scheduler.periods import assess_trigger, previous_period

    try:
        return pd.Timestamp(previous_period(assess_trigger(cron), day))
    except ValueError:
        raise ConfigError(
            f"'{cron}' did not fire in the year before {day}: give --since",
            where="settings: field 'schedule.report_cron'",
        ) from None


def _folder(settings, out: Path | None, country: str, when, several: bool) -> Path:
    name = f"{country}-{when.date()}"
    if out is None:
        return settings.report.dir / name
    return out / name if several else out


def _write(obj, settings, evidence, spec, chosen, when, after, out) -> None:
    from fragwatch.reports.build import build_report
    from fragwatch.reports.data import gather
    from fragwatch.reports.write import write_report

    engine = _existing_store(settings)
    rules = obj.rules(spec) if engine is not None else ()
    for country in chosen:
        folder = _folder(settings, out, country, when, len(chosen) > 1)
        if engine is None:
            data = _gather(gather, evidence, spec, country, when, after, settings)
        else:
            from fragwatch.store.engine import read_connection

            with read_connection(engine) as conn:
                data = _gather(gather, evidence, spec, country, when, after, settings, conn, rules)
        built = build_report(data, methodology_url=settings.report.methodology_link)
        html = write_report(built, folder)
        click.echo(f"{built.subject} (change since {after.date()})")
        click.echo(f"wrote {html} and {len(built.charts)} charts beside it")


def _gather(gather, evidence, spec, country, when, after, settings, conn=None, rules=()):
    return gather(
        evidence, spec, country, when, after,
        conn=conn, rules=rules, history_years=settings.report.history_years,
    )  # fmt: skip


def _existing_store(settings):
    """The store if there is one; a report never creates a database just to read it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from fragwatch.store.engine import open_store

    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return None  # open_store would say why; without --send the store is optional
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or not Path(database).expanduser().is_file():
            return None
    return open_store(settings.database_url)


def _send(obj, settings, evidence, spec, chosen, when, after, out, recipients) -> None:
    from fragwatch.commands.service import _deliver_and_report
    from fragwatch.errors import ServiceError
    from fragwatch.scheduler.jobs import deliver_job
    from fragwatch.scheduler.report_job import queue_report, report_dedupe_key

    readers = recipients or list(settings.recipients.report_readers)
    if not readers:
        raise ConfigError(
            "no report readers: set recipients.report_readers, or give --to ADDRESS",
            where="settings: field 'recipients.report_readers'",
        )
    _, svc = obj.service()
    now = datetime.now(UTC)
    for country in chosen:
        key = report_dedupe_key(country, when.date(), after.date(), spec.digest, recipients or None)
        outcome = queue_report(
            svc.engine, evidence, spec, country, when.date(), after.date(),
            recipients=readers, sender=settings.smtp.sender, key=key,
            out_dir=_folder(settings, out, country, when, len(chosen) > 1),
            methodology_url=settings.report.methodology_link,
            history_years=settings.report.history_years, rules=svc.rules, now=now, where="--out",
        )  # fmt: skip
        if not outcome.queued:
            click.echo(
                f"the {country} report as of {when.date()} (since {after.date()}) was queued"
                " before: nothing new to send"
            )
            continue
        click.echo(f"{outcome.subject} (change since {after.date()})")
        click.echo(f"wrote {outcome.html}; queued for {len(readers)} reader(s)")
    delivery, waiting = _deliver_and_report(deliver_job, now, svc, settings)
    if waiting or delivery.dead:
        reason = delivery.errors[0] if delivery.errors else "waiting for the next retry"
        raise ServiceError(
            f"{waiting} message(s) not delivered yet, {delivery.dead} refused for good: {reason}",
            where="report --send",
        )
