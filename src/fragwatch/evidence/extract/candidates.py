"""Run the vocabulary over a text: candidate observations and events, each with its sentence.

The period of a figure is the date its own sentence attaches to it ("4 tonnes in 2021",
"$433 million (2004)"), else the date stated closest before it (else the first one after it); a
sentence that states none takes the date of the news item its paragraph quotes ("... (AFP, May
15, 2015)"), else the year a quarter before publication. An event takes the date closest to the
words that triggered it; a sentence that states none goes on from the last month or day stated
earlier in its paragraph, then as figures do. Dates inside an aside the figure or trigger is not
in ("– who died in 2009 –") are passed over.

The country of a candidate is the country its sentence names as the subject nearest to the
figure or trigger ("Kyrgyzstan received $3 billion ..., while Tajikistan received $6 billion";
"Syria (7.6 million)"), not one named as an origin or a route ("heroin of Afghan origin",
"returned from Iran"); with none, the one country the previous sentence names; else the
report's country (``--country``, else the one the text names most).

A figure whose quantity is named only in the sentence before ("... remittances ... . That is
the equivalent of 34 percent of gross domestic product") is read with that sentence, and the
quote is both sentences (an exact span of one line of the text). A sentence that states a death
toll ("killing at least 15 people", "the death toll rose to 36") is an event of the kind its
words fit (suicide, border, riot, clash, attack), else of the kind the sentences before it tell.

Every choice is written into the candidate's note, and every candidate has a confidence (0..1)
from how much of it the text states outright (see ``confidence``).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from fragwatch.evidence.extract.learned import NONE, FigureContext, QuantityModel
from fragwatch.evidence.extract.numbers import Figure, find_figures
from fragwatch.evidence.extract.sentences import Paragraph, Sentence, paragraphs
from fragwatch.evidence.extract.times import (
    TimeRef,
    citation_date,
    fallback_period,
    find_times,
    nested,
)
from fragwatch.evidence.extract.vocabulary import (
    EventRule,
    Mention,
    QuantityRule,
    Span,
    Vocabulary,
)

# A text shorter than this is a news item rather than a report (see fallback_period).
NEWS_LENGTH = 4000


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
    confidence: float = 0.5
    placed: str = "stated"  # how the country was found: stated, previous sentence, report
    carried: bool = False  # the quantity or kind was read from the sentence before
    learned: float | None = None  # the context model's probability of the quantity, if asked
    proposed: bool = False  # no rule took the figure: the context model named its quantity


def guess_country(text: str, vocabulary: Vocabulary) -> str | None:
    """The country the text names most often; None when it names none, or two as often."""
    counts = Counter(m.code for m in vocabulary.mentions(text) if not m.weak).most_common(2)
    if not counts:
        counts = Counter(m.code for m in vocabulary.mentions(text)).most_common(2)
    if not counts or (len(counts) > 1 and counts[1][1] == counts[0][1]):
        return None
    return counts[0][0]


_ASIDE = re.compile(r"\s[–—]\s[^–—]*?\s[–—]\s|\([^()]*\)")


def _outside_asides(times: list[TimeRef], sentence: str, start: int, end: int) -> list[TimeRef]:
    """Times not inside an aside (between dashes, in brackets) that does not hold the anchor:
    "In November, ten supporters of Gen. Ziyoyev – who died in clashes in 2009 – were
    arrested" dates the arrests to November, not 2009. A bracket right after the anchor is its
    own date: "$433 million (2004)"."""
    asides = [
        m.span()
        for m in _ASIDE.finditer(sentence)
        if not (m.start() <= start and end <= m.end())
        and not (m.group(0).startswith("(") and re.fullmatch(r"\s*", sentence[end : m.start()]))
    ]
    return [t for t in times if not any(s <= t.start and t.end <= e for s, e in asides)]


# The words between a figure and the date it is "of": "4 tonnes in 2021", "$433 million (2004)",
# "$2,155.9 million in the same period in 2017", "$3.2 billion recorded in the same month last
# 2022".
_ATTACHED = re.compile(
    r"^[\s,]*(?:\(\s*(?:in\s+)?|(?:(?:recorded|registered|reported|received)\s+)?"
    r"(?:(?:in|during|for|over)\s+the\s+(?:same|corresponding)\s+(?:period|months?|quarter|time)"
    r"\s+(?:of\s+|in\s+|last\s+)?(?:the\s+)?|(?:in|during|for|as\s+of|by\s+end\s+of)\s+"
    # "946,571 in the year 2015", "in the fiscal year 2013-2014"
    r"(?:(?:the\s+)?(?:(?:calendar|fiscal|financial)\s+)?year\s+)?))?$"
)
# What ends a figure's clause before a date far after it; the day something was said.
_OTHER_CLAUSE = re.compile(r"[;:]|,\s*(?:which|who|while|and)\b")
_SAID_ON = re.compile(
    r"\b(?:said|says|told|announced|reported|added|stated)\s+(?:[\w-]+\s+){0,3}(?:on\s+)?$"
)
_NOUN_FIRST = re.compile(
    r"^\s+(?:people|persons|workers|migrants|individuals|citizens|nationals)(?=\s)"
)
# A dateline: "DHAKA, April 12, 2019 (BSS) –", "CAIRO, Aug 30 (Reuters) -". It dates the
# report, not the figures it gives.
_RESTATES = re.compile(
    r"^\s*(?:\(?\s*(?:in|during|for)\s+[^,;()]{2,40}?\)?\s*)?,?\s*(?:or|i\.e\.|equal\s+to|"
    r"equivalent\s+to|representing|which\s+(?:is|was|represents|represented|accounted\s+for))\s+$",
    re.I,
)
_RELEASED = re.compile(
    r"\b(?:released|published|issued|presented|unveiled|launched)\s+(?:on\s+|last\s+|this\s+)?$",
    re.I,
)
_DATELINE_BEFORE = re.compile(r"^\W*[A-Z][A-Za-z .'’-]{1,40},\s*$")
_DATELINE_AFTER = re.compile(r"^\s*(?:\([^()]{1,40}\)\s*)?[-–—:]")


def _figure_time(
    times: list[TimeRef], start: int, end: int, sentence: str, others: list[Figure]
) -> TimeRef | None:
    """The date attached right after the figure, else the closest before it that is not
    attached to another figure ("from 2.3 tonnes in 2020 to 4 tonnes in 2021"), else after."""
    for t in times:
        if t.start >= end and _ATTACHED.match(sentence[end : t.start]):
            return t
    # ... also after the figure's noun: "200,802 people in 2022", "40,420 workers in the same
    # period last year".
    for t in times:
        if t.start >= end and _ATTACHED.match(_NOUN_FIRST.sub("", sentence[end : t.start])):
            return t

    def taken(t: TimeRef) -> bool:
        # Another figure's date, also after its noun: "from 233,000 hectares the previous year".
        return any(
            f.end <= t.start
            and f.start != start
            and (
                _ATTACHED.match(sentence[f.end : t.start])
                or _ATTACHED.match(re.sub(r"^\s+[a-z]+(?=\s)", "", sentence[f.end : t.start]))
            )
            for f in others
        )

    def dateline(t: TimeRef) -> bool:
        return bool(
            _DATELINE_BEFORE.match(sentence[: t.start]) and _DATELINE_AFTER.match(sentence[t.end :])
        )

    # The day a report was released does not date its figures: "In its annual report released
    # on Friday, ... 1.8 million Afghans were expelled".
    times = [t for t in times if not _RELEASED.search(sentence[: t.start])]
    before = [t for t in times if t.end <= start and not taken(t)]
    # A date far after the figure is another clause's ("... which erupted last year"); one
    # attached to a later figure is that figure's ("$37.2 billion, up from $36.1 billion in
    # 2022").
    after = [t for t in times if t.start >= end and t.start - end <= 80 and not taken(t)]
    stated = [t for t in before if not dateline(t)]
    if stated:
        return stated[-1]
    # A figure that restates the one before takes its date: "$2.74 billion in 2022, or 27% of
    # GDP".
    # (the nearest figure first: "from US$360 million in 2011 to US$549 million in 2016,
    # representing 27 percent")
    for f in sorted(others, key=lambda f: -f.end):
        if f.end <= start and _RESTATES.match(sentence[f.end : start]):
            own = [t for t in times if t.start >= f.end and t.end <= start]
            if own:
                return own[0]
    if after:
        return after[0]
    # The sentence's only date, at its end, dates it when no other clause comes between: "As
    # many as 160,500 workers have proceeded ... through the Bureau ... from January 1 to June
    # 30, 2018."
    later = [t for t in times if t.start >= end and not taken(t)]
    if not before and len(later) == 1:
        gap = sentence[end : later[0].start]
        said = _SAID_ON.search(sentence[: later[0].start])
        between = any(end <= f.start and f.end <= later[0].start for f in others)
        if not (_CLAUSE.search(gap) or _OTHER_CLAUSE.search(gap) or said or between):
            return later[0]
    return before[-1] if before else None


def _nearest_time(times: list[TimeRef], start: int, end: int) -> TimeRef | None:
    def distance(t: TimeRef) -> int:
        return start - t.end if t.end <= start else max(t.start - end, 0)

    return min(times, key=distance) if times else None


def _dating(
    chosen: TimeRef | None, cited: TimeRef | None, published: date, news: bool = False
) -> tuple[str, str, str]:
    """(period, how it was found, dated) for a figure or event."""
    if chosen is not None:
        how = f"'{chosen.text}'" + ("" if chosen.how == "stated" else f" ({chosen.how})")
        dated = (
            "paragraph" if chosen.how.endswith(("earlier in the paragraph", "before")) else "stated"
        )
        return chosen.period, how, dated
    if cited is not None:
        return cited.period, f"'{cited.text}' (date of the quoted item)", "quoted item"
    if news:
        period = fallback_period(published, news=True)
        return period, "no date in the sentence: the month the news item was published", "fallback"
    period = fallback_period(published)
    return period, "no date in the sentence: the year a quarter before publication", "fallback"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _describe(figure: Figure) -> str:
    bound = f" ({figure.bound})" if figure.bound else ""
    return f"'{figure.text}'{bound}"


# -- countries ---------------------------------------------------------------------------------

# A country named after the anchor as the place of what it tells: "seized on the territory of
# the Russian Federation", "in Kyrgyzstan".
_PLACE_BEFORE = re.compile(
    r"\b(?:in|on\s+the\s+territory\s+of|inside|across|into)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}$"
)


# What stands between a country and its own figure in a list: "Liberia (31 percent)", "Tonga at
# 38.2%", "Kyrgyzstan - 265,000", "Nepal: 24.7%".
_OWN_ITEM = re.compile(r"^\s*,?\s*(?:\(|at\b|with\b|:|[-–—])\s*(?:(?:US\s?)?\$|USD\b)?\s*$")


# Words that start another clause; and how far (in characters, clause words counted 40) a country
# may be named from a figure and still be its country.
_CLAUSE = re.compile(r"\b(?:because|while|whereas|although|though|but|as|since|after|when)\b")
FAR = 90


def _country_at(
    mentions: list[Mention],
    sentence: str,
    start: int,
    end: int,
    others: tuple[tuple[int, int], ...] = (),
) -> str | None:
    """The country a sentence names as the subject of what lies at ``start:end``; ``others``
    are the spans of the sentence's other figures, whose own places are not this one's."""

    def score(m: Mention) -> float:
        place = bool(_PLACE_BEFORE.search(sentence[: m.start]))
        if m.end <= start and _OWN_ITEM.match(sentence[m.end : start]):
            # An item of a list, the country right before its figure: "Liberia (31 percent)",
            # "Tonga at 38.2%", "Kyrgyzstan - 265,000".
            distance = -100
        elif m.end <= start:
            distance = start - m.end
            # "... seized on the territory of the Russian Federation and 7,700 grams ...": a
            # place named after another figure is that figure's.
            if place and any(e <= m.start and s != start for s, e in others):
                distance += 100
        elif m.start - end <= 3 and not sentence[end : m.start].strip():
            # The figure's own noun: "12,000 Tajik migrants", "330 Kyrgyz citizens"; not the
            # next item of a list: "Colombia (4.9 million), Yemen (4.3 million)".
            distance = -80
        else:
            distance = m.start - end + (-40 if place else 25)
            # "17 percent of the GDP of Honduras, and 12 percent in the case of Guatemala": a
            # country named after the next figure is that figure's, once this one has had a
            # country of its own before it ("7,700 grams of opium and 1,100 grams of hashish
            # were seized on the territory of Kazakhstan" share theirs).
            if any(
                end <= s
                and e <= m.start
                and any(end <= n.start and n.end <= s for n in mentions if not n.weak)
                for s, e in others
            ):
                distance += 100
        between = sentence[min(m.end, end) : max(m.start, start)]
        if ";" in between:
            distance += 500
        # Another clause's country: "with the downturn in Russia adding to the difficulties
        # because remittances are more than 40 per cent of GDP".
        distance += 40 * len(_CLAUSE.findall(between))
        return distance - (60 if m.subject else 0)

    strong = [m for m in mentions if not m.weak]
    if not strong:
        return None
    best = min(strong, key=score)
    return best.code if score(best) <= FAR else None


# "expelled from Iran", "deported from neighbouring Pakistan": the country people were sent from
# (not "migrants from Uzbekistan", their origin).
_FROM_BEFORE = re.compile(
    r"\b(?:deport(?:ed|ations?)|expell?ed|expulsions?|removed|returned|sent\s+back)"
    r"\s+(?:\w+\s+)?from\s+(?:the\s+)?(?:neighbou?ring\s+)?$"
)
_CLAUSE_END = re.compile(r"[;.]|,\s*(?:while|whereas|and|but)\b|\bwhile\b")


def _sent_from(place: _Place, figure: Figure) -> str | None:
    """The country named right after "from" in the figure's clause, the nearest after the
    figure first ("930,000 were deported from Pakistan"), else before it."""
    text = place.sentence.text
    stop = _CLAUSE_END.search(text, figure.end)
    end = stop.start() if stop else len(text)
    begin = max((m.end() for m in _CLAUSE_END.finditer(text, 0, figure.start)), default=0)
    named = [m for m in place.mentions if _FROM_BEFORE.search(text[: m.start])]
    after = [m for m in named if figure.end <= m.start < end]
    before = [m for m in named if begin <= m.start and m.end <= figure.start]
    if after:
        return after[0].code
    if before:
        return before[-1].code
    # The people's own nationality ("777 Afghan citizens expelled", "643 citizens of
    # Tajikistan were deported") is not who deported them.
    noun = _OWN_NOUN.match(text[figure.end :])
    reach = figure.end + (noun.end() if noun else 1)
    own = [m for m in place.mentions if figure.end <= m.start <= reach]
    doer = _deporter(place, begin, end, own)
    if doer:
        return doer
    if own and place.country and own[0].code != place.country:
        return place.country
    # Where they were sent is not who sent them: "1,054 migrants were sent back to Afghanistan
    # ..., the migration directorate said" (in a Turkish report) is the report's country's.
    sent_to = [
        m for m in place.mentions if begin <= m.start < end and _TO_BEFORE.search(text[: m.start])
    ]
    if sent_to and place.country and all(m.code != place.country for m in sent_to):
        return place.country
    return None


_TO_BEFORE = re.compile(r"\b(?:back\s+)?(?:to|into)\s+(?:the\s+)?$")


_OWN_NOUN = re.compile(
    r"^\s+(?:(?:[\w\"“”-]+\s+){0,2}(?:citizens|nationals|natives)\s+of\s+|[\"“”]?\w+[\"“”]?\s+)?"
)


# Who sends people out, told as the subject of the verb ("Egypt has deported 79 Sudanese", "the
# Pakistani authorities expelled", "Libya's agency reported the deportation of") or its agent
# ("deported by Turkey").
_SENDING = re.compile(
    r"\b(?:deport(?:ed|s|ing)?|deportations?\s+of|expell?(?:ed|s|ing)|sent\s+back|repatriated)\b",
    re.I,
)
_AGENT_GAP = re.compile(
    r"^(?:['’]s)?(?:\s+(?!(?:and|or|but|while|who|which|that)\b)[\w-]+){0,5}?"
    r"\s+(?:(?:has|have|had)\s+(?:been\s+)?)?(?:\w+ly\s+)?$"
)
_BY_GAP = re.compile(r"^\s+by\s+(?:the\s+)?$")


def _deporter(place: _Place, begin: int, end: int, own: list[Mention]) -> str | None:
    """The country that deports, named as the doer of the figure's clause, if it is."""
    text = place.sentence.text
    strong = [m for m in place.mentions if not m.weak and m not in own]
    for verb in _SENDING.finditer(text, begin, end):
        by = [
            m for m in strong if verb.end() <= m.start and _BY_GAP.match(text[verb.end() : m.start])
        ]
        if by:
            return by[0].code
        doers = [
            m
            for m in strong
            if begin <= m.start
            and m.end <= verb.start()
            and _AGENT_GAP.match(text[m.end : verb.start()])
        ]
        if doers:
            return doers[-1].code
    return None


