"""Shared by the report tests: hostile evidence, and an HTML reader that keeps sections apart."""

from __future__ import annotations

import csv
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

# Markup in evidence text: the report must print it as text, never run or render it.
HOSTILE_TITLE = '<script>document.title="pwned-title"</script>Hostile Source'
HOSTILE_PUBLISHER = "<b onmouseover=\"document.title='pwned-hover'\">Evil Press</b>"
HOSTILE_QUOTE = (
    "Militants attacked a post. <img src=x onerror=\"document.title='pwned-img'\">"
    "<script>document.title='pwned-script'</script>"
)
# The evidence loader only takes http(s) URLs; this one tries to break out of the attribute.
HOSTILE_URL = "https://example.org/x\"onmouseover=\"document.title='pwned-url'"
HOSTILE_EVENT = "tjk-hostile-2016-01"


def write_hostile_evidence(folder: Path) -> Path:
    """An evidence folder with one source and one armed attack (feeding armed_violence)."""
    folder.mkdir(parents=True)
    with (folder / "sources.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["source_id", "title", "publisher", "published", "url", "kind"])
        w.writerow(["hostile-2016", HOSTILE_TITLE, HOSTILE_PUBLISHER, "2016-01-20", HOSTILE_URL,
                    "report"])  # fmt: skip
    with (folder / "events.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["event_id", "country", "date", "kind", "fatalities", "description",
                    "source_id", "quote", "published"])  # fmt: skip
        w.writerow([HOSTILE_EVENT, "TJK", "2016-01", "armed_attack", "", "An attack.",
                    "hostile-2016", HOSTILE_QUOTE, "2016-01-20"])  # fmt: skip
    return folder


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Sections(HTMLParser):
    """Every element as (tag, attributes), and the text inside each element with a data-*
    attribute, keyed "data-name=value" (e.g. "data-change=remittances_gdp")."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = defaultdict(str)
        self.keys: list[str] = []  # keyed elements in document order
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag in VOID:
            return
        key = next((f"{k}={v}" for k, v in attributes.items() if k.startswith("data-")), None)
        if key is not None:
            self.keys.append(key)
        self._open.append((tag, key))

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                return

    def handle_data(self, data):
        for _, key in self._open:
            if key is not None:
                self.text[key] += data

    def of(self, name: str) -> list[str]:
        """Values of the data-``name`` attribute, in document order."""
        return [k.split("=", 1)[1] for k in self.keys if k.split("=", 1)[0] == f"data-{name}"]
