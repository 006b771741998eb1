"""Find the dates and periods a paragraph mentions and resolve them to evidence periods.

Periods use the evidence format: ``2015``, ``2015-H1``, ``2015-Q3``, ``2015-07``, ``2015-07-25``.
A date without a year ("On 24 May", "In July") takes the year last stated earlier in the same
paragraph, else the latest such date on or before the reference date (the publication date, or
the date of the news item a paragraph quotes). "last year" and "this year" count from the
reference date. "since 2011" and dates after the reference date are found but not usable as the
period of a figure: they do not say when the figure held.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

MONTHS = {name: i for i, name in enumerate(calendar.month_name) if name}
SHORT_MONTHS = {
    "Jan": 1,
    "Feb": 2,
    "Mar": 3,
    "Apr": 4,
    "Jun": 6,
    "Jul": 7,
    "Aug": 8,
    "Sep": 9,
    "Sept": 9,
    "Oct": 10,
    "Nov": 11,
    "Dec": 12,
}
_FULL = "|".join(MONTHS)
_ANY_MONTH = rf"(?:{_FULL}|(?:{'|'.join(SHORT_MONTHS)})\.?)"
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>1[89]\d\d|20\d\d)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?!\d)"
_PART = (
    r"(?i:(?P<part>early|mid|late|the\s+end\s+of|end\s+of|the\s+beginning\s+of"
    r"|the\s+start\s+of))"
)
# "May" is also a verb: as a bare month it needs one of these words (or "mid-") before it.
_MAY_AFTER = (
    "(?:"
    + "|".join(
        rf"(?<=\b{w}\s)|(?<=\b{w.capitalize()}\s)"
        for w in ("in", "on", "by", "of", "until", "since", "from", "during", "late", "early")
    )
    + "|(?<=-))"
)
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4}
COUNTS = {
    "three": 3,
    "3": 3,
    "six": 6,
    "6": 6,
    "nine": 9,
    "9": 9,
    "twelve": 12,
    "12": 12,
}
WEEKDAYS = {name: i for i, name in enumerate(calendar.day_name)}
_THIS_YEAR = r"(?P<rel>this|the\s+current(?:\s+calendar)?|last|the\s+previous|the)\s+year"

# (name, pattern); earlier patterns win where spans overlap.
PATTERNS: list[tuple[str, re.Pattern]] = [
    ("iso", re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")),
    (
        # A Nepali (Bikram Sambat) fiscal year, "2077/78", "FY 2078/79", "2050/51 BS": mid-July
        # to mid-July, read as the Gregorian year it begins in (2077/78 is 2020-21).
        "bikram",
        re.compile(r"\b(?P<bs>20[5-9]\d)/(?:\d\d|20[5-9]\d)\b(?:\s*BS\b)?"),
    ),
    (
        # A span of days across months: "from January 1 to June 30, 2018", "1 January to 31
        # March 2024": read as the months it spans.
        "month_span",
        re.compile(
            rf"\b(?:{_DAY}\s+)?(?P<month>{_ANY_MONTH})(?:\s+{_DAY}(?:st|nd|rd|th)?)?,?\s*"
            r"(?:[-–—]|(?<=\s)(?i:to|through|until|till)(?=\s))\s*"
            rf"(?:{_DAY}\s+)?(?P<month2>{_ANY_MONTH})(?:\s+{_DAY}(?:st|nd|rd|th)?)?"
            rf"(?:,?\s+(?i:of\s+|in\s+)?{_YEAR}\b)?"
        ),
    ),
    # "May 15-22", "Aug. 5 to 9, 2023", "12-14 June 2016", "between 5 and 6 August": days of
    # one month, read as the month; the second day is no figure.
    (
        "day_span",
        re.compile(
            rf"\b(?P<month>{_ANY_MONTH})\s+{_DAY}{_ORD}\s*(?:[-–—]|(?<=\s)(?i:to|through)(?=\s))"
            rf"\s*{_DAY}{_ORD}(?![\d])(?:,?\s+{_YEAR}(?!\d))?"
        ),
    ),
    (
        "day_span",
        re.compile(
            rf"(?:\b{_DAY}{_ORD}\s*(?:[-–—]|(?<=\s)(?i:to|through)(?=\s))|(?<=\b(?i:between)\s)"
            rf"{_DAY}{_ORD}\s+(?i:and)(?=\s))\s*{_DAY}{_ORD}\s+(?i:of\s+)?(?P<month>{_ANY_MONTH})"
            rf"(?:,?\s+{_YEAR}(?!\d))?"
        ),
    ),
    (
        "dmy",
        re.compile(
            rf"\b(?P<day>\d{{1,2}}){_ORD}\s+(?i:of\s+)?(?P<month>{_ANY_MONTH})"
            rf"(?:,?\s+{_YEAR}(?!\d))?"
        ),
    ),
    (
        "mdy",
        re.compile(
            rf"\b(?P<month>{_ANY_MONTH})\s+(?P<day>\d{{1,2}}){_ORD}(?![\d])(?:,?\s+{_YEAR}(?!\d))?"
        ),
    ),
    (
        "half",
        re.compile(
            rf"(?i:\b(?:the\s+)?(?P<n>first|second|1st|2nd)\s+half\s+of\s+){_YEAR}\b"
            rf"|\bH(?P<h>[12])\s*{_YEAR.replace('year', 'year2')}\b"
        ),
    ),
    (
        "quarter",
        re.compile(
            rf"(?i:\b(?:the\s+)?(?P<n>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\s+of\s+)"
            rf"{_YEAR}\b|\bQ(?P<q>[1-4])\s*{_YEAR.replace('year', 'year2')}\b"
        ),
    ),
    (
        # "the first quarter", "in the second half" with no year: the latest one begun by the
        # reference date.
        "part_bare",
        re.compile(
            r"(?i:\b(?:the\s+)?(?P<n>first|second|third|fourth|1st|2nd|3rd|4th)\s+"
            r"(?P<part>quarter|half))\b(?!\s+(?i:of)\b|\s+(?:19|20)\d\d)"
        ),
    ),
    (
        # "the past Iranian year", "the current Iranian year", "the Iranian year 1402": the
        # calendar year most of it falls in (an Iranian year begins on 21 March).
        "iranian",
        re.compile(
            r"(?i:\b(?:(?:the\s+)?(?P<rel>past|last|previous|current|this)\s+)?(?:Iranian|Persian)"
            r"\s+(?:calendar\s+|fiscal\s+)?year)(?:\s+(?:of\s+)?(?P<sh>1[34]\d\d))?\b"
        ),
    ),
    (
        # "the first six months of 2024", "in 10 months of 2009", "first five months of the
        # current calendar year": a half or a quarter when it is one, else the year.
        "months_of",
        re.compile(
            r"(?i:\b(?:(?:the\s+)?(?:first|past|last)\s+)?(?P<count>[\w]+)\s+months\s+of\s+)"
            rf"(?:(?i:{_THIS_YEAR})|{_YEAR}\b)"
        ),
    ),
    (
        # "January-June 2024", "January - June", "January-September 2006".
        "month_span",
        re.compile(
            rf"\b(?P<month>{_ANY_MONTH})\s*(?:[-–—]|(?<=\s)(?i:to|through|until|till)(?=\s))\s*"
            rf"(?P<month2>{_ANY_MONTH})"
            rf"(?:,?\s+(?i:of\s+|in\s+)?{_YEAR}\b)?"
        ),
    ),
    # "FY22", "FY 2021", "FY2020-21": a fiscal year, read as the calendar year it ends in, or
    # the first of a range.
    ("fiscal_short", re.compile(r"\bFY\s?(?:(?P<year>1[89]\d\d|20\d\d)|(?P<yy>\d{2}))(?![\d])")),
    # "1Q23" (first quarter of 2023), "4M22" (four months of 2022).
    ("short_quarter", re.compile(r"\b(?P<q>[1-4])Q(?P<yy>\d{2})\b")),
    ("short_months", re.compile(r"\b(?P<m>1[01]|[1-9])M(?P<yy>\d{2})\b")),
    (
        "month_year",
        re.compile(rf"(?:\b{_PART}[- ]?\s*)?\b(?P<month>{_ANY_MONTH}),?\s+(?i:of\s+)?{_YEAR}\b"),
    ),
    (
        "month_relative",
        re.compile(
            rf"(?:\b{_PART}[- ]?\s*)?\b(?P<month>{_FULL})\s+(?i:of\s+)?(?i:(?P<rel>this|last))"
            r"\s+(?i:year)\b"
        ),
    ),
    ("last_month_name", re.compile(rf"\b(?i:last)\s+(?P<month>{_FULL})\b")),
    (
        "relative",
        re.compile(
            r"(?<!\bthe\s)(?<!\bthis\s)\b(?i:(?P<rel>last|this))\s+(?i:(?P<unit>year|month))\b"
        ),
    ),
    (
        # "the last financial year", "the current fiscal year", "the previous fiscal": the
        # calendar year the reference date is in (or the one before), which a fiscal year
        # overlaps ("the current fiscal 2022-23" is read as a year range).
        "fiscal_relative",
        re.compile(
            r"\b(?i:(?:the\s+)?(?P<rel>current|this|last|previous|preceding|past)\s+"
            r"(?:fiscal|financial)(?:\s+year)?)(?![\w-]|\s+(?:\d|years)|\s*\(\s*\d)"
        ),
    ),
    (
        # "over the course of the year", "in the past year", "during the last 12 months": the
        # calendar year most of the twelve months before the reference date fall in.
        "past_year",
        re.compile(
            r"\b(?i:(?:over|during|in|throughout)\s+the\s+(?:course\s+of\s+the\s+)?"
            r"(?:(?:past|last)\s+(?:12|twelve)\s+months|(?:past|last)\s+year|year))\b"
            r"(?!\s+(?:19|20)\d\d|\s+(?:before|after|of|to|ahead|end(?:ing|ed)|through|until|till)\b)"
        ),
    ),
    (
        "year_before",
        re.compile(
            r"\b(?i:a\s+year\s+(?:earlier|before|ago)|the\s+(?:previous|preceding|prior)\s+year"
            r"|(?:in\s+)?the\s+year\s+before)\b(?!\s+(?:19|20)\d\d)"
        ),
    ),
    # Not a name: "after Friday prayers", "the Sunday market".
    (
        "weekday",
        re.compile(
            rf"\b(?P<wd>{'|'.join(calendar.day_name)})\b"
            r"(?!\s+(?i:prayers?|sermons?|service|mass|market|school|editions?|papers?)\b)"
        ),
    ),
    ("day_word", re.compile(r"\b(?i:(?P<word>yesterday|today))\b")),
    ("week", re.compile(r"\b(?i:(?P<rel>last|this|earlier\s+this|past))\s+(?i:week)\b")),
    # "in the past month", "over the last 30 days": the month most of those days fall in.
    ("past_month", re.compile(r"\b(?i:(?:past|last)\s+(?:month|30\s+days|four\s+weeks))\b")),
    (
        "year_range",
        re.compile(
            r"(?<![\d,.])(?P<year>1[89]\d\d|20\d\d)\s*[-–/]\s*(?P<to>\d{4}|\d{2}|present)\b"
        ),
    ),
    (
        "month",
        re.compile(
            rf"(?:\b{_PART}[- ]?\s*)?\b(?P<month>(?:{_FULL.replace('May|', '')})"
            rf"|{_MAY_AFTER}May)\b"
        ),
    ),
    ("year", re.compile(rf"(?<![\d,.$£€\\-])(?<!N°)(?<!No\.\s){_YEAR}(?![\d]|s\b|’s|'s|-)")),
]
_SINCE = re.compile(r"(?i:\b(?:since|from)\s+(?:early|mid|late)?\s*-?\s*)$")
_CITATION = re.compile(r"\((?P<inner>[^()]{3,240}?),\s*(?P<date>[^(),]+(?:,\s*\d{4})?)\)\s*\.?\s*$")


@dataclass(frozen=True)
class TimeRef:
    """A date or period a paragraph mentions; ``start``/``end`` are offsets in the paragraph."""

    start: int
    end: int
    text: str
    period: str
    how: str  # "stated", "year from earlier in the paragraph", "relative to YYYY-MM-DD"
    usable: bool = True  # False for "since 2011" and dates after the reference date
    explicit_year: bool = False

    @property
    def first_day(self) -> date:
        return period_bounds(self.period)[0]


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a period string."""
    parts = period.split("-")
    year = int(parts[0])
    if len(parts) == 1:
        return date(year, 1, 1), date(year, 12, 31)
    if parts[1].startswith("H"):
        half = int(parts[1][1])
        first, last = (half - 1) * 6 + 1, half * 6
    elif parts[1].startswith("Q"):
        quarter = int(parts[1][1])
        first, last = (quarter - 1) * 3 + 1, quarter * 3
    elif len(parts) == 2:
        first = last = int(parts[1])
    else:
        day = date(year, int(parts[1]), int(parts[2]))
        return day, day
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def nested(a: str, b: str) -> bool:
    """Whether one period lies within the other (a year holds its months and days)."""
    a0, a1 = period_bounds(a)
    b0, b1 = period_bounds(b)
    return (a0 <= b0 and b1 <= a1) or (b0 <= a0 and a1 <= b1)