def _respectively(mentions: list[Mention], figures: list[Figure], sentence: str) -> dict[int, str]:
    """'Kyrgyzstan and Tajikistan ... at about 35.1 percent and 32.2 percent, respectively':
    the n-th figure goes with the n-th country named before the figures."""
    if "respectively" not in sentence or not figures:
        return {}
    first = min(f.start for f in figures)
    codes: list[str] = []
    for m in mentions:
        if not m.weak and m.end <= first and m.code not in codes:
            codes.append(m.code)
    if len(codes) < len(figures):
        return {}
    codes = codes[-len(figures) :]
    return {
        f.start: code for f, code in zip(sorted(figures, key=lambda f: f.start), codes, strict=True)
    }


# -- death tolls -------------------------------------------------------------------------------

_DEATH_WORD = (
    r"(?:killed|dead|died|deaths?|death\s+toll|toll|fatalities|lives|liquidated|massacred"
    r"|perished|bodies)"
)
# A death count right after these: "killing at least 15", "the death toll rose to 36".
_TOLL_BEFORE = re.compile(
    r"(?:\b(?:killing|killed|kills?|claimed\s+the\s+lives\s+of|the\s+lives\s+of|deaths?\s+of"
    r"|bodies\s+of|massacred|murdered|murdering|executed|executing|beheaded|beheading|loss\s+of"
    r"|martyred|martyring"
    r"|(?:shot|shooting|shoots?)\s+dead|gunn(?:ed|ing)\s+down"
    r"|(?:hacked|hacking|stabbed|stabbing|beat(?:en|ing)|burn(?:ed|t|ing))\s+to\s+death)\s+$"
    rf"|\b{_DEATH_WORD}\b(?:(?!injur|wound|hurt|arrest|detain)[^.;]){{0,160}}"
    r"\b(?:to|at|reached|exceeded|exceeds|hit|of|is|was|stands\s+at|stood\s+at|as\s+high\s+as"
    r"|numbered|numbering|totall?ed|is\s+now|number(?:ed|ing)?\s+between|between)\s+$"
    r"|\b(?:killed|dead|died)\b[^.;]{0,15}\balong\s+with\s+$)",
    re.I,
)
# ... or these after it, within a few words: "32 people, including three prison officers, were
# killed", "46 dead", "were among the dead".
_TOLL_AFTER = re.compile(
    # Each word is taken whole (the lookahead), so the pattern runs in linear time.
    r"^(?:\s*(?!(?:where|which|that|who|when|while)\b)[\w'’“”\"-]+(?![\w'’“”\"-]),?){0,9}?\s*"
    r"(?:were|was|have\s+been|had\s+been|are|being|lost\s+their"
    r"|have|had|reportedly|also|among\s+the)?\s*"
    r"(?:killed|dead|died|deaths?|perished|massacred|lives|liquidated|lost\s+(?:their\s+lives|his\s+life|her\s+life)"
    r"|fatalities|bodies"
    r"|murdered|slain|executed|beheaded|martyred|(?:shot|gunned)\s+(?:dead|down)"
    r"|(?:hacked|stabbed|beaten|burned|burnt)\s+to\s+death)\b",
    re.I,
)
# Counts that are not the toll: "revised from 24", "25 out of 29", "including three officers".
_NOT_TOLL_BEFORE = re.compile(
    r"(?:\b(?:from|including|among\s+them|of\s+whom|of\s+them)\s+"
    r"|\b(?:previous(?:ly)?|earlier|initial)\s+(?:[\w-]+\s+){0,2}(?:toll|reports?|figures?|count)"
    r"\b[^.;]{0,30}\s"
    # A toll that may come: "the death toll could pass 20", "is expected to rise to 30".
    r"|\b(?:could|(?-i:may)|might|would|expected\s+to|likely\s+to)\s+(?:[\w-]+\s+){0,2}(?:to\s+)?"
    # A later part of a list of parts: "three civilians, including a woman and two children".
    r"|\b(?:including|among\s+them)\s+[^.;\d]{1,40}\band\s+)$",
    re.I,
)
# One victim told without a count: "A Tajik soldier was killed", "an Afghan border policeman
# lost his life", "Khusnidin Khozhiev, a border guard of Kyrgyzstan, was killed".
_ONE = (
    r"(?:a|an|one)\s+(?:(?-i:[A-Z])[\w-]*\s+){0,2}(?:border\s+|police\s+|security\s+)?"
    r"(?:person|man|woman|child|boy|girl|civilian|soldier|policeman|officer|guard|inmate|fighter"
    r"|militant|protester|demonstrator|journalist|worker|student|villager|trooper|serviceman"
    r"|citizen|resident|national)"
)
_ONE_DEAD = re.compile(
    rf"(?<![\w-]){_ONE}"
    r"(?:\s+of\s+[\w\s-]{1,30}?)?,?\s+(?:(?:was|has\s+been|had\s+been)\s+(?:killed|shot\s+dead"
    r"|gunned\s+down|murdered|slain|stabbed\s+to\s+death)|lost\s+(?:his|her)\s+life|died)\b"
    # "gunmen killed a police officer and wounded 13 others"
    rf"|\b(?:killed|killing|kills|shot\s+dead|murdered)\s+{_ONE}\b",
    re.I,
)
_PART_DEAD = re.compile(r"\b(?:including|among\s+them|of\s+whom|of\s+them)\s+$", re.I)
_DEATHS_NEXT = re.compile(r"^\s*(?:deaths|dead|fatalities)\b", re.I)
_NOT_TOLL_AFTER = re.compile(r"^\s*(?:out\s+of|of\s+(?:these|them|whom|the))\b", re.I)
# One named victim and a count of others: "killed a journalist along with 25 others".
_NAMED_AND = re.compile(
    r"\b(?:killed|killing|kills)\s+[^.;,\d]{3,80}?\s+(?:along\s+with|together\s+with|and|as\s+well\s+as)\s+$",
    re.I,
)
_OTHERS = re.compile(r"^\s*(?:other\s+people\b|others\b)", re.I)
# Dead counted as the attackers: "three attackers", "two of the gunmen", "the suicide bombers".
_PERPETRATORS = re.compile(
    r"^\s*(?:of\s+the\s+)?(?:[\w-]+\s+){0,2}(?:attackers|assailants|gunmen|perpetrators"
    r"|(?:suicide\s+)?bombers|hostage[- ]takers|raiders)\b",
    re.I,
)
# ... counted apart from the others ("20 people, while three attackers were also killed"), not
# in one list with them ("leaving 2 guards and 3 attackers dead").
_APART = re.compile(r"\b(?:also|while|whereas|as\s+well)\b", re.I)
_CHAIN = re.compile(r"^[^.;:]{0,40}?(?:\band|,|\bincluding|\bamong\s+them)\s*$", re.I)
_PARTS = re.compile(r"^[^.;:]{0,40}?(?:\band|,)\s+(?:the\s+)?$", re.I)
_WOUNDED = re.compile(
    r"^\s*(?:(?!dead|killed|died)[\w-]+\s+){0,3}(?:wounded|injured|hurt|missing|arrested|detained"
    r"|casualties)"
)


