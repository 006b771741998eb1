"""Country names and codes as data sets spell them, to ISO3.

``countries.csv`` lists every ISO 3166-1 country (from pycountry 26.2.16: ISO3, numeric code,
name, official and common names) plus Kosovo (XKX, as the World Bank codes it; ACLED gives it the
numeric code 0) and the spellings UCDP and ACLED use ("Russia (Soviet Union)", "DR Congo
(Zaire)", "Ivory Coast", ...). A name matches ignoring case, accents and a bracketed former name.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache
from importlib import resources


def normalise(name: str) -> str:
    """Lower case, no accents, no bracketed part, '&' as 'and', single spaces."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"\(.*?\)", " ", text.lower()).replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9,.' -]", " ", text).split())


@cache
def _tables() -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    by_name: dict[str, str] = {}
    by_number: dict[str, str] = {}
    codes: set[str] = set()
    source = resources.files("fragwatch.evidence.loaders") / "countries.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            codes.add(row["iso3"])
            by_number[str(int(row["numeric"]))] = row["iso3"]
            for name in row["names"].split("|"):
                # A full name wins over a bracketed variant that normalises the same way.
                by_name.setdefault(normalise(name), row["iso3"])
    return by_name, by_number, frozenset(codes)


def iso3_of_name(name: str) -> str:
    """ISO3 of a country name, '' if unknown."""
    return _tables()[0].get(normalise(name), "")


def iso3_of_number(number: str) -> str:
    """ISO3 of an ISO 3166 numeric code ('762' or '762.0'), '' if unknown."""
    text = number.strip()
    if text.endswith(".0"):
        text = text[:-2]
    # isascii: str.isdigit() also accepts '²' and other digits int() refuses.
    return _tables()[1].get(str(int(text)), "") if text.isascii() and text.isdigit() else ""


def is_iso3(code: str) -> bool:
    return code in _tables()[2]
