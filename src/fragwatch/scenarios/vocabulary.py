"""What a scenario may name: the model's indicators and dimensions, the evidence's quantities,
event kinds and countries, and the units that say which values are possible."""

from __future__ import annotations

from dataclasses import dataclass

from fragwatch.evidence import Evidence
from fragwatch.indicators import Indicator
from fragwatch.scoring.spec import ModelSpec


@dataclass(frozen=True)
class Vocabulary:
    indicator_units: dict[str, str]  # the model's indicators (framework order) -> unit
    dimensions: tuple[str, ...]
    quantity_units: dict[str, str | None]  # canonical unit (None when no evidence has one)
    event_kinds: frozenset[str]
    countries: tuple[str, ...]
    sources: frozenset[str]
    # Which quantities each indicator reads (None: not declared, so possibly any).
    reads: dict[str, frozenset[str] | None]

    def indicators_reading(self, quantity: str) -> list[str]:
        return [c for c, read in self.reads.items() if read is None or quantity in read]


def quantities_read(indicator: Indicator) -> frozenset[str] | None:
    """The evidence quantities whose figures an indicator's value depends on.

    Level, change and window indicators declare ``quantity`` (and ``per``, a denominator);
    decayed-event indicators read event rows, and of observations only their dates.
    """
    if indicator.transform == "decayed_events":
        return frozenset()
    quantity = getattr(indicator, "quantity", None)
    if quantity is None:
        return None
    per = getattr(indicator, "per", None)
    return frozenset(q for q in (quantity, per) if q)


def vocabulary(spec: ModelSpec, evidence: Evidence) -> Vocabulary:
    framework = spec.model.framework_
    codes = framework.codes
    obs = evidence.observations
    units = obs.groupby("quantity")["unit"].first().to_dict()
    reads = {code: quantities_read(spec.indicators[code]) for code in codes}
    declared = {q for read in reads.values() if read for q in read}
    kinds = set(evidence.events["kind"].unique())
    for indicator in spec.indicators.values():
        severity = indicator.get_params().get("severity")
        if isinstance(severity, dict):
            kinds |= set(severity)
    return Vocabulary(
        indicator_units={code: spec.indicators[code].unit for code in codes},
        dimensions=tuple(framework.dimension_weights.index),
        quantity_units={**dict.fromkeys(sorted(declared)), **units},
        event_kinds=frozenset(kinds),
        countries=tuple(evidence.countries),
        sources=frozenset(evidence.sources.index),
        reads=reads,
    )