def death_toll(
    sentence: str, figures: list[Figure], statistics: set[int] | frozenset[int] = frozenset()
) -> float | None:
    """The deaths a sentence states: every count it gives as killed or dead, summed ("17
    soldiers and four civilians were killed" is 21), leaving out a revised toll ("from 15 to
    43" is 43), a part ("32 people, including three prison officers"), the wounded, a second
    event's toll further on, the counts at ``statistics`` (starts of figures a quantity took),
    where reading on stops too ("61 people returned, and 150 died in combat abroad"), and the
    attackers killed when others are counted apart ("20 people, and three attackers were also
    killed"; but "2 guards and 3 attackers dead" is 5)."""
    counts = [f for f in figures if f.measure == "count"]
    total = None
    attackers = None  # dead attackers: the toll only when nobody else is counted
    last = None  # the last count taken
    part = None  # the last count left out as a part ("five of the inmates")
    for i, f in enumerate(counts):
        if f.start in statistics:
            continue
        before, after = sentence[: f.start], sentence[f.end :]
        if last is not None and not _CHAIN.match(sentence[last.end : f.start]):
            # A toll apart from the first tells another event: "... killed at least 31 people
            # in a market ... and one at the bus station, which killed three people".
            break
        # A part is no toll, but "154 casualties, including 31 deaths" is: those that died.
        part_dead = bool(_PART_DEAD.search(before[-30:]) and _DEATHS_NEXT.match(after))
        if (
            _NOT_TOLL_BEFORE.search(before[-60:]) or _NOT_TOLL_AFTER.match(after)
        ) and not part_dead:
            part = f
            continue
        if last is None and part is not None and _PARTS.match(sentence[part.end : f.start]):
            # A list that opens with a part is all parts: "Five of the inmates and the three
            # guards were killed" after the toll was told.
            part = f
            continue
        # "killed in clashes exceeded 200": the qualifier may be the toll's verb.
        with_qualifier = before + f.text[: len(f.qualifier)] + " " if f.qualifier else before
        toll = bool(
            _TOLL_BEFORE.search(before[-300:]) or _TOLL_BEFORE.search(with_qualifier[-300:])
        )
        if not toll:
            # Read on through counts joined by "and" or a comma: "17 soldiers and four ...".
            stop = len(sentence)
            for g in counts[i + 1 :]:
                gap = sentence[f.end : g.start]
                if g.start in statistics or not _CHAIN.match(gap):
                    stop = g.start
                    break
            segment = sentence[f.end : stop][:300]
            toll = bool(_TOLL_AFTER.match(segment)) and not _WOUNDED.match(after)
        named = total is None and _NAMED_AND.search(before[-120:]) and _OTHERS.match(after)
        toll = toll or bool(named)
        if toll:
            count = float((f.value if f.value is not None else (f.low or f.high)) or 0.0)
            # "killed journalist Hodan Naleyah along with at least 25 others" is 26.
            count += 1.0 if named else 0.0
            apart = last is not None and _APART.search(sentence[last.end : f.start] + after[:60])
            if _PERPETRATORS.match(after) and (last is None or apart):
                attackers = (attackers or 0.0) + count
            else:
                total = (total or 0.0) + count
            last = f
    if total is None and attackers is None and _ONE_DEAD.search(sentence):
        return 1.0
    return total if total is not None else attackers


