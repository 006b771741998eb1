"""Fetch new reports: download each source (a clear line when offline), parse, store the new
ones, extract them and queue their candidates. Nothing is written when a response is malformed.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime

from fragwatch.evidence.extract.candidates import extract_candidates
from fragwatch.evidence.extract.review import candidate_records
from fragwatch.evidence.extract.vocabulary import Vocabulary
from fragwatch.feeds.library import Library
from fragwatch.feeds.model import FeedError, Report, unusable
from fragwatch.feeds.reliefweb import parse_reliefweb
from fragwatch.feeds.rss import parse_feed


class Offline(Exception):
    """A source could not be reached; the fetch goes on with the others."""


def download(url: str, timeout: float) -> bytes:
    """The bytes at ``url`` (http(s) or file://)."""
    request = urllib.request.Request(url, headers={"User-Agent": "fragwatch"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise Offline(f"cannot reach {url} ({reason})") from None


@dataclass
class FetchResult:
    new_reports: list[Report] = field(default_factory=list)
    candidates: list[dict[str, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # one per skipped source or report


def fetch_reports(
    sources: list[tuple[str, str]],
    library: Library,
    vocabulary: Vocabulary,
    *,
    countries: list[str],
    since: date | None,
    now: datetime,
    timeout: float = 20.0,
) -> FetchResult:
    """``sources`` are (kind, url) with kind 'reliefweb' or 'rss'."""
    result = FetchResult()
    fetched: list[Report] = []
    for kind, url in sources:
        try:
            data = download(url, timeout)
        except Offline as exc:
            result.lines.append(f"offline: {exc}; skipped")
            continue
        parse = parse_reliefweb if kind == "reliefweb" else parse_feed
        fetched += parse(data, url)  # FeedError: nothing stored, one line
    wanted = {c.upper() for c in countries}
    for report in library.new(fetched):
        if since is not None and report.published < since:
            continue
        if report.countries and wanted and not wanted & set(report.countries):
            continue
        why = unusable(report)
        if why:
            result.lines.append(f"skipped '{report.title[:60]}' ({report.url}): {why}")
            continue
        country = next((c for c in report.countries if c in wanted), None)
        if country is None and len(wanted) == 1:
            country = next(iter(wanted))
        found = extract_candidates(
            report.text, published=report.published, country=country, vocabulary=vocabulary
        )
        source = library_source(report)
        rows = candidate_records([(c, source) for c in found])
        result.candidates += [{**row, "status": "pending"} for row in rows]
        result.new_reports.append(report)
    if result.new_reports:
        library.store(result.new_reports, result.candidates, now)
    return result


def library_source(report: Report):
    from fragwatch.evidence.extract.review import Source

    return Source(
        source_id=report.report_id,
        title=report.title,
        publisher=report.publisher,
        published=report.published,
        url=report.url,
        kind="news",
        text=report.text,
    )


def configured_sources(feeds, countries: list[str], since: date | None) -> list[tuple[str, str]]:
    """(kind, url) for the [feeds] settings: the ReliefWeb query, then every RSS/Atom feed."""
    from fragwatch.feeds.reliefweb import API, reports_url

    sources: list[tuple[str, str]] = []
    if feeds.reliefweb_url:
        url = feeds.reliefweb_url
        if url.rstrip("/") == API:
            url = reports_url(countries, since, appname=feeds.reliefweb_appname)
        sources.append(("reliefweb", url))
    return sources + [("rss", url) for url in feeds.rss]


def configured_fetch(settings, vocabulary: Vocabulary):
    """The fetch the scheduler runs: every configured source, the watched countries."""
    countries = list(settings.countries)

    def run(now: datetime) -> FetchResult:
        return fetch_reports(
            configured_sources(settings.feeds, countries, None),
            Library(settings.feeds.dir),
            vocabulary,
            countries=countries,
            since=None,
            now=now,
            timeout=settings.feeds.timeout_seconds,
        )

    return run


__all__ = ["FeedError", "FetchResult", "Offline", "download", "fetch_reports"]
