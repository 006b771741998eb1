"""ReliefWeb API responses (https://api.reliefweb.int/v1/reports) -> reports.

A response is ``{"data": [{"id", "fields": {"title", "body", "date": {"original" | "created"},
"source": [{"name"}], "country": [{"iso3"}], "url" | "url_alias"}}]}``. Only the fields asked
for are present; a report without ``body`` is kept with an empty text (and later skipped with
one clear line), so the listing itself is never lost.
"""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import urlencode

from fragwatch.feeds.model import FeedError, Report

API = "https://api.reliefweb.int/v1/reports"


def reports_url(countries: list[str], since: date | None, *, appname: str, limit: int = 50) -> str:
    """The API query for the newest English reports on the countries, since a date."""
    query = {
        "appname": appname,
        "profile": "full",
        "limit": str(limit),
        "sort[]": "date:desc",
        "filter[operator]": "AND",
        "filter[conditions][0][field]": "country.iso3",
        "filter[conditions][0][value][]": [c.lower() for c in countries],
        "filter[conditions][1][field]": "language.code",
        "filter[conditions][1][value]": "en",
    }
    if since is not None:
        query["filter[conditions][2][field]"] = "date.original"
        query["filter[conditions][2][value][from]"] = f"{since.isoformat()}T00:00:00+00:00"
    return f"{API}?{urlencode(query, doseq=True)}"


def _date(fields: dict, where: str) -> date:
    value = fields.get("date", {})
    text = value.get("original") or value.get("created") if isinstance(value, dict) else None
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        raise FeedError(f"'{text}' is not a date", where=f"{where}: field 'date'") from None


def parse_reliefweb(data: bytes, where: str) -> list[Report]:
    """Every report of one API response; ``where`` names the response in errors."""
    try:
        payload = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"not a JSON API response ({exc})", where=where) from None
    items = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise FeedError("not a ReliefWeb response: no 'data' list", where=where)
    found = []
    for n, item in enumerate(items):
        at = f"{where}: data[{n}]"
        fields = item.get("fields") if isinstance(item, dict) else None
        if not isinstance(fields, dict) or not fields.get("title"):
            raise FeedError("a report without 'fields.title'", where=at)
        sources = fields.get("source") or []
        countries = fields.get("country") or []
        found.append(
            Report(
                title=str(fields["title"]).strip(),
                publisher=", ".join(str(s.get("name", "")) for s in sources) or "ReliefWeb",
                published=_date(fields, at),
                url=str(fields.get("url_alias") or fields.get("url") or item.get("href", "")),
                text=str(fields.get("body") or "").strip(),
                countries=tuple(str(c.get("iso3", "")).upper() for c in countries if c),
                origin=where,
            )
        )
    return found