# -- reading a text ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    """One sentence being read, with what is known about its dates and countries."""

    sentence: Sentence
    paragraph: Paragraph
    times: list[TimeRef]  # usable times in sentence coordinates
    earlier: TimeRef | None  # the last usable time stated before the sentence in its paragraph
    cited: TimeRef | None  # the date of the news item the paragraph quotes
    published: date
    country: str  # the report's country: the last resort
    mentions: list[Mention]
    previous: Sentence | None  # the sentence before, anywhere in the text
    previous_country: str | None  # the one country the sentence before names, if one
    same_line: bool  # whether the sentence before is on the same line
    goes_on: bool  # whether this sentence goes on from the one before (same line or "A total ...")
    previous_time: TimeRef | None  # the last usable time of the sentence before (or earlier)
    news: bool  # a short text: undated things are of the month it was published


def extract_candidates(
    text: str,
    *,
    published: date,
    country: str | None,
    vocabulary: Vocabulary,
    model: QuantityModel | None = None,
) -> list[Candidate]:
    """Candidate observations and events in ``text``, in text order, without duplicates.

    ``country`` is the report's country, used for what the text does not place itself; None:
    the country the text names most. ``model``: the context model that proposes quantities
    for figures no rule takes and vetoes unlikely ones (see ``learned``); None: rules only.
    A figure that neither its text nor the report places in a country ("in nine other
    countries", a world total) is no country's evidence and is left out.
    """
    default = (country or "").upper() or guess_country(text, vocabulary) or ""
    news = len(text) < NEWS_LENGTH
    last_time: TimeRef | None = None
    found: list[Candidate] = []
    previous: Sentence | None = None
    previous_mentions: list[Mention] = []
    previous_line = -1
    recent_kinds: list[tuple[int, EventRule]] = []  # (sentence number, violent kind told)
    number = 0
    for line, paragraph in enumerate(paragraphs(text)):
        cited = citation_date(paragraph.text, published)
        # Relative dates in a quoted news item count from that item's date.
        reference = published
        if cited is not None and cited.period.count("-") == 2:
            reference = date.fromisoformat(cited.period)
        times = find_times(paragraph.text, reference)
        for sentence in paragraph.sentences:
            number += 1
            offset = sentence.start - paragraph.start
            inside = [
                TimeRef(t.start - offset, t.end - offset, t.text, t.period, t.how, t.usable)
                for t in times
                if offset <= t.start and t.end <= offset + len(sentence.text)
            ]
            # A narrative goes on from a dated month or day, not from a year used as a name.
            earlier = [t for t in times if t.usable and t.end <= offset and "-" in t.period]
            mentions = vocabulary.mentions(sentence.text)
            prev_codes = {m.code for m in previous_mentions if not m.weak}
            place = _Place(
                sentence,
                paragraph,
                [t for t in inside if t.usable],
                earlier[-1] if earlier else None,
                cited,
                published,
                default,
                mentions,
                previous,
                next(iter(prev_codes)) if len(prev_codes) == 1 else None,
                previous is not None and previous_line == line,
                previous is not None
                and (previous_line == line or bool(_GOES_ON.match(sentence.text))),
                last_time,
                news,
            )
            # Every date hides its digits from the figure finder, usable or not.
            figures = find_figures(sentence.text, [(t.start, t.end) for t in inside])
            observations, statistics = _observations(place, figures, vocabulary, model)
            found += observations
            recent = [rule for n, rule in recent_kinds if number - n <= 2]
            events, told = _events(place, figures, vocabulary, recent, statistics)
            found += _more_dead(found, events, place, text)
            recent_kinds += [(number, rule) for rule in told]
            previous, previous_mentions, previous_line = sentence, mentions, line
            usable = [t for t in place.times if t.usable]
            if usable:
                last_time = TimeRef(0, 0, usable[-1].text, usable[-1].period, "the sentence before")
    return [c for c in _deduplicated(found) if c.country]


