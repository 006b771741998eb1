"""Unit normalisation: each spelling a source uses maps to one canonical unit and a factor."""

from __future__ import annotations

# spelling (lower case) -> (canonical unit, multiplier to reach it)
UNITS: dict[str, tuple[str, float]] = {
    "percent": ("percent", 1.0),
    "per cent": ("percent", 1.0),
    "%": ("percent", 1.0),
    "kg": ("kg", 1.0),
    "t": ("kg", 1000.0),
    "ton": ("kg", 1000.0),
    "tons": ("kg", 1000.0),
    "tonne": ("kg", 1000.0),
    "tonnes": ("kg", 1000.0),
    "persons": ("persons", 1.0),
    "people": ("persons", 1.0),
    "fighters": ("fighters", 1.0),
    "deaths": ("deaths", 1.0),
    "seats": ("seats", 1.0),
    "per 100,000": ("per 100k", 1.0),
    "per 100k": ("per 100k", 1.0),
    "per million": ("per million", 1.0),
    "usd": ("USD", 1.0),
    "usd million": ("USD", 1e6),
    "usd billion": ("USD", 1e9),
    "count": ("count", 1.0),
    # Scales of governance and democracy data (WGI, V-Dem) and of infant mortality (WDI).
    "index": ("index", 1.0),
    "per 1,000 live births": ("per 1,000 live births", 1.0),
}


def known_units() -> list[str]:
    return sorted(UNITS)
