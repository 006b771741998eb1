"""Plain text that reads in a terminal mail client: lines of at most 78 characters.

RFC 5322 asks for 78; mutt and most clients show longer lines with continuation marks, and a
URL split across two lines is no longer a link. Lines are wrapped at spaces, keeping their
indentation; a word longer than the line (a URL) stays whole on a line of its own.
"""

from __future__ import annotations

import re
import textwrap

WIDTH = 78
_LEAD = re.compile(r"^(\s*(?:[-*!]|\d+\.|\u201c|\")?\s*)")


def wrap_line(line: str, width: int = WIDTH) -> list[str]:
    """One line as lines of at most ``width`` (an unbreakable word may exceed it)."""
    if len(line) <= width:
        return [line]
    indent = len(line) - len(line.lstrip(" "))
    lead = _LEAD.match(line).group(1)
    # Continuation lines hang under the text, not under a bullet or a number.
    hang = " " * max(indent, min(len(lead), width // 3))
    return textwrap.wrap(
        line.lstrip(" "),
        width=width,
        initial_indent=" " * indent,
        subsequent_indent=hang,
        break_long_words=False,
        break_on_hyphens=False,
        drop_whitespace=True,
    ) or [line]


def wrap_text(text: str, width: int = WIDTH) -> str:
    """Every line of ``text`` wrapped to ``width``; blank lines and line ends kept."""
    out: list[str] = []
    for line in text.split("\n"):
        # "-- " is the signature separator: its trailing space is what makes it one.
        out.extend(wrap_line(line if line == "-- " else line.rstrip(), width))
    return "\n".join(out)