# A sentence that adds to the toll the one before told: "... security forces killed at least 25
# inmates. Also killed two employees of local law enforcement."
_ADDS = re.compile(r"^\W*(?:Also|In\s+addition|Additionally)\b|^\W*\w+\s+(?:more|others?)\b", re.I)


def _more_dead(
    found: list[Candidate], events: list[Candidate], place: _Place, text: str
) -> list[Candidate]:
    """The sentence's events, except a toll that adds to the event of the sentence before:
    that event's fatalities grow by it instead (and its quote takes both sentences when they
    are on one line); and except a toll read from the kind the sentence before told with a toll
    of its own, which restates or revises that one."""
    prev = place.previous
    if prev is not None and not _ADDS.match(place.sentence.text):
        # A toll with no words of its own after a sentence that gave one is a restatement or
        # an older count: "... has reached 225. The last official count recorded 164 deaths."
        return [
            e
            for e in events
            if not (
                e.carried
                and e.fatalities is not None
                and any(
                    k.record == "event"
                    and k.what == e.what
                    and k.start == prev.start
                    and k.fatalities is not None
                    for k in found[-6:]
                )
            )
        ]
    if prev is None:
        return events
    kept = []
    for e in events:
        target = next(
            (
                n
                for n in range(len(found) - 1, -1, -1)
                if found[n].record == "event"
                and found[n].what == e.what
                and found[n].start == prev.start
                and found[n].fatalities is not None
            ),
            None,
        )
        if not (e.carried and e.fatalities is not None and target is not None):
            kept.append(e)
            continue
        k = found[target]
        start, quote = k.start, k.quote
        if place.same_line:
            quote = text[k.start : place.sentence.end]
        found[target] = replace(
            k,
            fatalities=k.fatalities + e.fatalities,
            quote=quote,
            start=start,
            end=place.sentence.end if place.same_line else k.end,
            note=k.note + f"; {e.fatalities:g} more dead in the sentence after",
        )
    return kept


def _placed(
    place: _Place,
    start: int,
    end: int,
    fixed: str | None = None,
    others: tuple[tuple[int, int], ...] = (),
) -> tuple[str, str]:
    """(country, how it was found) for what lies at ``start:end`` of the sentence."""
    if fixed:
        return fixed, "stated"
    code = _country_at(place.mentions, place.sentence.text, start, end, others)
    if code:
        return code, "stated"
    if place.previous_country:
        return place.previous_country, "previous sentence"
    return place.country, "report"


# A figure that is a difference or a change, not a level: "$84.5 million more than", "a 30 per
# cent decrease", "grew by 23 percent", "an average of $100".
_CHANGE_AFTER = re.compile(
    r"^\s*(?:\(\w+\)\s*)?(?:(?:more|less|fewer|higher|lower)\s+than|times\b"
    r"|(?:more|fewer|less)\s+(?:[\w-]+\s+){1,5}than\b"
    r"|(?:increase|decrease|rise|drop|decline|growth|jump|fall|reduction)\b"
    r"|(?:year-on-year|y/y|on\s+the\s+year)\b|(?:short|shy)\s+of\b"
    r"|(?:per|each)\s+(?:day|week|month|person|capita|head|migrant|worker|household)\b"
    r"|an?\s+(?:day|head|person)\b|daily\b)",
    re.I,
)
_CHANGE_BEFORE = re.compile(
    # "by" of a change ("grew by 23 percent"), not of an agent ("sent by some 2.8 million
    # emigrants").
    r"(?<!\bsent\s)(?<!\breceived\s)(?<!\bhosted\s)(?<!\bemployed\s)(?<!\bowned\s)"
    r"(?<!\bmade\s)(?<!\bused\s)(?<!\bheld\s)\bby\s+$|"
    r"\b(?:average\s+of|an\s+average|averag(?:e|ing))\s+$|\b(?:increase|decrease|rise|drop"
    r"|decline|growth|jump|fall|surplus|deficit|shortfall|gain|loss|difference)\s+of\s+$",
    re.I,
)


# People helped rather than counted: "IOM has assisted 10,641 of them".
_PART_BEFORE = re.compile(r"\b(?:assist(?:ed|ance\s+to)?|helped|support\s+to)\s+$", re.I)
# A list that goes on after a figure: "Ukraine (8 million), Syria (7.6 million), Ethiopia (".
# Names may have small words inside: "the Democratic Republic of the Congo (5.2 million)".
_LIST_GAP = re.compile(
    r"^\s*\)?[,;]?\s*(?:and\s+)?(?:the\s+)?[A-Z][\w’'.-]*\s*"
    r"(?:(?:[A-Z][\w’'.-]*|of|the|and)\s*){0,6}\(\s*$"
    # ... and a series by year: "0.5 million people went abroad in the year 2017, 946,571 in
    # the year 2015 and 839,353 in the year 2016".
    r"|^\s*(?:in|for|during)\s+(?:the\s+)?(?:(?:fiscal|financial|calendar)\s+)?(?:year\s+)?"
    r"(?:19|20)\d\d(?:\s*[-/–]\s*\d{2,4})?\s*(?:,\s*(?:and\s+)?|\s+and\s+)$"
)


# A sentence dated by the one before: "During that single month, about 373,000 Afghans were
# expelled", "in the same year".
_SAME_TIME = re.compile(
    r"\b(?:that|the\s+same)\s+(?:single\s+|very\s+)?(?:month|year|quarter|period|week|day)\b", re.I
)
_GOES_ON = re.compile(
    # An opening phrase of time may come first: "In the same period of the previous fiscal, the
    # figure was $5.88 billion".
    r"^\W*(?:(?:In|During|For|Over)\s+[^,.;]{3,60},\s*(?i:the\s+(?:total|figure|sum|amount"
    r"|number)|this|that|it)\b|"
    r"A\s+total|The\s+total|In\s+all|Of\s+(?:this|these|those|them|the)|It|This|That"
    r"|These|They|Their|Its|The\s+(?:consignment|batch|haul|drugs|figure|sum|amount|number|same)"
    r"|The\s+(?:US\s?|U\.S\.\s?)?\$"
    r"|According\s+to\s+(?:him|her|them)|Also|In\s+addition|Additionally)\b"
)


# A figure of a year still to come is a forecast or a target: "$15 billion by 2026", "500,000
# workers abroad next year".
_AHEAD = re.compile(
    r"^[\s,]*(?:(?:by|in|for|until)\s+(?:the\s+end\s+of\s+)?(?P<year>20\d\d)\b"
    r"|(?:by|in|for)?\s*(?:the\s+)?(?:next|coming)\s+year\b)",
    re.I,
)


_PRESENT = ("today", "now", "nowadays", "currently", "at present", "these days")


def _ahead(sentence: str, figure: Figure, published: date) -> bool:
    """Whether a year after publication is attached to the figure (within three words)."""
    rest = sentence[figure.end :]
    words = re.match(r"^(?:\W*[\w-]+){0,3}", rest)
    for start in [0, *(m.end() for m in re.finditer(r"\s", rest[: words.end() if words else 0]))]:
        m = _AHEAD.match(rest[start:])
        if m:
            return not m.group("year") or int(m.group("year")) > published.year
    return False


def _is_change(sentence: str, figure: Figure) -> bool:
    return bool(
        _CHANGE_AFTER.match(sentence[figure.end :])
        or _CHANGE_BEFORE.search(sentence[: figure.start])
        or _PART_BEFORE.search(sentence[: figure.start])
    )


