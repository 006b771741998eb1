"""The indicator registry.

Built-in indicators register through the same decorator an outside package would use; outside
packages are found through the ``fragwatch.indicators`` entry-point group.
"""

from __future__ import annotations

import importlib

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
_loaded: set[str] = set()


def register(cls: type[Indicator]) -> type[Indicator]:
    """Class decorator: make an indicator available by its code."""
    if cls.code in _REGISTRY and _REGISTRY[cls.code] is not cls:
        raise ValueError(f"indicator code '{cls.code}' is registered twice")
    _REGISTRY[cls.code] = cls
    return cls


def _load_builtins() -> None:
    if "builtins" not in _loaded:
        for name in BUILTIN_MODULES:
            importlib.import_module(f"fragwatch.indicators.builtin.{name}")
        _loaded.add("builtins")


def _load_plugins() -> None:
    # Looked up only when needed: importing importlib.metadata alone costs ~40 ms, which
    # every command would otherwise pay even when the model uses built-in indicators only.
    if "plugins" not in _loaded:
        from importlib.metadata import entry_points

        for entry in entry_points(group=ENTRY_POINT_GROUP):
            entry.load()
        _loaded.add("plugins")


def registered() -> dict[str, type[Indicator]]:
    """All indicator classes by code (built-in and from installed packages)."""
    _load_builtins()
    _load_plugins()
    return dict(_REGISTRY)


def get_indicator(code: str) -> type[Indicator]:
    """One indicator class by code; installed packages are searched only if no built-in has it."""
    _load_builtins()
    if code not in _REGISTRY:
        _load_plugins()
    if code not in _REGISTRY:
        raise KeyError(code)
    return _REGISTRY[code]
