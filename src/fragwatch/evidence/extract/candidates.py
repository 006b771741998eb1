"""Run the vocabulary over a text: candidate observations and events, each with its sentence.

The period of a figure is the date or period its own sentence states closest before it (else
the first one after it); a sentence that states none takes the date of the news item its
paragraph quotes ("... (AFP, May 15, 2015)"), else the year a quarter before publication. An
event takes the date closest to the words that triggered it; a sentence that states none goes
on from the last month or day stated earlier in its paragraph, then as figures do. Dates inside
an aside the figure or trigger is not in ("– who died in 2009 –") are passed over. Every choice
is written into the candidate's note so a reviewer can check it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from fragwatch.evidence.extract.numbers import Figure, find_figures
from fragwatch.evidence.extract.sentences import Paragraph, Sentence, paragraphs
from fragwatch.evidence.extract.times import (
    TimeRef,
    citation_date,
    fallback_period,
    find_times,
    nested,
)
from fragwatch.evidence.extract.vocabulary import Span, Vocabulary

# Words after a count that make it a death toll: "leaving 9 police officers and 13 militants dead".
_DEATHS = re.compile(r"\b(?:dead|killed|died|deaths|lives|liquidated|fatalities)\b", re.I)


@dataclass(frozen=True)
class Candidate:
    record: str  # "observation" or "event"
    country: str
    what: str  # the quantity or the event kind
    when: str  # the period (observation) or date (event)
    value: float | None
    low: float | None
    high: float | None
    unit: str
    fatalities: float | None
    description: str
    quote: str
    start: int  # offsets of the quote in the text
    end: int
    note: str
    dated: str  # "stated", "paragraph" (stated earlier in it), "quoted item" or "fallback"


def guess_country(text: str, vocabulary: Vocabulary) -> str | None:
    """The country the text names most often; None when it names none, or two as often."""
    counts = Counter(
        {code: len(pattern.findall(text)) for code, pattern in vocabulary.countries.items()}
    ).most_common(2)
    if not counts or counts[0][1] == 0:
        return None
    if len(counts) > 1 and counts[1][1] == counts[0][1]:
        return None
    return counts[0][0]


_ASIDE = re.compile(r"\s[–—]\s[^–—]*?\s[–—]\s|\([^()]*\)")


def _outside_asides(times: list[TimeRef], sentence: str, start: int, end: int) -> list[TimeRef]:
    """Times not inside an aside (between dashes, in brackets) that does not hold the anchor:
    "In November, ten supporters of Gen. Ziyoyev – who died in clashes in 2009 – were
    arrested" dates the arrests to November, not 2009."""
    asides = [
        m.span() for m in _ASIDE.finditer(sentence) if not (m.start() <= start and end <= m.end())
    ]
    return [t for t in times if not any(s <= t.start and t.end <= e for s, e in asides)]


def _figure_time(times: list[TimeRef], start: int, end: int) -> TimeRef | None:
    before = [t for t in times if t.end <= start]
    after = [t for t in times if t.start >= end]
    return before[-1] if before else (after[0] if after else None)


def _nearest_time(times: list[TimeRef], start: int, end: int) -> TimeRef | None:
    def distance(t: TimeRef) -> int:
        return start - t.end if t.end <= start else max(t.start - end, 0)

    return min(times, key=distance) if times else None


def _dating(chosen: TimeRef | None, cited: TimeRef | None, published: date) -> tuple[str, str, str]:
    """(period, how it was found, dated) for a figure or event."""
    if chosen is not None:
        how = f"'{chosen.text}'" + ("" if chosen.how == "stated" else f" ({chosen.how})")
        dated = "paragraph" if chosen.how.endswith("earlier in the paragraph") else "stated"
        return chosen.period, how, dated
    if cited is not None:
        return cited.period, f"'{cited.text}' (date of the quoted item)", "quoted item"
    period = fallback_period(published)
    return period, "no date in the sentence: the year a quarter before publication", "fallback"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _describe(figure: Figure) -> str:
    bound = f" ({figure.bound})" if figure.bound else ""
    return f"'{figure.text}'{bound}"


@dataclass(frozen=True)
class _Place:
    """One sentence being read, with what is known about its dates."""

    sentence: Sentence
    paragraph: Paragraph
    times: list[TimeRef]  # usable times in sentence coordinates
    earlier: TimeRef | None  # the last usable time stated before the sentence in its paragraph
    cited: TimeRef | None  # the date of the news item the paragraph quotes
    published: date
    country: str


def extract_candidates(
    text: str, *, published: date, country: str, vocabulary: Vocabulary
) -> list[Candidate]:
    """Candidate observations and events in ``text``, in text order, without duplicates."""
    country_pattern = vocabulary.country_pattern(country)
    found: list[Candidate] = []
    for paragraph in paragraphs(text):
        cited = citation_date(paragraph.text, published)
        # Relative dates in a quoted news item count from that item's date.
        reference = published
        if cited is not None and cited.period.count("-") == 2:
            reference = date.fromisoformat(cited.period)
        times = find_times(paragraph.text, reference)
        for sentence in paragraph.sentences:
            offset = sentence.start - paragraph.start
            inside = [
                TimeRef(t.start - offset, t.end - offset, t.text, t.period, t.how, t.usable)
                for t in times
                if offset <= t.start and t.end <= offset + len(sentence.text)
            ]
            # A narrative goes on from a dated month or day, not from a year used as a name.
            earlier = [t for t in times if t.usable and t.end <= offset and "-" in t.period]
            place = _Place(
                sentence,
                paragraph,
                [t for t in inside if t.usable],
                earlier[-1] if earlier else None,
                cited,
                published,
                country,
            )
            # Every date hides its digits from the figure finder, usable or not.
            figures = find_figures(sentence.text, [(t.start, t.end) for t in inside])
            found += _observations(place, figures, vocabulary, country_pattern)
            found += _events(place, figures, vocabulary, country_pattern)
    return _deduplicated(found)


