"""Find the figures a sentence states: value or range, bound or approximation, and unit.

"1.45 tons" and "some 4.8 tonnes" become kilograms, "300,000-400,000" a low and a high,
"more than 40 per cent" a lower bound, "up to 1 000" an upper bound, "about half" an approximate
50 percent, "$2.96 billion" US dollars, "four conscripts" a count. Years, days of a date,
durations, distances, ordinals and reference numbers ("Briefing N°78") are not figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "lakh": 1e5,
    "lakh crore": 1e12,
    "crore": 1e7,
    "mln": 1e6,
    "mn": 1e6,
    "bln": 1e9,
    "bn": 1e9,
    "mld": 1e9,
    "mlrd": 1e9,
    "milliard": 1e9,
    "m": 1e6,
}
# Attached abbreviations ("$2.96bn", "$700k") are read as scales only for money.
MONEY_SCALES = {
    "bn": 1e9,
    "bln": 1e9,
    "b": 1e9,
    "mld": 1e9,
    "mlrd": 1e9,
    "mn": 1e6,
    "mln": 1e6,
    "m": 1e6,
    "k": 1e3,
}
FRACTIONS = {
    "half": 50.0,
    "a half": 50.0,
    "one half": 50.0,
    "a third": 100 / 3,
    "one third": 100 / 3,
    "one-third": 100 / 3,
    "two thirds": 200 / 3,
    "two-thirds": 200 / 3,
    "a quarter": 25.0,
    "one quarter": 25.0,
    "three quarters": 75.0,
    "three-quarters": 75.0,
    "a fifth": 20.0,
    "one fifth": 20.0,
}

_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
# "one" alone is too often a pronoun ("one of them"): it counts only with a scale word.
_WORD = (
    rf"(?:(?:{_TENS})(?:[- ](?:{_UNITS}))?|{_TEENS}|(?:two|three|four|five|six|seven|eight|nine)"
    r"|a\s+dozen|a\s+hundred|(?:one|a)(?=\s+(?:thousand|million|billion)\b)"
    # "one soldier", "one Tajik border guard", "one police officer": a person, not a pronoun.
    r"|one(?=\s+(?:(?-i:[A-Z])[\w-]*\s+|border\s+|police\s+|security\s+){0,2}(?:person|man|woman|child"
    r"|civilian|soldier|policeman|officer|guard|inmate|fighter|militant|protester|demonstrator"
    r"|journalist|worker|student|villager|trooper|serviceman|citizen|resident|national)\b)"
    # "one kilogram and 785 grams"
    r"|one(?=\s+(?:kilograms?|kilos?|kg|tons?|tonnes?|metric\s+tons?)\b))"
)
# Thousands separators of both conventions: "17,000" and "17.000" (a dot is read as a thousands
# separator only where a decimal reading is implausible: two or more groups, or ".000"), and a
# decimal comma before a scale word ("2,5 million").
_DIGITS = (
    r"(?:\d{1,3},\d{1,2}(?=\s?(?:thousand|million|billion|milliard|mln|bln|mld|mlrd|mn|bn)\b)"
    r"|\d{1,2},(?:\d{2},)+\d{3}|\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3}){2,}(?![\d.])|\d{1,3}\.000(?![\d.,])"
    r"|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+)(?:\.\d+)?(?![\d])"
    r"|\.\d+(?![\d])"
)
# A figure glued to the small word before it, a slip of the page: "and198.389 kg of hashish",
# "Nepal at28.5 per cent". Only these words: "G20", "COVID19" or "A320" are no figures.
_GLUED_AFTER = "|".join(
    rf"(?<=\b{w})" for w in ("and", "at", "of", "to", "in", "by", "with", "from", "than", "about")
)
NUMBER = re.compile(
    rf"(?:(?<![\w.,/])(?<![A-Za-z]-)|(?-i:{_GLUED_AFTER}))"
    rf"(?:(?P<digits>{_DIGITS})|(?<![\w.,/])(?<![A-Za-z]-)(?P<word>\b{_WORD}\b))",
    re.I,
)
FRACTION = re.compile(
    r"\b(?P<word>" + "|".join(sorted(map(re.escape, FRACTIONS), key=len, reverse=True)) + r")"
    r"(?=\s+(?:of|its|their)\b)",
    re.I,
)

_SCALE = re.compile(
    r"^(?:(?:\s+|-)(?P<scale>thousand|million|billion|milliard|trillion|lakh\s+crore|lakh|crore)\b"
    r"|\s?(?P<short>mln|bln|mlrd|mld|mn|bn)\b)",
    re.I,
)
# South Asian counts go on in smaller units: "4 lakh 71 thousand 210", "1 crore 20 lakh".
_INDIAN_PART = re.compile(r"^\s+(?:and\s+)?(?P<n>\d{1,2}|\d{3})\s+(?P<scale>lakh|thousand)\b", re.I)
_INDIAN_REST = re.compile(r"^\s+(?:and\s+)?(?P<n>\d{1,3})(?![\d,.])", re.I)
# "2.43m people": an attached "m" after a decimal is millions, not metres.
_DECIMAL_M = re.compile(r"^m\b(?!\s*(?:\d|²|long|high|wide|deep|tall))")
_MONEY_SCALE = re.compile(r"^\s?(?P<scale>bln|mln|mlrd|mld|bn|mn|m|k|b)\b", re.I)
_PERCENT = re.compile(r"^(?:\s?%|\s*per\s?cent\b|\s*percent\b(?!age))", re.I)
_POINTS = re.compile(r"^\s*(?:percentage\s+points?|points?)\b", re.I)
_MASS = re.compile(
    # "340-kilogram heroin", "4463.4 Kgs Hashish".
    r"^(?:(?:\s*|-)(?P<unit>kilograms?|kilos?|kgs?|metric\s+tons?|metric\s+tonnes?|tonnes?|tons?"
    r"|grams?|grammes?|gr|g)\b|\s?(?P<t>t)\b(?![-’'.]))",
    re.I,
)
# The next part of a compound mass: "3 tons 96 kg 611 g", "7 kg 994 grams".
_MASS_PART = re.compile(
    r"^\s*(?:and\s+)?(?P<n>\d{1,3}(?:\.\d+)?)\s*(?P<unit>kilograms?|kilos?|kgs?|grams?|grammes?|gr|g)\b",
    re.I,
)
# Money in other currencies: "Rs 1,220 billion", "Tk 1.35 lakh crore", "338.8 million MMK",
# "500 billion somoni". Found, so that no count is read from it, but not US dollars.
_OTHER_MONEY_BEFORE = re.compile(
    r"(?:\b(?:Rs|INR|NPR|PKR|BDT|Tk|KSh|Ksh|RUB|EUR|GBP|MMK|TJS|KGS|UZS|KZT|AFN|IRR|NGN|CFA)\.?"
    r"|[€£¥₹₽])\s?$"
)
_OTHER_MONEY_AFTER = re.compile(
    r"^\s*(?:rupees?|taka|somoni|soms?|rubles?|roubles?|tenge|sums?|euros?|pounds?|yuan|kyats?"
    r"|MMK|CFA|francs?|shillings?|afghanis?|rials?|tomans?|naira|pesos?|lempiras?|quetzal(?:es)?"
    r"|dirhams?|riyals?|Rs|NPR|INR|PKR|BDT|RUB|EUR|(?-i:KGS)|TJS|UZS|KZT)\b",
    re.I,
)
_MONEY_AFTER = re.compile(r"^\s*(?:US\s+|U\.S\.\s+|American\s+)?(?:dollars?|USD)\b", re.I)
_MONEY_BEFORE = re.compile(r"(?:US\s?\\?\$|U\.S\.\s?\\?\$|\\?\$|USD\s?)\s?$")
_LENGTH = re.compile(
    r"^\s*-?\s*(?:km|kilomet(?:re|er)s?|miles?|met(?:re|er)s?|m|sq\.?\s*km)\b", re.I
)
_DURATION = re.compile(
    r"^\s*-?\s*(?:years?|months?|weeks?|days?|hours?|minutes?|decades?|centuries)\b", re.I
)
_ORDINAL = re.compile(r"^(?:st|nd|rd|th)\b", re.I)
# A number right after these is a reference, not a figure: "Briefing N°78", "Unit 2610".
_REFERENCE_BEFORE = re.compile(
    r"(?:N°s?|No\.|Nos\.|no\.|Unit|Article|Art\.|p\.|pp\.|vol\.|Issue|Resolution|#|§|"
    r"Route|Highway|Regiment|Brigade|Division|Battalion|page|chapter|section|table|figure)"
    r"\s*$",
    re.I,
)
_RANGE_SEP = re.compile(r"^\s*(?:-|–|—|to)\s*(?:over\s+|more\s+than\s+|about\s+|around\s+)?", re.I)
_BETWEEN = re.compile(r"\bbetween\s+$|\brang(?:e|es|ed|ing)\s+from\s+$", re.I)
_FROM = re.compile(r"\bfrom\s+(?:US\s?|U\.S\.\s?|USD\s?)?\\?\$?\s?$", re.I)

LOWER = (
    "more than",
    "over",
    "at least",
    "upwards of",
    "in excess of",
    "exceeding",
    "exceeds",
    "exceeded",
    "no fewer than",
    "no less than",
    "not less than",
    "above",
    "greater than",
    "well over",
    "just over",
    "well above",
    "a minimum of",
    "topped",
    "crossed",
    "surpassed",
    "breached",
    "topped the",
    "crossed the",
    "surpassed the",
    "breached the",
    "passed the",
    "exceeded the",
)
UPPER = (
    "up to",
    "almost",
    "nearly",
    "fewer than",
    "less than",
    "under",
    "below",
    "at most",
    "no more than",
    "not more than",
    "as many as",
    "as much as",
    "just under",
    "a maximum of",
)
APPROXIMATE = (
    "some",
    "about",
    "around",
    "approximately",
    "roughly",
    "an estimated",
    "estimated",
    "circa",
    "close to",
    "an approximate",
    "approx.",
    "c.",
    "~",
)
# A qualifier may open a quotation too: "«At least 14,361 citizens were evacuated", "“Over 300".
_QUALIFIER = re.compile(
    r"(?:^|(?<=[\s(\[,;:–—\-\"“‘«„']))(?P<q>"
    + "|".join(sorted(map(re.escape, LOWER + UPPER + APPROXIMATE), key=len, reverse=True))
    + r")\s*$",
    re.I,
)


@dataclass(frozen=True)
class Figure:
    """A figure stated in a sentence; ``start``/``end`` span it with qualifier and unit."""

    start: int
    end: int
    text: str
    measure: str  # count | percent | share | mass | money | points | other money (not US dollars)
    value: float | None
    low: float | None
    high: float | None
    unit: str  # canonical: "" (count), "percent", "kg", "USD", "percentage points"
    approximate: bool = False
    qualifier: str = ""

    @property
    def bound(self) -> str:
        """'range', 'lower bound', 'upper bound', 'approximate' or ''."""
        if self.low is not None and self.high is not None:
            return "range"
        if self.low is not None:
            return "lower bound"
        if self.high is not None:
            return "upper bound"
        return "approximate" if self.approximate else ""


def _digits_value(text: str) -> float:
    if re.fullmatch(r"\d{1,3},\d{1,2}", text):  # a decimal comma before a scale word
        return float(text.replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", text) and (
        text.count(".") > 1 or text.endswith(".000")
    ):
        text = text.replace(".", "")
    return float(re.sub(r"[,\s\u00a0\u202f]", "", text))


def _word_value(text: str) -> float:
    words = re.split(r"[\s-]+", text.lower())
    # "one", "a million" (the scale is added by the caller), "a dozen", "twenty-five"; but
    # "forty-one" is 41, not 40.
    if words[0] in ("a", "one"):
        words = words[1:]
    return float(sum(WORD_NUMBERS[w] for w in words)) if words else 1.0


@dataclass
class _Raw:
    start: int
    end: int
    value: float
    is_year_like: bool
    scale: float = 1.0


def _scan_number(sentence: str, match: re.Match) -> _Raw:
    start = match.start()
    if match.group("digits"):
        text = match.group("digits")
        value = _digits_value(text)
        year_like = bool(re.fullmatch(r"1[89]\d\d|20\d\d", text))
    else:
        value = _word_value(match.group("word"))
        year_like = False
        if re.search(r"\bhalf\s+$", sentence[: match.start()], re.I) and value == 12:
            value = 6.0  # "half a dozen"
        elif half := re.search(r"\bhalf\s+$", sentence[: match.start()], re.I):
            value = 0.5  # "half a million"
            start = half.start()
    end = match.end()
    factor = 1.0
    scale = _SCALE.match(sentence[end:])
    if scale:
        name = re.sub(r"\s+", " ", (scale.group("scale") or scale.group("short")).lower())
        factor = SCALES[name]
        end += scale.end()
        year_like = False
        if name in ("crore", "lakh"):
            extra, end = _indian_parts(sentence, end, factor)
            if extra:
                return _Raw(start, end, value * factor + extra, False, 1.0)
    elif "." in match.group(0) and _DECIMAL_M.match(sentence[end:]):
        factor, end, year_like = 1e6, end + 1, False
    return _Raw(start, end, value * factor, year_like, factor)


def _indian_parts(sentence: str, end: int, factor: float) -> tuple[float, int]:
    """What the smaller units after "4 lakh" add ("71 thousand 210": 71,210), and the new end."""
    extra = 0.0
    last = factor
    while (m := _INDIAN_PART.match(sentence[end:])) and SCALES[m.group("scale").lower()] < last:
        last = SCALES[m.group("scale").lower()]
        extra += float(m.group("n")) * last
        end += m.end()
    if last == 1e3 and (m := _INDIAN_REST.match(sentence[end:])):
        extra += float(m.group("n"))
        end += m.end()
    return extra, end


def _unit_after(sentence: str, end: int, money: bool) -> tuple[str, str, float, int]:
    """(measure, unit, multiplier, new end) from the words right after a number."""
    rest = sentence[end:]
    if money:
        scale = _MONEY_SCALE.match(rest)
        factor = 1.0
        if scale:
            factor = MONEY_SCALES[scale.group("scale").lower()]
            end += scale.end()
            rest = sentence[end:]
        after = _MONEY_AFTER.match(rest)
        return "money", "USD", factor, end + (after.end() if after else 0)
    if m := _OTHER_MONEY_AFTER.match(rest):
        return "other money", "", 1.0, end + m.end()
    if m := _POINTS.match(rest):
        return "points", "percentage points", 1.0, end + m.end()
    if m := _PERCENT.match(rest):
        return "percent", "percent", 1.0, end + m.end()
    if m := _MASS.match(rest):
        unit = (m.group("unit") or "t").lower()
        return "mass", "kg", _mass_factor(unit), end + m.end()
    if m := _MONEY_AFTER.match(rest):
        return "money", "USD", 1.0, end + m.end()
    if _LENGTH.match(rest):
        return "length", "", 1.0, end
    if _DURATION.match(rest) or re.match(r"^-year-old", rest):
        return "duration", "", 1.0, end
    return "count", "", 1.0, end


def _mass_factor(unit: str) -> float:
    """Kilograms per unit: "kg" 1, "tons" 1000, "grams" 0.001."""
    unit = unit.lower()
    if unit.startswith("k"):
        return 1.0
    if unit.startswith("g"):
        return 0.001
    return 1000.0


def _compound_mass(sentence: str, end: int) -> tuple[float, int]:
    """Kilograms added by the parts after a mass ("96 kg 611 g" after "3 tons"), new end."""
    extra = 0.0
    while m := _MASS_PART.match(sentence[end:]):
        extra += float(m.group("n")) * _mass_factor(m.group("unit"))
        end += m.end()
    return extra, end


def find_figures(sentence: str, skip: list[tuple[int, int]] | None = None) -> list[Figure]:
    """Every figure in ``sentence``, in order; spans in ``skip`` (dates) are not looked at."""
    fractions = _fractions(sentence, skip or [])
    skip = [*(skip or []), *((f.start, f.end) for f in fractions)]
    raws: list[_Raw] = []
    for match in NUMBER.finditer(sentence):
        if any(s <= match.start() < e for s, e in skip):
            continue
        before = sentence[: match.start()]
        if _REFERENCE_BEFORE.search(before) or _ORDINAL.match(sentence[match.end() :]):
            continue
        raws.append(_scan_number(sentence, match))

    figures: list[Figure] = []
    i = 0
    while i < len(raws):
        raw = raws[i]
        start, end = raw.start, raw.end
        low_value = raw.value
        high_value: float | None = None
        before = sentence[:start]
        money = bool(_MONEY_BEFORE.search(before))
        if money:
            start = _MONEY_BEFORE.search(before).start()
        # A range: "300,000-400,000", "20 to 30 per cent", "between 2,000 and 4,000".
        nxt = raws[i + 1] if i + 1 < len(raws) else None
        joined = None
        if nxt is not None and (_BETWEEN.search(before) or not _FROM.search(before)):
            gap = sentence[end : nxt.start]
            gap_money = re.sub(r"\\?\$", "", gap)
            between = _BETWEEN.search(before) and re.fullmatch(
                r"\s+(?:and|to)\s+(?:over\s+|more\s+than\s+)?", gap_money
            )
            if between or (_RANGE_SEP.fullmatch(gap_money) and nxt.value >= raw.value):
                joined = nxt
        if joined is not None:
            high_value, end = joined.value, joined.end
            # "2.5-3 million": the scale after the second number applies to both.
            if raw.scale == 1.0 and joined.scale != 1.0:
                low_value *= joined.scale
        measure, unit, factor, end = _unit_after(sentence, end, money)
        if not money and _OTHER_MONEY_BEFORE.search(sentence[:start]):
            measure, unit, factor = "other money", "", 1.0
        extra = 0.0
        if measure == "mass" and joined is None:
            extra, end = _compound_mass(sentence, end)
        years = raw.is_year_like and (joined is None or joined.is_year_like)
        if measure == "count" and years:
            i += 1
            continue
        if measure in ("length", "duration"):
            i += 2 if joined is not None else 1
            continue
        q = _QUALIFIER.search(sentence[:start])
        qualifier = q.group("q").lower() if q else ""
        if q:
            start = q.start("q")
        low, high, value, approx = _shape(low_value, high_value, qualifier, factor)
        if extra:
            low, high, value = (None if v is None else v + extra for v in (low, high, value))
        figures.append(
            Figure(
                start=start,
                end=end,
                text=sentence[start:end],
                measure=measure,
                value=value,
                low=low,
                high=high,
                unit=unit,
                approximate=approx,
                qualifier=qualifier,
            )
        )
        i += 2 if joined is not None else 1
        while i < len(raws) and raws[i].start < end:  # parts of a compound mass
            i += 1
    return sorted(figures + fractions, key=lambda f: f.start)


def _shape(
    number: float, second: float | None, qualifier: str, factor: float
) -> tuple[float | None, float | None, float | None, bool]:
    """(low, high, value, approximate) from the number(s) and the qualifier before them."""
    if second is not None:
        return number * factor, second * factor, None, qualifier in APPROXIMATE
    scaled = number * factor
    if qualifier in LOWER:
        return scaled, None, None, False
    if qualifier in UPPER:
        return None, scaled, None, False
    return None, None, scaled, qualifier in APPROXIMATE


def _fractions(sentence: str, skip: list[tuple[int, int]]) -> list[Figure]:
    found = []
    for match in FRACTION.finditer(sentence):
        if any(s <= match.start() < e for s, e in skip):
            continue
        start = match.start()
        q = _QUALIFIER.search(sentence[:start])
        qualifier = q.group("q").lower() if q else ""
        if q:
            start = q.start("q")
        share = FRACTIONS[re.sub(r"\s+", " ", match.group("word").lower())]
        low, high, value, _ = _shape(share, None, qualifier, 1.0)
        found.append(
            Figure(
                start=start,
                end=match.end(),
                text=sentence[start : match.end()],
                measure="share",
                value=value,
                low=low,
                high=high,
                unit="percent",
                # A fraction in words is never an exact measurement.
                approximate=True,
                qualifier=qualifier,
            )
        )
    return found
