"""What a scenario says, as plain validated values, and how several scenarios compose.

A scenario file is read and checked by ``fragwatch.settings.scenarios``; this module only holds
the result. Composition (``compose``) layers scenarios like configuration overrides: see its
docstring for exactly what a later layer replaces and what it adds to.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace

import pandas as pd

from fragwatch.scenarios.distributions import Distribution

OPS = ("set", "add", "multiply")
TARGETS = ("indicator", "quantity")
FREQUENCIES = {"month": "ME", "quarter": "QE", "year": "YE"}


@dataclass(frozen=True)
class AsOf:
    """One as-of date (``every`` None) or a range of month, quarter or year ends."""

    start: pd.Timestamp
    end: pd.Timestamp
    every: str | None = None

    def dates(self) -> pd.DatetimeIndex:
        if self.every is None:
            return pd.DatetimeIndex([self.start])
        return pd.date_range(self.start, self.end, freq=FREQUENCIES[self.every])

    def to_dict(self) -> dict:
        if self.every is None:
            return {"date": _day(self.start)}
        return {"from": _day(self.start), "to": _day(self.end), "every": self.every}


@dataclass(frozen=True)
class Shock:
    """Change an indicator's raw value or an evidence quantity's figures.

    ``start``/``end`` bound the as-of dates (indicator) or the evidence periods (quantity, any
    overlap) the shock applies to; ``country`` None means every country of the scenario.
    """

    target: str  # "indicator" | "quantity"
    code: str
    op: str  # "set" | "add" | "multiply"
    value: float | None = None
    distribution: Distribution | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    country: str | None = None
    origin: str = ""  # "file:line", for messages

    @property
    def random(self) -> bool:
        return self.distribution is not None

    def central(self) -> float:
        """The value a deterministic run uses: the figure, or the distribution's median."""
        return self.distribution.median() if self.distribution else float(self.value)

    def label(self) -> str:
        return f"{self.target} {self.code}"

    def to_dict(self) -> dict:
        out: dict = {self.target: self.code, "op": self.op}
        if self.distribution is not None:
            d = self.distribution
            out["distribution"] = d.kind
            out.update(
                {k: getattr(d, k) for k in ("low", "mode", "high", "mean", "sd")
                 if getattr(d, k) is not None}
            )  # fmt: skip
        else:
            out["value"] = self.value
        if self.start is not None:
            out["from"] = _day(self.start)
        if self.end is not None:
            out["to"] = _day(self.end)
        if self.country is not None:
            out["country"] = self.country
        return out


@dataclass(frozen=True)
class HypotheticalEvent:
    kind: str
    date: pd.Timestamp
    fatalities: float | None = None
    description: str = ""
    country: str | None = None  # None: the scenario's one country

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "date": _day(self.date),
            "fatalities": self.fatalities,
            "description": self.description,
            "country": self.country,
        }


@dataclass(frozen=True)
class HypotheticalObservation:
    quantity: str
    period: str
    unit: str  # as written; converted to the canonical unit when added to the evidence
    value: float | None = None
    low: float | None = None
    high: float | None = None
    published: pd.Timestamp | None = None  # None: the end of the period
    country: str | None = None

    def to_dict(self) -> dict:
        return {
            "quantity": self.quantity,
            "period": self.period,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "unit": self.unit,
            "published": None if self.published is None else _day(self.published),
            "country": self.country,
        }


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    files: tuple[str, ...] = ()
    as_of: AsOf | None = None
    countries: tuple[str, ...] | None = None
    shocks: tuple[Shock, ...] = ()
    events: tuple[HypotheticalEvent, ...] = ()
    observations: tuple[HypotheticalObservation, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    goalposts: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def random(self) -> bool:
        return any(s.random for s in self.shocks)

    def to_dict(self) -> dict:
        """Everything that changes the result, in a stable order (for JSON and the digest)."""
        return {
            "name": self.name,
            "as_of": None if self.as_of is None else self.as_of.to_dict(),
            "countries": None if self.countries is None else list(self.countries),
            "shocks": [s.to_dict() for s in self.shocks],
            "events": [e.to_dict() for e in self.events],
            "observations": [o.to_dict() for o in self.observations],
            "weights": dict(sorted(self.weights.items())),
            "goalposts": {k: list(v) for k, v in sorted(self.goalposts.items())},
        }

    def digest(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def compose(layers: list[Scenario]) -> Scenario:
    """Apply scenarios in order, later ones winning, like layered configuration overrides.

    - ``as_of`` and ``countries``: the last layer that sets them wins.
    - shocks: a layer's shocks on an indicator (or quantity) replace all shocks earlier layers
      made on that same indicator (or quantity); shocks on other targets are kept, earlier
      layers' first. Within one layer, several shocks on one target all apply, in file order.
    - ``[weights]`` and ``[goalposts]``: merged key by key; a later layer's entry wins.
    - hypothetical events and observations: added up (a later layer adds to earlier ones).
    - the name joins the layers' names with " + "; the description is each layer's in turn.
    """
    if len(layers) == 1:
        return layers[0]
    out = layers[0]
    for layer in layers[1:]:
        replaced = {(s.target, s.code) for s in layer.shocks}
        kept = tuple(s for s in out.shocks if (s.target, s.code) not in replaced)
        out = replace(
            out,
            name=f"{out.name} + {layer.name}",
            description=f"{out.description}\n\n{layer.description}",
            files=out.files + layer.files,
            as_of=layer.as_of or out.as_of,
            countries=layer.countries or out.countries,
            shocks=kept + layer.shocks,
            events=out.events + layer.events,
            observations=out.observations + layer.observations,
            weights={**out.weights, **layer.weights},
            goalposts={**out.goalposts, **layer.goalposts},
        )
    return out


def _day(when: pd.Timestamp) -> str:
    return when.date().isoformat()
