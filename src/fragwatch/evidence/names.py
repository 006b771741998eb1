"""The names evidence may use: quantities (with their possible ranges) and event kinds.

A quantity or event kind nobody reads is a typo until shown otherwise: ``remitances_gdp`` would
load, match no indicator and silently not count. The vocabulary is data, gathered from every
table that names one: ``quantities.csv`` (one row per quantity with its unit and the range of
values it can take, blank for no bound), the WDI series table, the extraction vocabulary (one
file per quantity and per event kind), the open-data event-type table and the indicators'
declared quantities and severity tables. A new quantity is a new row in one of them.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class QuantityRange:
    unit: str  # canonical unit (see units.py) the bounds are in
    low: float
    high: float


def _rows(package: str, name: str) -> list[dict[str, str]]:
    with (resources.files(package) / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def quantity_ranges() -> dict[str, QuantityRange]:
    """Each quantity of ``quantities.csv`` with the range its values can take."""

    def bound(text: str, default: float) -> float:
        return float(text) if text.strip() else default

    return {
        row["quantity"]: QuantityRange(
            row["unit"], bound(row["min"], -math.inf), bound(row["max"], math.inf)
        )
        for row in _rows("fragwatch.evidence", "quantities.csv")
    }


def _extraction_names(kind: str) -> set[str]:
    folder = Path(__file__).with_name("extract") / "vocabulary" / kind
    return {p.stem for p in folder.glob("*.toml")}


# Quantities named after their data set's own code (``wdi_ny_gdp_mktp_kd`` for any World Bank
# series imported with --unit): known by their prefix, not listed one by one.
DERIVED_PREFIXES = ("wdi_",)


# Both lists below are complete only with the indicators of installed packages, found by an
# entry-point scan (importing importlib.metadata and scanning costs 40-90 ms at every start).
# ``plugins=False`` gives the built-in names: a caller checks against those first and asks for
# the complete list only for a name they do not hold (see ``known``).


@cache
def known_quantities(plugins: bool = True) -> frozenset[str]:
    names = set(quantity_ranges())
    names |= {row["quantity"] for row in _rows("fragwatch.evidence.loaders", "wdi_series.csv")}
    names |= _extraction_names("quantities")
    from fragwatch.indicators import registered

    for cls in registered(plugins=plugins).values():
        names |= {getattr(cls, a, None) for a in ("quantity", "per")} - {None}
    return frozenset(n for n in names if isinstance(n, str) and n)


def known(values: pd.Series, names: Callable[..., frozenset[str]]) -> pd.Series:
    """Whether each value is a known name (``names``: known_quantities or known_event_kinds);
    installed packages are scanned only when a value is not a built-in name."""
    found = values.isin(names(plugins=False))
    return found if found.all() else values.isin(names())


@cache
def known_event_kinds(plugins: bool = True) -> frozenset[str]:
    names = {row["kind"] for row in _rows("fragwatch.evidence.loaders", "event_kinds.csv")}
    names |= _extraction_names("events")
    from fragwatch.indicators import registered

    for cls in registered(plugins=plugins).values():
        severity = getattr(cls, "defaults", {}).get("severity")
        if isinstance(severity, dict):
            names |= set(severity)
    return frozenset(names)