def _observations(
    place: _Place, figures: list[Figure], vocabulary: Vocabulary, country: re.Pattern | None
) -> list[Candidate]:
    found = []
    text = place.sentence.text
    for figure in figures:
        point = next(v for v in (figure.value, figure.low, figure.high) if v is not None)
        span = Span(text, place.paragraph.text, figure.start, figure.end)
        for rule in vocabulary.quantities:
            if not rule.accepts(figure.measure, point, span, country):
                continue
            times = _outside_asides(place.times, text, figure.start, figure.end)
            chosen = _figure_time(times, figure.start, figure.end)
            period, how, dated = _dating(chosen, place.cited, place.published)
            found.append(
                Candidate(
                    record="observation",
                    country=place.country,
                    what=rule.quantity,
                    when=period,
                    value=figure.value,
                    low=figure.low,
                    high=figure.high,
                    unit=rule.unit if figure.measure == "count" else figure.unit,
                    fatalities=None,
                    description="",
                    quote=text,
                    start=place.sentence.start,
                    end=place.sentence.end,
                    note=f"extracted: {_describe(figure)}; period from {how}",
                    dated=dated,
                )
            )
    return found


def _events(
    place: _Place, figures: list[Figure], vocabulary: Vocabulary, country: re.Pattern | None
) -> list[Candidate]:
    text = place.sentence.text
    foreign = vocabulary.about_other_country(text, place.country)
    found = []
    for rule in vocabulary.events:
        if foreign and rule.foreign == "skip":
            continue
        for match in rule.fire(text, place.paragraph.text, country):
            times = _outside_asides(place.times, text, match.start(), match.end())
            chosen = _nearest_time(times, match.start(), match.end())
            if chosen is None and place.earlier is not None:
                # A narrative's undated sentence goes on from the date stated before it: "On 4
                # September 2015, ... were attacked. The government described the event as ..."
                t = place.earlier
                chosen = TimeRef(0, 0, t.text, t.period, "stated earlier in the paragraph")
            when, how, dated = _dating(chosen, place.cited, place.published)
            deaths = _fatalities(text, figures)
            found.append(
                Candidate(
                    record="event",
                    country=place.country,
                    what=rule.kind,
                    when=when,
                    value=None,
                    low=None,
                    high=None,
                    unit="",
                    fatalities=deaths,
                    description=rule.label,
                    quote=text,
                    start=place.sentence.start,
                    end=place.sentence.end,
                    note=f"extracted: '{match.group(0)}'; date from {how}"
                    + (f"; fatalities {deaths:g} from the sentence" if deaths is not None else ""),
                    dated=dated,
                )
            )
    return found


def _fatalities(sentence: str, figures: list[Figure]) -> float | None:
    """Deaths a sentence states: the counts followed closely by 'dead', 'killed' and the like."""
    total = None
    for figure in figures:
        if figure.measure != "count":
            continue
        after = Span(sentence, sentence, figure.start, figure.end).after(6)
        if _DEATHS.search(after):
            count = figure.value if figure.value is not None else (figure.low or figure.high)
            total = (total or 0.0) + float(count or 0.0)
    return total


def _deduplicated(found: list[Candidate]) -> list[Candidate]:
    """Drop repeats: the same figure for the same period, the same event on the same date, and
    an event dated only by the fallback year when the text also gives it a date within it."""
    kept: list[Candidate] = []
    for c in found:
        # The same figure restated for a period within the first one's (a footnote citing the
        # source) is the same observation; the same event on the same date is the same event.
        if not any(
            (k.record, k.what, k.value, k.low, k.high) == (c.record, c.what, c.value, c.low, c.high)
            and (k.when == c.when or (c.record == "observation" and nested(k.when, c.when)))
            for k in kept
        ):
            kept.append(c)
    dated = [(c.what, c.when) for c in kept if c.record == "event" and c.dated != "fallback"]
    return [
        c
        for c in kept
        if not (
            c.record == "event"
            and c.dated == "fallback"
            and any(kind == c.what and nested(c.when, when) for kind, when in dated)
        )
    ]


def figure_text(c: Candidate) -> str:
    """A short rendering of a candidate's figure: '1450 kg', '>=40 percent', '300000-400000'."""
    if c.record == "event":
        return "" if c.fatalities is None else f"{c.fatalities:g} dead"
    if c.value is not None:
        text = _number(c.value)
    elif c.low is not None and c.high is not None:
        text = f"{_number(c.low)}-{_number(c.high)}"
    elif c.low is not None:
        text = f">={_number(c.low)}"
    else:
        text = f"<={_number(c.high)}"
    return f"{text} {c.unit}".strip()
