"""A report fetched from a feed, and the checks every report passes before it is stored."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from fragwatch.errors import EvidenceError


class FeedError(EvidenceError):
    """A feed or API response that cannot be read (malformed, not the expected shape)."""


@dataclass(frozen=True)
class Report:
    title: str
    publisher: str
    published: date
    url: str
    text: str
    countries: tuple[str, ...]  # ISO3 codes the feed gives, if any
    origin: str  # the feed or API it came from

    @property
    def report_id(self) -> str:
        """Stable across fetches: the same URL is the same report."""
        return "feed-" + hashlib.sha1(self.url.encode("utf-8")).hexdigest()[:12]


# The commonest English words: a report without them is in another language.
_ENGLISH = re.compile(r"\b(?:the|and|of|in|to|was|were|is|are|for|on|with|by)\b", re.I)


def unusable(report: Report) -> str | None:
    """Why a report cannot go to extraction (empty, another language), else None."""
    words = re.findall(r"\w+", report.text)
    if len(words) < 5:
        return "the report has no text"
    if len(_ENGLISH.findall(report.text)) < max(2, len(words) // 25):
        return "the report is not in English (extraction reads English only)"
    return None
