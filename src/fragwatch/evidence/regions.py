"""Regions as data: the UN M49 region, sub-region and intermediate region of each country.

``data/regions_m49.csv`` is the published table (its ORIGIN note says where from); a region
name matches any of the three levels, case-insensitively ("Central Asia", "Sub-Saharan Africa",
"Africa", "Caribbean").
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from fragwatch.errors import UsageError

LEVELS = ("region", "sub-region", "intermediate-region")
# Not in ISO 3166 (so not in the M49 table), placed as M49 places the country it left.
ADDED = {"XKX": ("Kosovo", {"region": "Europe", "sub-region": "Southern Europe"})}


@cache
def _table() -> dict[str, tuple[str, dict[str, str]]]:
    path = resources.files("fragwatch.evidence") / "data" / "regions_m49.csv"
    with path.open(encoding="utf-8") as f:
        rows = {
            r["alpha-3"]: (r["name"], {level: r[level] for level in LEVELS if r[level]})
            for r in csv.DictReader(f)
        }
    return {**rows, **ADDED}


def country_name(iso3: str) -> str:
    return _table().get(iso3, (iso3, {}))[0]


def region_names() -> list[str]:
    return sorted({name for _, levels in _table().values() for name in levels.values()})


def region_of(iso3: str) -> str:
    """The most specific region of a country ('' if unknown)."""
    levels = _table().get(iso3, ("", {}))[1]
    for level in reversed(LEVELS):
        if level in levels:
            return levels[level]
    return ""


def countries_in(region: str, where: str = "--region") -> list[str]:
    """Every country of a region (any M49 level), or a located error naming the regions."""
    wanted = region.strip().casefold()
    found = sorted(
        iso3
        for iso3, (_, levels) in _table().items()
        if any(name.casefold() == wanted for name in levels.values())
    )
    if not found:
        import difflib

        names = region_names()
        near = difflib.get_close_matches(region, names, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else f"; regions: {', '.join(names)}"
        raise UsageError(f"unknown region '{region}'{hint}", where=where)
    return found
