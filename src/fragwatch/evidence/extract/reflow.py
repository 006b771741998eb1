"""Lines printed at a fixed width -> one line per paragraph.

A quote must be one line (evidence quotes may not span lines), so a sentence broken over
printed lines could never be cited, and a period or country told on the next line would be
lost. PDF text layers are always printed lines; plain text files sometimes are (mail, text
exports, reports wrapped at 72 or 80 columns): those are recognised by their shape and joined
the same way.
"""

from __future__ import annotations

import re
import statistics
from itertools import pairwise

SHORT_LINE = 0.75  # a sentence-final line shorter than this share of the usual length ends it
SENTENCE_END = tuple('.!?:”"’)')
WRAP_WIDTH = 100  # printed lines are at most this long; a paragraph per line is longer
_LIST_ITEM = re.compile(r"^(?:[-*•–]\s|\(?\d{1,2}[.)]\s|\(?[a-z][.)]\s)")


def reflow(lines: list[str], *, lists: bool = False) -> list[str]:
    """The paragraphs of printed ``lines`` (each already stripped), each one line.

    A paragraph ends at a blank line, after a line that ends a sentence and stops well short
    of the usual line length, and before a line that follows a short line with no closing
    punctuation and starts with a capital (a heading). With ``lists``, a list item ("- ",
    "1. ", "(a) ") after a short line, a sentence's end or another item also starts a
    paragraph. A word broken
    at a hyphen keeps it and gains no space.
    """
    lengths = [len(line) for line in lines if line]
    usual = statistics.quantiles(lengths, n=10)[-1] if len(lengths) >= 2 else max(lengths or [0])
    paragraphs: list[str] = []
    current, previous = "", ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        heading = (
            current
            and len(previous) < SHORT_LINE * usual
            and not previous.endswith(tuple(".,;:-–—"))
            and line[:1].isupper()
        )
        # A list item after a short line, a sentence's end or another item (a dash that
        # merely begins a printed line, mid-sentence, follows a full line).
        item = (
            lists
            and current
            and _LIST_ITEM.match(line)
            and (
                len(previous) < SHORT_LINE * usual
                or previous.endswith(SENTENCE_END)
                or _LIST_ITEM.match(previous)
            )
        )
        if heading or item:
            paragraphs.append(current)
            current = ""
        previous = line
        if not current:
            current = line
        elif current.endswith("-") and not current.endswith(" -"):
            current += line  # a word broken across lines keeps its hyphen, gains no space
        else:
            current += " " + line
        if line.endswith(SENTENCE_END) and len(line) < SHORT_LINE * usual:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def looks_hard_wrapped(text: str) -> bool:
    """Whether plain text was printed at a fixed width: at least five lines, most of them no
    longer than ``WRAP_WIDTH``; most lines followed by another line reach close to that width;
    and many of those next lines go on in lower case (a sentence running over), which a list of
    headlines or table rows does not."""
    lines = [line.strip() for line in text.splitlines()]
    lengths = [len(line) for line in lines if line]
    if len(lengths) < 5:
        return False
    width = statistics.quantiles(lengths, n=10)[-1]
    if width > WRAP_WIDTH:
        return False
    runs = [(a, b) for a, b in pairwise(lines) if a and b]
    if len(runs) < 3:
        return False
    full = sum(len(a) >= 0.6 * width for a, _ in runs)
    running_on = sum(b[:1].islower() for _, b in runs)
    return full >= 0.7 * len(runs) and running_on >= 0.3 * len(runs)


def unwrap(text: str) -> str:
    """Hard-wrapped plain text with each paragraph on one line, paragraphs apart by a blank
    line; the characters of each line are kept as they were (only its ends are trimmed)."""
    return "\n\n".join(reflow([line.strip() for line in text.splitlines()], lists=True)) + "\n"