def fallback_period(published: date, news: bool = False) -> str:
    """The period of a figure that names none: the year a quarter before publication.

    A report out in January 2016 that says "remittances are 40 per cent of GDP" describes 2015;
    one out in June 2015 describes 2015. A news item (``news``) tells of its own days: a seizure
    or an attack it does not date is of the month it was published.
    """
    if news:
        return f"{published.year}-{published.month:02d}"
    month = published.month - 3
    return str(published.year - 1 if month < 1 else published.year)


def _month_number(text: str) -> int:
    name = text.rstrip(".")
    return MONTHS.get(name) or SHORT_MONTHS[name]


def _latest(month: int, day: int | None, reference: date, strictly_before: bool) -> date | None:
    """The latest date with this month (and day) on or before (or before) the reference."""
    for year in (reference.year, reference.year - 1):
        try:
            candidate = date(year, month, day or 1)
        except ValueError:
            return None
        month_start = date(year, month, 1)
        if strictly_before and (year, month) >= (reference.year, reference.month):
            continue
        if (candidate if day else month_start) <= reference:
            return candidate
    return None


def find_times(paragraph: str, reference: date) -> list[TimeRef]:
    """Every date or period in ``paragraph``, in order, resolved against ``reference``."""
    claimed: list[tuple[int, int]] = []
    raw: list[tuple[str, re.Match]] = []
    for name, pattern in PATTERNS:
        for match in pattern.finditer(paragraph):
            if any(s < match.end() and match.start() < e for s, e in claimed):
                continue
            claimed.append((match.start(), match.end()))
            raw.append((name, match))
    raw.sort(key=lambda item: item[1].start())

    found: list[TimeRef] = []
    context_year: int | None = None
    for name, match in raw:
        if name == "year_before":
            # "a year earlier", "the previous year": the year before the one last stated in the
            # paragraph, else before the reference date.
            stated = [t for t in found if t.explicit_year]
            year = int(stated[-1].period[:4]) if stated else reference.year
            how = "the year before the one stated" if stated else f"relative to {reference}"
            since = bool(_SINCE.search(paragraph[: match.start()]))
            text = match.group(0)
            found.append(TimeRef(match.start(), match.end(), text, str(year - 1), how, not since))
            continue
        ref = _resolve(name, match, reference, context_year, paragraph)
        if ref is None:
            continue
        # Only a dated month sets the year for later dates without one: in "the 1997
        # Agreement ... on 16 September" the bare year is a name, not the narrative's year.
        if ref.explicit_year and "-" in ref.period:
            context_year = int(ref.period[:4])
        found.append(ref)
    return found