def _observations(
    place: _Place, figures: list[Figure], vocabulary: Vocabulary, model: QuantityModel | None
) -> tuple[list[Candidate], set[int]]:
    """The sentence's observations, and where its accepted figures start (they are statistics,
    not an event's death toll)."""
    found = []
    text = place.sentence.text
    paragraph = place.paragraph.text
    prev = place.previous
    joined = ""
    # The sentence before carries its subject on the same line, or across a line break when
    # this one opens by pointing back to it ("A total included ...", "Of this amount, ...").
    if prev is not None and place.goes_on:
        gap = (
            " "
            if not place.same_line
            else paragraph[
                prev.start - place.paragraph.start : place.sentence.start - place.paragraph.start
            ][len(prev.text) :]
        )
        joined = prev.text + gap
    accepted: dict[int, list[tuple[str, bool]]] = {}
    anywhere = vocabulary.any_country()
    for figure in figures:
        if figure.measure in ("points",) or _is_change(text, figure):
            continue
        if _ahead(text, figure, place.published):
            continue
        point = next(v for v in (figure.value, figure.low, figure.high) if v is not None)
        span = Span(text, paragraph, figure.start, figure.end)
        for rule in vocabulary.quantities:
            carried = False
            if not rule.accepts(figure.measure, point, span, anywhere):
                if not joined:
                    continue
                # The subject may be in the sentence before: read the two together.
                both = Span(
                    joined + text,
                    paragraph,
                    figure.start + len(joined),
                    figure.end + len(joined),
                )
                if not rule.accepts(figure.measure, point, both, anywhere):
                    continue
                carried = True
            accepted.setdefault(figure.start, []).append((rule.quantity, carried))
    # A figure that only the sentence before gives a subject, and that it gives several ("13.4
    # tons of opium, 1.3 tons of hashish, 717 kg of heroin ... [.] compared to last year
    # (10,215 kg)"), is none of them for sure: it is left to the reviewer.
    for start, quantities in list(accepted.items()):
        if len(quantities) > 1 and all(carried for _, carried in quantities):
            del accepted[start]
    # A list goes on with the quantity of its first item: "Ukraine (8 million), Syria (7.6
    # million), Ethiopia (5.5 million)".
    ordered = sorted(figures, key=lambda f: f.start)
    for before, after in itertools.pairwise(ordered):
        if (
            before.start in accepted
            and after.start not in accepted
            and after.measure == before.measure
            and _LIST_GAP.match(text[before.end : after.start])
        ):
            accepted[after.start] = list(accepted[before.start])
    # A breakdown in brackets right after a count is its parts: "45 people (33 men and 12
    # women) were arrested" is 45 arrests.
    for whole in ordered:
        if whole.start not in accepted:
            continue
        opened = _BREAKDOWN.match(text[whole.end :])
        if opened is None:
            continue
        inside = (whole.end + opened.start("inside"), whole.end + opened.end("inside"))
        wholes = {q for q, _ in accepted[whole.start]}
        for part in ordered:
            if part.start in accepted and inside[0] <= part.start and part.end <= inside[1]:
                kept = [(q, c) for q, c in accepted[part.start] if q not in wholes]
                if kept:
                    accepted[part.start] = kept
                else:
                    del accepted[part.start]
    rules = {r.quantity: r for r in vocabulary.quantities}
    learned, proposed = (
        _judged(model, place, figures, accepted, joined, rules, vocabulary)
        if model
        else ({}, set())
    )
    chosen = {f.start: f for f in figures if f.start in accepted}
    by_order = _respectively(place.mentions, list(chosen.values()), text)
    for start, quantities in accepted.items():
        figure = chosen[start]
        times = _outside_asides(place.times, text, figure.start, figure.end)
        when_ref = _figure_time(times, figure.start, figure.end, text, figures)
        carried_any = any(carried for _, carried in quantities)
        points_back = (place.news and bool(_GOES_ON.match(text))) or bool(_SAME_TIME.search(text))
        if when_ref is None and place.previous_time is not None and (carried_any or points_back):
            # A sentence that goes on from the one before goes on in its time too; in a news
            # item, so does one that points back to it: "In 2015, ... were destroyed. [new
            # line] The total weight of seized illicit drugs was 335.855 kg".
            when_ref = place.previous_time
        stated_here = figure.measure in ("money", "percent", "share")
        period, how, dated = _dating(
            when_ref, place.cited, place.published, news=place.news and not stated_here
        )
        spans = tuple((f.start, f.end) for f in figures if f.start != start)
        country, placed = _placed(place, figure.start, figure.end, by_order.get(start), spans)
        shared = [] if by_order or placed != "stated" else _coordinated(place, figure, country)
        for quantity, carried in quantities:
            rule = rules[quantity]
            q_start, q_end, quote = place.sentence.start, place.sentence.end, text
            when, how_dated = period, how
            # "today" in a sentence of annual statistics is the latest year's figure, not the
            # day's: "today, remittances are ... 45% of its GDP".
            present = when_ref is not None and when_ref.text.lower() in _PRESENT
            if (dated == "fallback" or present) and rule.undated == "previous year":
                when = str(place.published.year - 1)
                how_dated = "no date in the sentence: the year before publication (annual figures)"
            where, how_placed = (
                (place.country, "report") if rule.file_under == "report" else (country, placed)
            )
            if rule.file_under == "from" and (sent_from := _sent_from(place, figure)):
                where, how_placed = sent_from, "stated"
            note = f"extracted: {_describe(figure)}; period from {how_dated}; country {where}"
            note += f" ({how_placed})" if how_placed != "stated" else ""
            p = learned.get(start, {}).get(quantity)
            if start in proposed:
                note += f"; no rule took it: the context model reads it so (p={p:.2f})"
            if carried:
                note += "; the quantity is named in the sentence before"
                if place.same_line and prev is not None:
                    q_start, quote = prev.start, joined + text
            found.append(
                Candidate(
                    record="observation",
                    country=where,
                    what=rule.quantity,
                    when=when,
                    value=figure.value,
                    low=figure.low,
                    high=figure.high,
                    unit=rule.unit if figure.measure == "count" else figure.unit,
                    fatalities=None,
                    description="",
                    quote=quote,
                    start=q_start,
                    end=q_end,
                    note=note,
                    dated=dated,
                    placed=how_placed,
                    carried=carried,
                    learned=p,
                    proposed=start in proposed,
                )
            )
            # One figure told of several countries: "more than a quarter of GDP for Haiti and
            # Liberia", "Guyana, Haiti and Honduras are all close to 25%".
            for other in shared if where == country else []:
                found.append(
                    replace(
                        found[-1],
                        country=other,
                        note=note.replace(f"country {where}", f"country {other}", 1),
                    )
                )
    return [replace(c, confidence=confidence(c)) for c in found], set(accepted)


# A count's noun (a few words at most), then a bracket holding its parts.
_BREAKDOWN = re.compile(r"^\s*(?:[\w-]+\s+){0,3}?\(\s*(?P<inside>[^()]*?\d[^()]*)\)")


# Countries named together: "Haiti and Liberia", "Moldova, Lesotho and Haiti", "Vanuatu and the
# Marshall Islands".
_AND_GAP = re.compile(r"^\s*(?:,\s*(?:and\s+)?|and\s+|&\s+)(?:the\s+)?$")


def _coordinated(place: _Place, figure: Figure, code: str) -> list[str]:
    """The other countries named together with the figure's own, close to the figure (within
    a few words, no other figure between), in a sentence that pairs nothing "respectively"."""
    text = place.sentence.text
    strong = sorted((m for m in place.mentions if not m.weak), key=lambda m: m.start)
    chains: list[list[Mention]] = []
    for m in strong:
        if chains and _AND_GAP.match(text[chains[-1][-1].end : m.start]):
            chains[-1].append(m)
        else:
            chains.append([m])
    for chain in chains:
        if len(chain) < 2 or code not in {m.code for m in chain}:
            continue
        first, last = chain[0], chain[-1]
        gap = (
            text[last.end : figure.start]
            if last.end <= figure.start
            else text[figure.end : first.start]
        )
        if (
            len(gap) > 45
            or re.search(r"\d", gap)
            or not (last.end <= figure.start or figure.end <= first.start)
        ):
            continue
        return [c for c in dict.fromkeys(m.code for m in chain) if c != code]
    return []


