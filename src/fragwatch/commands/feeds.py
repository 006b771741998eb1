"""``fragwatch fetch reports`` (new reports from ReliefWeb and RSS/Atom feeds) and the review
queue of their candidates: ``fragwatch review list | show | accept | reject | edit``.

Accepted candidates go through exactly the checks of ``fragwatch evidence add`` (they are
written as a candidates file with its sources folder and added by the same code).
"""

from __future__ import annotations

import re
import tempfile
from datetime import date, datetime
from pathlib import Path

import click

from fragwatch.errors import EvidenceError, UsageError


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


def _find(rows, cid: str, where: str):
    for row in rows:
        if row["id"] == cid:
            return row
    raise EvidenceError(f"no candidate '{cid}' in the review queue", where=where)


@review.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also accepted and rejected ones.")
@click.pass_obj
def review_list(obj, show_all):
    """Candidates waiting for review, surest first."""
    rows = _library(obj).queue()
    shown = [r for r in rows if show_all or r["status"] == "pending"]
    shown.sort(key=lambda r: -float(r.get("confidence") or 0))
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
    row = _find(_library(obj).queue(), candidate, "CANDIDATE")
    for column, value in row.items():
        if value:
            click.echo(f"{column:12} {value}")


EDITABLE = ("country", "period", "value", "low", "high", "unit", "date", "fatalities", "note")


@review.command("edit")
@click.argument("candidate")
@click.argument("changes", nargs=-1, required=True, metavar="FIELD=VALUE...")
@click.pass_obj
def review_edit(obj, candidate, changes):
    """Correct fields of a pending candidate (checked again when it is accepted)."""
    library = _library(obj)
    rows = library.queue()
    row = _find(rows, candidate, "CANDIDATE")
    for change in changes:
        name, sep, value = change.partition("=")
        if not sep or name not in EDITABLE:
            raise UsageError(
                f"'{change}' is not FIELD=VALUE with FIELD one of {', '.join(EDITABLE)}",
                where="FIELD=VALUE",
            )
        row[name] = value
    library.save_queue(rows)
    click.echo(f"edited {candidate}")


def _set_status(obj, ids, status: str) -> None:
    library = _library(obj)
    rows = library.queue()
    chosen = [_find(rows, cid, "CANDIDATE") for cid in ids]
    for row in chosen:
        if row["status"] != "pending":
            raise EvidenceError(f"'{row['id']}' is already {row['status']}", where="CANDIDATE")
    if status == "accepted":
        _accept(obj, library, chosen)
    for row in chosen:
        row["status"] = status
    library.save_queue(rows)


def _accept(obj, library, chosen) -> None:
    from fragwatch.evidence.extract.accept import accept
    from fragwatch.evidence.extract.review import (
        CANDIDATE_COLUMNS,
        _csv,
        sources_folder,
        write_sources_folder,
    )
    from fragwatch.evidence.library import library_dir

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "accepted.csv"
        sources = [library.source(sid) for sid in dict.fromkeys(r["source_id"] for r in chosen)]
        write_sources_folder(sources_folder(path), sources)
        rows = [{k: r.get(k, "") for k in CANDIDATE_COLUMNS} for r in chosen]
        path.write_text(_csv(rows, CANDIDATE_COLUMNS, safe=True), "utf-8")
        accept(
            path,
            obj.evidence(),
            library_dir(),
            obj.evidence_paths,
            include_default=obj.include_default,
            now=datetime.now(),
        )


@review.command("accept")
@click.argument("ids", nargs=-1, required=True, metavar="CANDIDATE...")
@click.pass_obj
def review_accept(obj, ids):
    """Add candidates to the evidence library (the checks of evidence add)."""
    _set_status(obj, ids, "accepted")
    click.echo(f"accepted {len(ids)} candidate(s) into the evidence library")


@review.command("reject")
@click.argument("ids", nargs=-1, required=True, metavar="CANDIDATE...")
@click.pass_obj
def review_reject(obj, ids):
    """Mark candidates wrong; they stay in the queue as rejected."""
    _set_status(obj, ids, "rejected")
    click.echo(f"rejected {len(ids)} candidate(s)")
