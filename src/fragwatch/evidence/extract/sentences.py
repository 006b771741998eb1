"""Split text into paragraphs and sentences, keeping character offsets into the text.

A paragraph is one line: quotes in the evidence base may not span lines, so no sentence does
either. Sentence ends are found by punctuation, skipping abbreviations ("Gen.", "U.S.", "pop."),
initials and decimals; footnote markers after the full stop ("kg.⁵⁷") belong to neither side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "gen",
    "col",
    "lt",
    "maj",
    "capt",
    "cpt",
    "sgt",
    "adm",
    "brig",
    "gov",
    "sen",
    "rep",
    "pres",
    "st",
    "no",
    "nos",
    "pop",
    # currencies written before an amount: "Rs. 961 billion", "Tk. 1,200 crore"
    "rs",
    "tk",
    "vol",
    "pp",
    "p",
    "op",
    "cf",
    "vs",
    "etc",
    "approx",
    "est",
    "inc",
    "ltd",
    "co",
    "corp",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "e.g",
    "i.e",
    "al",
    "fig",
    "km",
}
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
# A full stop, ! or ? (with closing quotes or brackets) then space and a likely sentence start
# (anything but a lower-case letter); or a semicolon closed by a footnote marker ("...;⁴⁰ "); or
# a page that runs two sentences together, a word's full stop then a capitalised word
# ("sources said.Islamic State claimed the attack").
_END = re.compile(
    rf"(?:[.!?…]+[\"'”’»)\]]*(?P<marks>[{SUPERSCRIPTS}]*)(?=\s+[\"'“‘«(\[]?(?![a-z])\S)"
    rf"|;(?P<fmarks>[{SUPERSCRIPTS}]+)(?=\s)"
    r"|(?<=[a-z]{3})\.(?=[A-Z][a-z]{2}))"
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


@dataclass(frozen=True)
class Sentence:
    start: int  # offset of the first character in the whole text
    end: int  # offset just past the last character
    text: str


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    text: str
    sentences: list[Sentence] = field(default_factory=list)


def _is_abbreviation(before: str) -> bool:
    match = _WORD_BEFORE.search(before)
    if match is None:
        return False
    word = match.group(1)
    if word.lower().rstrip(".") in ABBREVIATIONS:
        return True
    # Initials and dotted acronyms: "A.", "U.S.", "U.N.".
    return bool(re.fullmatch(r"(?:[A-Z]\.)*[A-Z]", word))


def split_sentences(line: str, offset: int = 0) -> list[Sentence]:
    """Sentences of one line; offsets are ``offset`` plus the position in the line."""
    found: list[Sentence] = []
    start = 0
    for match in _END.finditer(line):
        stop = match.start("marks") if match.group("marks") is not None else match.start() + 1
        if line[match.start()] == "." and _is_abbreviation(line[: match.start() + 1]):
            continue
        _add(found, line, start, stop, offset)
        start = match.end()
    _add(found, line, start, len(line), offset)
    return found


def _add(found: list[Sentence], line: str, start: int, stop: int, offset: int) -> None:
    piece = line[start:stop]
    lead = len(piece) - len(piece.lstrip())
    text = piece.strip().rstrip(SUPERSCRIPTS).rstrip()
    if text:
        begin = offset + start + lead
        found.append(Sentence(begin, begin + len(text), text))


def paragraphs(text: str) -> list[Paragraph]:
    """Every non-blank line as a paragraph, with its sentences."""
    found = []
    position = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if body.strip():
            found.append(
                Paragraph(position, position + len(body), body, split_sentences(body, position))
            )
        position += len(line)
    return found
