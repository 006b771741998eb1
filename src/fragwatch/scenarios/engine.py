"""A scenario made concrete against the baseline: what to shock where, and one exact evaluation.

``Prepared.evaluate`` is the ordinary scoring path for one value per shock: shock the evidence,
compute the indicator panel, shock the indicators, score with the scenario model. Deterministic
runs use it once; the Monte Carlo (``montecarlo.py``) reproduces it for many draws at once, and
the tests and the benchmark check the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fragwatch.evidence import Evidence
from fragwatch.scenarios.apply import (
    cell_mask,
    scenario_spec,
    shock_evidence,
    shock_values,
    with_hypotheticals,
)
from fragwatch.scenarios.limits import possible_range
from fragwatch.scenarios.spec import Scenario, Shock
from fragwatch.scenarios.vocabulary import Vocabulary
from fragwatch.scoring.assessment import IndicatorPanel, indicator_panel
from fragwatch.scoring.model import PanelScores
from fragwatch.scoring.spec import ModelSpec


@dataclass
class Prepared:
    scenario: Scenario
    baseline_evidence: Evidence
    evidence: Evidence  # with the hypothetical rows, before any shock
    baseline_spec: ModelSpec
    spec: ModelSpec  # the scenario model (weights and goalposts overridden, relabelled)
    vocab: Vocabulary
    countries: list[str]
    dates: pd.DatetimeIndex
    codes: list[str]  # indicator columns, in framework order
    cell_country: np.ndarray  # per (country, as_of) cell, in panel order
    cell_date: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def shocks(self) -> tuple[Shock, ...]:
        return self.scenario.shocks

    def of(self, target: str) -> list[int]:
        """Positions (in ``shocks``) of the shocks on indicators or on quantities."""
        return [i for i, s in enumerate(self.shocks) if s.target == target]

    def central_values(self) -> list[float]:
        return [s.central() for s in self.shocks]

    def indicator_plan(self) -> tuple[list[Shock], list[int], list[np.ndarray], list[tuple]]:
        """For each indicator shock: the shock, its column, its cells and its value bounds."""
        chosen = [self.shocks[i] for i in self.of("indicator")]
        columns = [self.codes.index(s.code) for s in chosen]
        masks = [cell_mask(s, self.cell_country, self.cell_date) for s in chosen]
        bounds = [possible_range(self.vocab.indicator_units[s.code]) for s in chosen]
        return chosen, columns, masks, bounds

    def shocked_evidence(self, values: list[float]) -> tuple[Evidence, list[Shock]]:
        """The evidence with every quantity shock applied at its value in ``values``."""
        positions = self.of("quantity")
        return shock_evidence(
            self.evidence,
            [self.shocks[i] for i in positions],
            [values[i] for i in positions],
            self.vocab.quantity_units,
        )

    def evaluate(
        self, values: list[float], *, with_evidence: bool = False
    ) -> tuple[IndicatorPanel, PanelScores, Evidence]:
        """Score the scenario with one value per shock, the ordinary (non-vectorised) way."""
        evidence, _ = self.shocked_evidence(values)
        panel = indicator_panel(
            evidence, self.spec, self.countries, self.dates, with_evidence=with_evidence
        )
        shocks, columns, masks, bounds = self.indicator_plan()
        xs = [values[i] for i in self.of("indicator")]
        arrays = {}
        for name in ("value", "low", "high"):
            array = getattr(panel, name)[self.codes].to_numpy(dtype=float)[None].copy()
            arrays[name] = shock_values(array, shocks, xs, columns, masks, bounds)[0]
        index = panel.value.index
        shocked = IndicatorPanel(
            **{
                name: pd.DataFrame(array, index=index, columns=self.codes)
                for name, array in arrays.items()
            },
            evidence_ids=None if panel.evidence_ids is None else panel.evidence_ids[self.codes],
        )
        return shocked, self.spec.model.score(shocked.value), evidence


def prepare(
    scenario: Scenario,
    evidence: Evidence,
    spec: ModelSpec,
    vocab: Vocabulary,
    dates: pd.DatetimeIndex,
) -> Prepared:
    countries = list(scenario.countries or vocab.countries)
    codes = spec.model.framework_.codes
    prepared = Prepared(
        scenario=scenario,
        baseline_evidence=evidence,
        evidence=with_hypotheticals(evidence, scenario),
        baseline_spec=spec,
        spec=scenario_spec(spec, scenario),
        vocab=vocab,
        countries=countries,
        dates=pd.DatetimeIndex(dates),
        codes=codes,
        cell_country=np.repeat(np.asarray(countries, dtype=object), len(dates)),
        cell_date=np.tile(pd.DatetimeIndex(dates).values, len(countries)),
    )
    _, unmatched = prepared.shocked_evidence(prepared.central_values())
    for shock in unmatched:
        prepared.notes.append(
            f"{shock.origin}: {shock.label()} matched no evidence row (no observation of it in"
            " its window): it changes nothing"
        )
    for shock, _, mask, _ in zip(*prepared.indicator_plan(), strict=True):
        if not mask.any():
            prepared.notes.append(
                f"{shock.origin}: {shock.label()} applies to no as-of date of this run:"
                " it changes nothing"
            )
    return prepared
