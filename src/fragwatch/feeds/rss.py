"""RSS and Atom feeds -> reports, read with feedparser; HTML item text through trafilatura.

trafilatura finds an article's own text in HTML (leaving out navigation, tags, images) better
than stripping tags ourselves; a short snippet it declines is reduced to its plain text.
"""

from __future__ import annotations

from datetime import date

from fragwatch.feeds.model import FeedError, Report


def _text(html: str) -> str:
    import trafilatura
    from bs4 import BeautifulSoup

    if "<" not in html:
        return html.strip()
    extracted = trafilatura.extract(html, include_comments=False, include_tables=False)
    if extracted and len(extracted) > 200:
        return extracted.strip()
    return BeautifulSoup(html, "html.parser").get_text("\n", strip=True)


def parse_feed(data: bytes, where: str) -> list[Report]:
    """Every item of one feed document; ``where`` names the feed in errors."""
    import feedparser

    parsed = feedparser.parse(data)
    if parsed.bozo and not parsed.entries:
        reason = getattr(parsed, "bozo_exception", "not RSS or Atom")
        raise FeedError(f"not a readable RSS/Atom feed ({reason})", where=where)
    if not parsed.get("version") and not parsed.entries:
        raise FeedError("not an RSS or Atom feed", where=where)
    publisher = parsed.feed.get("title", "") or where
    found = []
    for n, entry in enumerate(parsed.entries):
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if stamp is None:
            raise FeedError("an item without a date", where=f"{where}: item {n + 1}")
        body = ""
        if entry.get("content"):
            body = entry.content[0].get("value", "")
        body = body or entry.get("summary", "")
        authors = [a.get("name", "") for a in entry.get("authors", []) if a.get("name")]
        found.append(
            Report(
                title=entry.get("title", "").strip() or "(untitled)",
                publisher=", ".join(authors) or publisher,
                published=date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday),
                url=entry.get("link", "") or entry.get("id", ""),
                text=_text(body),
                countries=(),
                origin=where,
            )
        )
    return found
