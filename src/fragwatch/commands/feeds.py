"""``fragwatch fetch reports`` (new reports from ReliefWeb and RSS/Atom feeds) and the review
queue of their candidates: ``fragwatch review list | show | accept | reject | edit``.

Accepted candidates go through exactly the checks of ``fragwatch evidence add`` (they are
written as a candidates file with its sources folder and added by the same code).
"""

from __future__ import annotations

import re
from datetime import date, datetime

import click

from fragwatch.errors import UsageError


def _library(obj):
    from fragwatch.feeds.library import Library

    return Library(obj.settings().feeds.dir)


def _vocabulary(obj):
    from fragwatch.evidence.extract.vocabulary import load_vocabulary
    from fragwatch.settings.model import config_dir

    analyst = config_dir(obj.config_dir) / "vocabulary"
    return load_vocabulary([analyst] if analyst.is_dir() else [])


def run_fetch(obj, countries: list[str], since: date | None, now: datetime):
    """Fetch from the configured sources; (result, settings)."""
    from fragwatch.feeds.fetch import configured_sources, fetch_reports

    settings = obj.settings()
    watched = countries or list(settings.countries)
    result = fetch_reports(
        configured_sources(settings.feeds, watched, since),
        _library(obj),
        _vocabulary(obj),
        countries=watched,
        since=since,
        now=now,
        timeout=settings.feeds.timeout_seconds,
    )
    return result, settings


@click.command("reports")
@click.option("--country", "countries", multiple=True, metavar="ISO3", help="Only these.")
@click.option("--since", metavar="DATE", help="Only reports published on or after (YYYY-MM-DD).")
@click.pass_obj
def fetch_reports_cmd(obj, countries, since):
    """New reports for the watched countries: store them, extract, queue the candidates."""
    for code in countries:
        if not re.fullmatch(r"[A-Za-z]{3}", code):
            raise UsageError(f"'{code}' is not an ISO3 country code", where="--country")
    when = None
    if since:
        try:
            when = date.fromisoformat(since)
        except ValueError:
            raise UsageError(f"'{since}' is not a date (YYYY-MM-DD)", where="--since") from None
    result, _ = run_fetch(obj, [c.upper() for c in countries], when, datetime.now())
    for line in result.lines:
        click.echo(f"fragwatch: note: {line}", err=True)
    click.echo(
        f"{len(result.new_reports)} new report(s), {len(result.candidates)} candidate(s) queued;"
        " fragwatch review list shows them"
    )


@click.group("review")
def review():
    """The review queue of candidates from fetched reports."""


def review_queue(obj):
    """The queue of the configured feeds folder (``feeds.review``), adding to the library."""
    from fragwatch.evidence.library import library_dir
    from fragwatch.feeds.review import ReviewQueue

    return ReviewQueue(
        _library(obj), obj.evidence, library_dir(), obj.evidence_paths, obj.include_default
    )


@review.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also accepted and rejected ones.")
@click.pass_obj
def review_list(obj, show_all):
    """Candidates waiting for review, surest first."""
    shown = review_queue(obj).rows(show_all=show_all)
    for r in shown:
        figure = r["value"] or (f"{r['low']}..{r['high']}" if r["low"] or r["high"] else "")
        figure = figure or (f"{r['fatalities']} dead" if r["fatalities"] else "")
        what = r["quantity"] or r["kind"]
        when = r["period"] or r["date"]
        click.echo(
            f"{r['status']:8} {r.get('confidence', ''):4} {r['id']}  {what} {r['country']}"
            f" {when} {figure}".rstrip()
        )
    if not shown:
        click.echo("the review queue is empty")


@review.command("show")
@click.argument("candidate")
@click.pass_obj
def review_show(obj, candidate):
    """One candidate with its quote and note."""
    row = review_queue(obj).find(candidate)
    for column, value in row.items():
        if value:
            click.echo(f"{column:12} {value}")


@review.command("edit")
@click.argument("candidate")
@click.argument("changes", nargs=-1, required=True, metavar="FIELD=VALUE...")
@click.pass_obj
def review_edit(obj, candidate, changes):
    """Correct fields of a pending candidate (checked again when it is accepted)."""
    from fragwatch.feeds.review import EDITABLE

    fields = {}
    for change in changes:
        name, sep, value = change.partition("=")
        if not sep or name not in EDITABLE:
            raise UsageError(
                f"'{change}' is not FIELD=VALUE with FIELD one of {', '.join(EDITABLE)}",
                where="FIELD=VALUE",
            )
        fields[name] = value
    review_queue(obj).edit(candidate, fields)
    click.echo(f"edited {candidate}")


@review.command("accept")
@click.argument("ids", nargs=-1, required=True, metavar="CANDIDATE...")
@click.pass_obj
def review_accept(obj, ids):
    """Add candidates to the evidence library (the checks of evidence add)."""
    review_queue(obj).accept(list(ids), datetime.now())
    click.echo(f"accepted {len(ids)} candidate(s) into the evidence library")


@review.command("reject")
@click.argument("ids", nargs=-1, required=True, metavar="CANDIDATE...")
@click.pass_obj
def review_reject(obj, ids):
    """Mark candidates wrong; they stay in the queue as rejected."""
    review_queue(obj).reject(list(ids))
    click.echo(f"rejected {len(ids)} candidate(s)")
