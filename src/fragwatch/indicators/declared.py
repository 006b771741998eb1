"""Indicators declared as data: a family, the quantity or event kinds it reads, and its meaning.

A new indicator of an existing family needs no Python (DESIGN §5): ``[indicators.CODE]`` in
model.toml with ``family = "level"`` (or change, window_max, rate, decayed_events) and its
declaration is turned into an indicator class here, registered like a coded one, so the
contract test, scenarios and alerts treat both alike.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources

from fragwatch.indicators.base import Indicator
from fragwatch.indicators.families import (
    ChangeIndicator,
    DecayedEventIndicator,
    LevelIndicator,
    WindowMaxIndicator,
)
from fragwatch.indicators.registry import registered, replace_declared

# family -> (base class, whether it reads one quantity, default parameters)
FAMILIES: dict[str, tuple[type[Indicator], bool, dict[str, object]]] = {
    "level": (LevelIndicator, True, {"staleness_days": 730}),
    "rate": (LevelIndicator, True, {"staleness_days": 730}),
    "change": (ChangeIndicator, True, {"staleness_days": 1095}),
    "window_max": (WindowMaxIndicator, True, {"staleness_days": 365}),
    "decayed_events": (
        DecayedEventIndicator,
        False,
        {"half_life_days": 365.0, "fatality_factor": 0.5, "staleness_days": 1095},
    ),
}


@dataclass(frozen=True)
class Declaration:
    """What model.toml says about a declared indicator (checked by settings.model)."""

    code: str
    family: str
    name: str
    dimension: str
    unit: str
    direction: int
    goalposts: tuple[float, float]
    definition: str
    sources: str
    quantity: str | None = None
    per: str | None = None  # denominator quantity (rate family; optional for events)
    scale: float = 1.0
    severity: dict[str, float] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)  # defaults: staleness_days, ...


CATALOGUE = "catalogue.toml"
PARAMETERS = ("staleness_days", "half_life_days", "fatality_factor")


def catalogue() -> list[Declaration]:
    """The built-in indicators, declared in the package's catalogue.toml."""
    text = (resources.files("fragwatch.indicators") / CATALOGUE).read_text(encoding="utf-8")
    out = []
    for code, entry in tomllib.loads(text).items():
        entry = dict(entry)
        params = {k: entry.pop(k) for k in PARAMETERS if k in entry}
        lo, hi = entry.pop("goalposts")
        out.append(Declaration(code=code, goalposts=(float(lo), float(hi)), params=params, **entry))
    return out


def declare(d: Declaration, *, builtin: bool = False) -> type[Indicator]:
    """The indicator class for a declaration, registered under its code (``builtin``: from
    the package's catalogue, which a model file may weigh but not redeclare)."""
    base, _, defaults = FAMILIES[d.family]
    attrs: dict[str, object] = {
        "code": d.code,
        "name": d.name,
        "dimension": d.dimension,
        "unit": d.unit,
        "direction": d.direction,
        "goalposts": d.goalposts,
        "definition": d.definition,
        "sources": d.sources,
        "declared": not builtin,
        "family": d.family,
        "defaults": dict(defaults),
        "__module__": __name__,
    }
    if d.quantity is not None:
        attrs["quantity"] = d.quantity
    if d.per is not None:
        attrs["per"] = d.per
        attrs["scale"] = d.scale
    if d.family == "decayed_events":
        attrs["defaults"] = {**defaults, "severity": dict(d.severity)}
    attrs["defaults"] = {**attrs["defaults"], **d.params}
    cls = type(f"Declared_{d.code}", (base,), attrs)
    return replace_declared(cls)


def builtin(code: str) -> bool:
    """Whether ``code`` is a built-in (catalogue) or installed indicator, not a model file's
    own declaration."""
    cls = registered().get(code)
    return cls is not None and not getattr(cls, "declared", False)