def _resolve(
    name: str, match: re.Match, reference: date, context_year: int | None, paragraph: str
) -> TimeRef | None:
    groups = match.groupdict()
    text = match.group(0)
    # "from January 1 to June 30" is a span with its end, not "since".
    since = name not in ("month_span", "day_span") and bool(
        _SINCE.search(paragraph[: match.start()])
    )
    year = groups.get("year") or groups.get("year2")

    def made(period: str, how: str = "stated", explicit: bool = True) -> TimeRef:
        usable = not since and period_bounds(period)[0] <= reference
        return TimeRef(match.start(), match.end(), text, period, how, usable, explicit)

    if name == "iso":
        try:
            date(int(year), int(groups["month"]), int(groups["day"]))
        except ValueError:
            return None
        return made(text)
    if name == "year_range":
        # "in 2010-2011": the figure or event began in the first year.
        return made(year) if groups["to"] != "present" else None
    if name == "year":
        return made(year)
    if name == "half":
        half = ORDINALS[groups["n"].lower()] if groups.get("n") else int(groups["h"])
        return made(f"{year}-H{half}")
    if name == "quarter":
        quarter = ORDINALS[groups["n"].lower()] if groups.get("n") else int(groups["q"])
        return made(f"{year}-Q{quarter}")
    if name == "months_of":
        n = COUNTS.get(groups["count"].lower())
        rel = (groups.get("rel") or "").lower()
        y = int(year) if year else reference.year - (rel in ("last", "the previous"))
        how = "stated" if year else f"relative to {reference.isoformat()}"
        period = {3: f"{y}-Q1", 6: f"{y}-H1"}.get(n or 0, str(y))
        return made(period, how, explicit=bool(year))
    if name == "month_span":
        m1, m2 = _month_number(groups["month"]), _month_number(groups["month2"])
        y = int(year) if year else reference.year - (m2 > reference.month)
        spans = {(1, 6): "H1", (7, 12): "H2", (1, 3): "Q1", (4, 6): "Q2", (7, 9): "Q3"}
        spans[(10, 12)] = "Q4"
        part = spans.get((m1, m2))
        how = "stated" if year else f"relative to {reference.isoformat()}"
        return made(f"{y}-{part}" if part else str(y), how, explicit=bool(year))
    if name == "fiscal_short":
        return made(year or f"20{groups['yy']}")
    if name == "short_quarter":
        return made(f"20{groups['yy']}-Q{groups['q']}")
    if name == "short_months":
        return made(f"20{groups['yy']}")
    if name == "weekday":
        back = (reference.weekday() - WEEKDAYS[groups["wd"]]) % 7
        day = date.fromordinal(reference.toordinal() - back)
        return made(day.isoformat(), f"relative to {reference.isoformat()}", explicit=False)
    if name == "day_word":
        back = 1 if groups["word"].lower() == "yesterday" else 0
        day = date.fromordinal(reference.toordinal() - back)
        return made(day.isoformat(), f"relative to {reference.isoformat()}", explicit=False)
    if name == "past_month":
        day = date.fromordinal(reference.toordinal() - 15)
        return made(f"{day.year}-{day.month:02d}", f"relative to {reference.isoformat()}", False)
    if name == "week":
        back = 7 if groups["rel"].lower() in ("last", "past") else 0
        day = date.fromordinal(reference.toordinal() - back)
        return made(f"{day.year}-{day.month:02d}", f"relative to {reference.isoformat()}", False)
    if name == "part_bare":
        n = ORDINALS[groups["n"].lower()]
        half = groups["part"].lower() == "half"
        if half and n > 2:
            return None
        first_month = (n - 1) * (6 if half else 3) + 1
        y = reference.year - (first_month > reference.month)
        how = f"relative to {reference.isoformat()}"
        return made(f"{y}-{'H' if half else 'Q'}{n}", how, explicit=False)
    if name == "bikram":
        return made(str(int(groups["bs"]) - 57), "stated")
    if name == "iranian":
        how = f"relative to {reference.isoformat()}"
        if groups.get("sh"):
            return made(str(int(groups["sh"]) + 621), "stated")
        # The Iranian year the reference date is in began on 21 March of this or last year.
        current = reference.year - ((reference.month, reference.day) < (3, 21))
        rel = (groups.get("rel") or "current").lower()
        back = rel in ("past", "last", "previous")
        return made(str(current - back), how, explicit=False)
    if name == "past_year":
        middle = date.fromordinal(reference.toordinal() - 182)
        return made(str(middle.year), f"relative to {reference.isoformat()}", explicit=False)
    if name == "fiscal_relative":
        back = groups["rel"].lower() in ("last", "previous", "preceding", "past")
        how = f"relative to {reference.isoformat()}"
        return made(str(reference.year - back), how, explicit=False)
    if name == "relative":
        unit, rel = groups["unit"].lower(), groups["rel"].lower()
        how = f"relative to {reference.isoformat()}"
        if unit == "year":
            return made(str(reference.year - (rel == "last")), how, explicit=False)
        month = date(reference.year, reference.month, 1)
        if rel == "last":
            month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        return made(f"{month.year}-{month.month:02d}", how, explicit=False)

    month = _month_number(groups["month"])
    day = int(groups["day"]) if groups.get("day") else None
    if name == "month_relative":
        y = reference.year - (groups["rel"].lower() == "last")
        return made(f"{y}-{month:02d}", f"relative to {reference.isoformat()}", explicit=False)
    if year:
        period = f"{year}-{month:02d}" + (f"-{day:02d}" if day else "")
        try:
            period_bounds(period)
        except ValueError:
            return None
        return made(period)
    # No year stated: the year last stated in the paragraph, else the latest such date.
    if context_year is not None and name != "last_month_name":
        try:
            candidate = date(context_year, month, day or 1)
        except ValueError:
            return None
        if candidate <= reference:
            period = f"{context_year}-{month:02d}" + (f"-{day:02d}" if day else "")
            return made(period, "year from earlier in the paragraph", explicit=False)
    # A date up to three weeks ahead is a coming one ("declared September 19 a day of mourning",
    # the day before), not last year's: found, but not usable as a period.
    if name != "last_month_name":
        try:
            ahead = date(reference.year, month, day or 1)
        except ValueError:
            return None
        if reference < ahead and (ahead - reference).days <= 21:
            period = f"{reference.year}-{month:02d}" + (f"-{day:02d}" if day else "")
            return made(period, f"relative to {reference.isoformat()}", explicit=False)
    latest = _latest(month, day, reference, strictly_before=name == "last_month_name")
    if latest is None:
        return None
    period = f"{latest.year}-{month:02d}" + (f"-{day:02d}" if day else "")
    return made(period, f"relative to {reference.isoformat()}", explicit=False)


def citation_date(paragraph: str, published: date) -> TimeRef | None:
    """The date of a news item a paragraph quotes: "... (Rashid, The New York Times, June 11,
    2015)" at its end. Figures in the quoted passage date from then, not from publication."""
    match = _CITATION.search(paragraph)
    if match is None:
        return None
    times = [t for t in find_times(match.group("date"), published) if t.usable]
    if not times or "-" not in times[-1].period:
        return None
    t = times[-1]
    offset = match.start("date")
    return TimeRef(offset + t.start, offset + t.end, t.text, t.period, "date of the quoted item")
