"""The indicator registry.

Built-in indicators register through the same decorator an outside package would use; outside
packages are found through the ``fragwatch.indicators`` entry-point group.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from fragwatch.indicators.base import Indicator

BUILTIN_MODULES = (
    "remittances",
    "heroin_seizures",
    "migrant_returns",
    "opposition_repression",
    "border_incidents",
    "elite_defections",
    "is_recruitment",
    "militants_across_border",
    "conflict_deaths",
    "armed_violence",
)
ENTRY_POINT_GROUP = "fragwatch.indicators"

_REGISTRY: dict[str, type[Indicator]] = {}
_loaded = False


def register(cls: type[Indicator]) -> type[Indicator]:
    """Class decorator: make an indicator available by its code."""
    if cls.code in _REGISTRY and _REGISTRY[cls.code] is not cls:
        raise ValueError(f"indicator code '{cls.code}' is registered twice")
    _REGISTRY[cls.code] = cls
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for name in BUILTIN_MODULES:
        importlib.import_module(f"fragwatch.indicators.builtin.{name}")
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        entry.load()
    _loaded = True


def registered() -> dict[str, type[Indicator]]:
    """All indicator classes by code, built-in first, in registration order."""
    _load()
    return dict(_REGISTRY)


def get_indicator(code: str) -> type[Indicator]:
    found = registered()
    if code not in found:
        raise KeyError(code)
    return found[code]