def _hints(
    rules: Iterable[QuantityRule], figure: Figure, span: Span, anywhere: re.Pattern | None
) -> tuple[str, ...]:
    """What each rule of the figure's measure sees, for the context model: how many of its
    required clauses hold, and whether one of its exclusions does."""
    hints = []
    for rule in rules:
        if figure.measure not in rule.measures:
            continue
        held = sum(c.holds(span, anywhere) for c in rule.require)
        if rule.require and held == len(rule.require):
            hints.append(f"{rule.quantity}:all")
        elif held:
            hints.append(f"{rule.quantity}:some")
        if any(c.holds(span, anywhere) for c in rule.exclude):
            hints.append(f"{rule.quantity}:excluded")
    return tuple(hints)


def _judged(
    model: QuantityModel,
    place: _Place,
    figures: list[Figure],
    accepted: dict[int, list[tuple[str, bool]]],
    joined: str,
    rules: dict[str, QuantityRule],
    vocabulary: Vocabulary,
) -> tuple[dict[int, dict[str, float]], set[int]]:
    """Let the context model veto the rules' unlikely quantities and propose one for a figure
    no rule took (changing ``accepted``): its probabilities for each figure, and where it
    proposed."""
    probabilities: dict[int, dict[str, float]] = {}
    proposed: set[int] = set()
    text = place.sentence.text
    anywhere = vocabulary.any_country()
    for figure in figures:
        if figure.measure == "points" or _is_change(text, figure):
            continue
        span = Span(text, place.paragraph.text, figure.start, figure.end)
        context = FigureContext(
            text, figure, joined, _hints(rules.values(), figure, span, anywhere)
        )
        p = model.probabilities(context)
        # Only quantities of the figure's measure are open to it: a mass is no remittance.
        p = {q: v for q, v in p.items() if q == NONE or figure.measure in rules[q].measures}
        total = sum(p.values())
        if not total:
            continue
        p = {q: v / total for q, v in p.items()}
        probabilities[figure.start] = p
        if figure.start in accepted:
            kept = [(q, c) for q, c in accepted[figure.start] if p.get(q, 1.0) >= model.veto]
            if kept:
                accepted[figure.start] = kept
            else:
                del accepted[figure.start]
            continue
        best = max(p, key=lambda q: p[q])
        rule = rules.get(best)
        if best == NONE or rule is None or p[best] < model.propose:
            continue
        point = next(v for v in (figure.value, figure.low, figure.high) if v is not None)
        # The rule's own limits still hold: its measures and its plausible range.
        if figure.measure not in rule.measures:
            continue
        if (rule.minimum is not None and point < rule.minimum) or (
            rule.maximum is not None and point > rule.maximum
        ):
            continue
        accepted[figure.start] = [(best, False)]
        proposed.add(figure.start)
    return probabilities, proposed


# A toll over a span of time, or a war's, is a statistic, not one event's toll: "killed over 800
# people since the demonstrations began", "3,600 deaths this year", "the war has killed"; unless
# the sentence tells of one event ("an attack last year killed 20").
_CUMULATIVE = re.compile(
    # "have killed over 800 people since ..." (not "the worst violence since March")
    r"\b(?:has|have)\s+(?:[\w-]+\s+){0,3}(?:killed|died|claimed|lost)\b[^.;]*\bsince\b"
    r"|\bsince\b[^.;]*\b(?:has|have)\s+(?:[\w-]+\s+){0,3}(?:killed|died|claimed|lost)\b"
    r"|\b(?:this|last|past)\s+year\b|\bso\s+far\b|\bthroughout\b"
    # "In 2024 alone, at least 782 people were killed in violence."
    r"|\b(?:in|during)\s+(?:the\s+)?(?:(?:first|second|third|last)\s+\w+\s+of\s+)?(?:19|20)\d\d\s+alone\b"
    r"|\b(?:over|in|during|for)\s+the\s+(?:past|last)\s+(?:[\w-]+\s+)?(?:years?|months|decades?)\b"
    r"|\b(?:war|insurgency|conflict|violence)\b[^.;]{0,40}\b(?:has|have)\s+(?:\w+\s+)?"
    r"(?:killed|claimed|left)\b",
    re.I,
)
_ONE_EVENT = re.compile(
    r"\b(?:an?|the|this|that|one|single)\s+(?:[\w-]+\s+){0,3}(?:attack|bombing|blast|explosion"
    r"|ambush|raid|massacre|riot|clash|shooting|assault|incident|strike|battle)\b"
    # ... or names its day: "killed 30 people on Monday"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today)\b",
    re.I,
)


# The date a statement was made: "officials said on Monday", "told parliament on March 14".
_SAID_ON = re.compile(
    r"\b(?:said|says|told|reported|stated|added)(?:\s+(?!that\b)[\w-]+){0,4}?\s+(?:on|at|in)\s+$",
    re.I,
)

_SINCE = re.compile(r"\bsince\b[^,;.()]*$", re.I)

# Words pointing back to an event already told: "The attack", "this bombing", "the blast".
_DID = re.compile(r"\b\w+ed\b|\bblew\b", re.I)
_BACK = re.compile(r"\b(?:the|this|that|these|those|such)\s+(?:[\w-]+\s+){0,2}$", re.I)


