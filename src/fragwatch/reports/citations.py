"""Quotes and data rows as a reader expects to see them (the stored quote stays verbatim).

A quote extracted from a web page can carry markup ("[announced](#)", "**", a footnote marker
"¹³" or "[12]"): shown to a reader it is cleaned, and says so. A row of an open data set is
stored verbatim as its quote ("tjk,2015,27.3065578092"), which no reader should have to parse:
it is shown as a person would write it, "World Bank WDI, 2025 release: 27.3% of GDP in 2015".
"""

from __future__ import annotations

import math
import re

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # [text](url) -> text
_FOOTNOTE = re.compile(r"\[\^?\d{1,3}\]|(?<=\S)[\u00b9\u00b2\u00b3\u2070-\u2079]+")
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_DATA_ROW = re.compile(r"^[^\s,]+(?:,[^\s,]*){1,}$")  # comma-separated, no spaces: a CSV line
_SPACES = re.compile(r"[ \t]{2,}")


def clean_quote(quote: str) -> tuple[str, bool]:
    """The quote without markup and footnote markers, and whether anything was removed."""
    text = _LINK.sub(r"\1", quote)
    text = _EMPHASIS.sub(r"\2", text)
    text = _FOOTNOTE.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return text, text != quote.strip()


def is_data_row(quote: str) -> bool:
    return bool(_DATA_ROW.match(quote.strip()))


def dataset_name(title: str, publisher: str) -> str:
    """'World Bank WDI' for 'World Development Indicators: ...' by the World Bank; else the
    title before its colon."""
    head = title.split(":", 1)[0].strip()
    words = head.split()
    if len(words) >= 3 and all(w[:1].isupper() and w.isalpha() for w in words):
        acronym = "".join(w[0] for w in words)
        return f"{publisher} {acronym}".strip()
    return head


def figure_text(value: float, unit: str, quantity: str) -> str:
    """'27.3% of GDP', '1,300 fighters'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no value"
    if unit == "percent":
        return f"{value:,.1f}%" + (" of GDP" if quantity.endswith("_gdp") else "")
    digits = 0 if float(value).is_integer() or abs(value) >= 100 else 1
    return f"{value:,.{digits}f} {unit}".rstrip()


def data_row_text(
    *, title: str, publisher: str, release: int | None, value: float, unit: str, quantity: str,
    period: str, citation: str = "",
) -> str:  # fmt: skip
    """'World Bank WDI, 2025 release: 27.3% of GDP in 2015'. ``citation``: how the release
    itself says it is cited (the open-data layer declares one), else built from the title."""
    if not citation:
        name = dataset_name(title, publisher)
        citation = f"{name}, {release} release" if release else name
    return f"{citation}: {figure_text(value, unit, quantity)} in {period}"