def _events(
    place: _Place,
    figures: list[Figure],
    vocabulary: Vocabulary,
    recent: list[EventRule],
    statistics: set[int] = frozenset(),
) -> tuple[list[Candidate], list[EventRule]]:
    """The events a sentence tells, and the violent kinds among them (for the sentences after).

    A count a quantity rule took ("40 Kyrgyz nationals had died fighting ... in Syria") is a
    statistic, not the toll of an event."""
    text = place.sentence.text
    deaths = death_toll(text, figures, statistics)
    if deaths is not None and _CUMULATIVE.search(text) and not _ONE_EVENT.search(text):
        deaths = None  # "over 3,600 deaths this year due to gang violence" is no one event
    fired: list[tuple[EventRule, re.Match | None]] = []
    for rule in vocabulary.events:
        matches = rule.fire(text, place.paragraph.text, vocabulary.any_country())
        fired += [(rule, m) for m in matches]
    violent = [(r, m) for r, m in fired if r.toll]
    others = [(r, m) for r, m in fired if not r.toll]
    inherited = False
    # Where each violent kind is first told: its trigger, else its toll words. The kind told
    # first wins ("Jihadists attacked a town ... and ensuing clashes" is an attack); at the same
    # place the more specific one ("suicide attack" is a suicide bombing).
    where: dict[str, tuple[int, EventRule]] = {}
    for r, m in violent:
        where[r.kind] = (min(m.start(), where.get(r.kind, (m.start(), r))[0]), r)
    for r in vocabulary.events:
        at = r.toll_at(text) if r.toll else None
        if at is not None and (r.kind not in where or at < where[r.kind][0]):
            where[r.kind] = (at, r)
    if not where and not recent:
        # Only who did it is named: "killed by suspected jihadists" (after sentences telling of
        # a kind, the toll is that kind's: "Fighting lasted until the evening. ... the
        # authorities counted eight dead on the part of the militants").
        for r in vocabulary.events:
            at = r.toll_at(text, actors=True) if r.toll else None
            if at is not None and (r.kind not in where or at < where[r.kind][0]):
                where[r.kind] = (at, r)
    # Words of two kinds that overlap tell one event, of the more specific kind: "a suicide
    # bombing attack" is a suicide bombing, not also an attack.
    violent = [
        (r, m)
        for r, m in violent
        if not any(
            o.priority > r.priority and n.start() < m.end() and m.start() < n.end()
            for o, n in violent
        )
    ]
    best = min(where.values(), key=lambda item: (item[0], -item[1].priority))[1] if where else None
    if deaths is not None and best is not None and recent:
        # The generic word pointing back ("The attack resulted in the death of 52") tells the
        # most specific event the sentence before told ("a suicide bomber detonated ..."), not
        # another kind ("... battled the jihadists. 30 civilians were killed in the attack").
        priorities = [r.priority for r in vocabulary.events if r.toll]
        told_before = max(recent, key=lambda r: r.priority)
        if (
            best.priority == min(priorities)
            and told_before.priority == max(priorities) > best.priority
            and _BACK.search(text[: where[best.kind][0]])
        ):
            best = told_before
    if deaths is not None:
        if best is not None:
            match = next((m for r, m in violent if r.kind == best.kind), None)
            violent = [(best, match)]
        elif recent:
            violent, inherited = [(max(recent, key=lambda r: r.priority), None)], True
        else:
            violent = []
    found = []
    toll_figure = next(
        (f for f in figures if f.measure == "count" and deaths is not None),
        None,
    )
    if deaths is None and recent:
        # "The suicide attack by ISIS was one of the deadliest ..." after a sentence telling of
        # the bombing: the same event told again, not another.
        # "On Tuesday, the militants attacked ..." is a new act, told by its verb.
        violent = [
            (r, m)
            for r, m in violent
            if m is None or not _BACK.search(text[: m.start()]) or _DID.search(m.group(0))
        ]
    for rule, match in [*others, *violent]:
        if match is not None:
            a_start, a_end, words = match.start(), match.end(), f"'{match.group(0)}'"
        elif toll_figure is not None:
            a_start, a_end, words = toll_figure.start, toll_figure.end, "a death toll"
        else:
            a_start, a_end, words = 0, len(text), "the sentence"
        times = _outside_asides(place.times, text, a_start, a_end)
        if rule.toll:
            # A date something is counted since is not the event's: "the deadliest attack since
            # violence erupted in 2015". When it was said is not when it happened either: "said
            # on March 14 that 230 people died during the unrest in early January" (kept when
            # the sentence has no other date).
            times = [t for t in times if not _SINCE.search(text[max(0, t.start - 80) : t.start])]
            told = [t for t in times if not _SAID_ON.search(text[max(0, t.start - 60) : t.start])]
            times = told or times
        chosen = _nearest_time(times, a_start, a_end)
        if chosen is None and place.earlier is not None:
            # A narrative's undated sentence goes on from the date stated before it: "On 4
            # September 2015, ... were attacked. The government described the event as ..."
            t = place.earlier
            chosen = TimeRef(0, 0, t.text, t.period, "stated earlier in the paragraph")
        if chosen is None and inherited and place.previous_time is not None:
            chosen = place.previous_time
        when, how, dated = _dating(chosen, place.cited, place.published, news=place.news)
        if rule.foreign == "keep" and place.country:
            # A political act against the report's country's opposition is that country's,
            # wherever it happens: "an exiled opposition leader was murdered in Turkey".
            country, placed = place.country, "report"
        else:
            country, placed = _placed(place, a_start, a_end)
        fatalities = deaths
        sides = _sides(place, figures, statistics) if rule.file_under == "dead" else {}
        other_sides: dict[str, float] = {}
        if fatalities is not None and len(sides) == 1:
            country, placed = next(iter(sides)), "stated"
        elif fatalities is not None and len(sides) > 1:
            # The dead of each side, each its country's event: "58 Pakistani soldiers were
            # killed ..., while 9 Afghan fighters lost their lives".
            country, placed = next(iter(sides)), "stated"
            fatalities = sides.pop(country)
            other_sides = sides
        note = f"extracted: {words}; date from {how}; country {country}"
        note += f" ({placed})" if placed != "stated" else ""
        if inherited:
            note += f"; a death toll after sentences telling of a {rule.label.lower()}"
        if fatalities is not None:
            note += f"; fatalities {fatalities:g} from the sentence"
        event = Candidate(
            record="event",
            country=country,
            what=rule.kind,
            when=when,
            value=None,
            low=None,
            high=None,
            unit="",
            fatalities=fatalities,
            description=rule.label,
            quote=text,
            start=place.sentence.start,
            end=place.sentence.end,
            note=note,
            dated=dated,
            placed=placed,
            carried=inherited,
        )
        found.append(event)
        found += [
            replace(
                event,
                country=code,
                fatalities=dead,
                note=f"extracted: {words}; date from {how}; country {code}; "
                f"fatalities {dead:g} of its side from the sentence",
                placed="stated",
                carried=False,
            )
            for code, dead in other_sides.items()
        ]
    told = [rule for rule, _ in violent if not inherited]
    if not told and best is not None:
        told = [best]  # "It is unclear how many people died in the clashes." tells of clashes
    return [replace(c, confidence=confidence(c)) for c in found], told


_NATIONALITY_GAP = re.compile(r"^\s+(?:[\w-]+\s+)?$")


def _sides(place: _Place, figures: list[Figure], statistics: set[int]) -> dict[str, float]:
    """The dead of a sentence by the country each count names right after it ("two Iranian
    border guards", "58 Pakistani soldiers"), counts that are no toll left out."""
    text = place.sentence.text
    sides: dict[str, float] = {}
    for f in figures:
        if f.measure != "count" or f.start in statistics:
            continue
        named = next(
            (
                m
                for m in place.mentions
                if m.start >= f.end and _NATIONALITY_GAP.match(text[f.end : m.start])
            ),
            None,
        )
        if named is None or death_toll(text, [f]) is None:
            continue
        count = float((f.value if f.value is not None else (f.low or f.high)) or 0.0)
        sides[named.code] = sides.get(named.code, 0.0) + count
    return sides


def confidence(c: Candidate) -> float:
    """How sure a candidate is, 0..1, from what the text states outright: a date of its own
    (+0.15), its country named in the sentence (+0.15), the quantity or kind named in the
    sentence itself rather than read from the one before (-0.2 otherwise), the quantity read by
    the context model where no rule fired (-0.15), a death toll stated for an event (+0.1). A
    reviewer should read the low ones first."""
    score = 0.55
    score += 0.15 if c.dated in ("stated", "quoted item") else (0.05 if c.dated else 0.0)
    score += 0.15 if c.placed == "stated" else (0.0 if c.placed == "previous sentence" else -0.05)
    score -= 0.2 if c.carried else 0.0
    score -= 0.15 if c.proposed else 0.0
    if c.record == "event" and c.fatalities is not None:
        score += 0.1
    return round(min(max(score, 0.05), 0.99), 2)


def _deduplicated(found: list[Candidate]) -> list[Candidate]:
    """Drop repeats: the same figure for the same period, the same event on the same date, an
    event without a toll when the same kind is told with one for the same date, and an event
    dated only by the fallback year when the text also gives it a date within it."""
    kept: list[Candidate] = []
    for c in found:
        # The same figure restated for a period within the first one's (a footnote citing the
        # source) is the same observation; the same event on the same date is the same event.
        if not any(
            (k.record, k.what, k.value, k.low, k.high, k.country)
            == (c.record, c.what, c.value, c.low, c.high, c.country)
            and (k.when == c.when or (c.record == "observation" and nested(k.when, c.when)))
            and (k.record == "observation" or k.fatalities == c.fatalities or c.fatalities is None)
            for k in kept
        ):
            kept.append(c)
    # An event told without a toll and then with one ("The bomber blew himself up ... 87
    # people had been killed") is one event: the one with the toll.
    tolled = [(c.what, c.when, c.country) for c in kept if c.fatalities is not None]
    kept = [
        c
        for c in kept
        if not (
            c.record == "event"
            and c.fatalities is None
            and any(
                kind == c.what
                and where == c.country
                and (nested(c.when, when) or nested(when, c.when))
                for kind, when, where in tolled
            )
        )
    ]
    dated = [
        (c.what, c.when, c.country) for c in kept if c.record == "event" and c.dated != "fallback"
    ]
    return [
        c
        for c in kept
        if not (
            c.record == "event"
            and c.dated == "fallback"
            and any(
                kind == c.what and nested(c.when, when) and where == c.country
                for kind, when, where in dated
            )
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
