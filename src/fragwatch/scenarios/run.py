"""Run a scenario next to the baseline: scores, bands, contribution deltas, alerts, intervals.

Nothing here writes anything: the evidence, the model and the alert rules come in as values,
and the result goes out as one; the store is never opened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fragwatch.alerts.rules import Rule, evaluate
from fragwatch.evidence import Evidence
from fragwatch.scenarios.engine import prepare
from fragwatch.scenarios.montecarlo import simulate
from fragwatch.scenarios.spec import Scenario
from fragwatch.scenarios.vocabulary import Vocabulary
from fragwatch.scoring.assessment import Assessment, assessment_of, indicator_panel
from fragwatch.scoring.spec import ModelSpec

INTERVAL = (0.05, 0.5, 0.95)  # the 90% interval and the median


@dataclass(frozen=True)
class Draws:
    """The distribution of the score at one cell over the Monte Carlo draws."""

    n: int
    seed: int
    median: float
    low: float  # 5th percentile
    high: float  # 95th percentile
    bands: dict[str, float]  # share of draws in each band (bands with no draw left out)


@dataclass(frozen=True)
class Point:
    """Baseline and scenario at one (country, as_of)."""

    country: str
    as_of: pd.Timestamp
    base_score: float
    base_band: str
    base_coverage: float
    score: float
    band: str
    coverage: float
    draws: Draws | None = None

    @property
    def change(self) -> float:
        return self.score - self.base_score


@dataclass(frozen=True)
class Fired:
    rule: str
    severity: str
    explanation: str


@dataclass(frozen=True)
class Detail:
    """The decomposition and the alerts of one country at the last as-of date."""

    country: str
    as_of: pd.Timestamp
    indicators: pd.DataFrame  # code, name, unit, value/points before and after, delta
    fire_now: list[Fired]  # would fire under the scenario, not in the baseline
    fire_no_longer: list[Fired]  # fire in the baseline, not under the scenario
    fire_both: list[Fired]


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    model_name: str
    model_digest: str
    baseline_digest: str
    points: list[Point]
    details: list[Detail]
    notes: list[str] = field(default_factory=list)
    rules_checked: bool = True

    def to_dict(self) -> dict:
        return {
            "scenario": self.scenario.name,
            "files": list(self.scenario.files),
            "description": self.scenario.description,
            "definition": self.scenario.to_dict(),
            "model": {"name": self.model_name, "digest": self.model_digest},
            "baseline_model_digest": self.baseline_digest,
            "points": [_point_dict(p) for p in self.points],
            "details": [_detail_dict(d) for d in self.details],
            "alert_rules_checked": self.rules_checked,
            "notes": self.notes,
        }


def run_scenario(
    scenario: Scenario,
    evidence: Evidence,
    spec: ModelSpec,
    vocab: Vocabulary,
    rules: list[Rule] | None,
    dates: pd.DatetimeIndex,
    *,
    draws: int = 10_000,
    seed: int = 0,
) -> ScenarioResult:
    """Baseline and scenario over ``dates``; details and alerts at the last date."""
    prepared = prepare(scenario, evidence, spec, vocab, dates)
    countries = prepared.countries
    base_panel = indicator_panel(evidence, spec, countries, prepared.dates, with_evidence=True)
    base_scores = spec.model.score(base_panel.value)
    panel, scores, shocked = prepared.evaluate(prepared.central_values(), with_evidence=True)
    simulation = simulate(prepared, draws, seed) if scenario.random else None
    summary = None
    if simulation is not None:
        summary = (simulation.quantiles(INTERVAL), simulation.band_shares(spec.model.bands))

    points = []
    for cell, key in enumerate(base_scores.score.index):
        extra = None
        if summary is not None:
            q, bands = summary
            extra = Draws(
                n=simulation.draws,
                seed=simulation.seed,
                median=float(q[1, cell]),
                low=float(q[0, cell]),
                high=float(q[2, cell]),
                bands={b: float(s[cell]) for b, s in bands.items() if s[cell] > 0},
            )
        points.append(
            Point(
                country=key[0],
                as_of=pd.Timestamp(key[1]),
                base_score=float(base_scores.score.iloc[cell]),
                base_band=str(base_scores.band.iloc[cell]),
                base_coverage=float(base_scores.coverage.iloc[cell]),
                score=float(scores.score.iloc[cell]),
                band=str(scores.band.iloc[cell]),
                coverage=float(scores.coverage.iloc[cell]),
                draws=extra,
            )
        )
    last = prepared.dates[-1]
    details = []
    for country in countries:
        key = (country, last)
        base = assessment_of(spec, base_panel, base_scores, key, evidence.known_by(last).digest())
        after = assessment_of(prepared.spec, panel, scores, key, shocked.known_by(last).digest())
        details.append(_detail(base, after, rules or []))
    return ScenarioResult(
        scenario=scenario,
        model_name=prepared.spec.name,
        model_digest=prepared.spec.digest,
        baseline_digest=spec.digest,
        points=points,
        details=details,
        notes=prepared.notes,
        rules_checked=rules is not None,
    )


def _detail(base: Assessment, after: Assessment, rules: list[Rule]) -> Detail:
    b = base.table.set_index("code")
    a = after.table.set_index("code").reindex(b.index)
    indicators = pd.DataFrame(
        {
            "code": b.index,
            "name": b["name"].to_numpy(),
            "unit": b["unit"].to_numpy(),
            "value_before": b["value"].to_numpy(float),
            "value_after": a["value"].to_numpy(float),
            "points_before": b["contribution"].to_numpy(float),
            "points_after": a["contribution"].to_numpy(float),
        }
    )
    # An indicator left out on one side contributes nothing there.
    indicators["delta"] = (
        indicators["points_after"].fillna(0.0) - indicators["points_before"].fillna(0.0)
    ).round(9) + 0.0
    checked = [r for r in rules if not r.about_jobs]
    before = {r.name: evaluate(r, base, None) for r in checked}
    now = {r.name: evaluate(r, after, base) for r in checked}
    severity = {r.name: r.severity for r in checked}

    def fired(names: list[str], readings: dict) -> list[Fired]:
        return [Fired(n, severity[n], readings[n].explanation) for n in names]

    names = [r.name for r in checked]
    return Detail(
        country=after.country,
        as_of=after.as_of,
        indicators=indicators,
        fire_now=fired([n for n in names if now[n].fire and not before[n].fire], now),
        fire_no_longer=fired([n for n in names if before[n].fire and not now[n].fire], now),
        fire_both=fired([n for n in names if before[n].fire and now[n].fire], now),
    )


def _num(x: float, digits: int = 4) -> float | None:
    return None if x is None or math.isnan(x) else round(float(x), digits)


def _point_dict(p: Point) -> dict:
    out = {
        "country": p.country,
        "as_of": p.as_of.date().isoformat(),
        "baseline": {
            "score": _num(p.base_score),
            "band": p.base_band,
            "coverage": _num(p.base_coverage),
        },
        "scenario": {"score": _num(p.score), "band": p.band, "coverage": _num(p.coverage)},
        "change": _num(p.change),
    }
    if p.draws is not None:
        d = p.draws
        out["draws"] = {
            "n": d.n,
            "seed": d.seed,
            "median": _num(d.median),
            "interval_90": [_num(d.low), _num(d.high)],
            "bands": {k: _num(v) for k, v in d.bands.items()},
        }
    return out


def _detail_dict(d: Detail) -> dict:
    rows = d.indicators.replace({np.nan: None}).to_dict(orient="records")
    for row in rows:
        for key in ("value_before", "value_after", "points_before", "points_after", "delta"):
            row[key] = None if row[key] is None else round(row[key], 4)

    def alerts(items: list[Fired]) -> list[dict]:
        return [
            {"rule": f.rule, "severity": f.severity, "explanation": f.explanation} for f in items
        ]

    return {
        "country": d.country,
        "as_of": d.as_of.date().isoformat(),
        "indicators": rows,
        "alerts": {
            "fire_under_scenario_only": alerts(d.fire_now),
            "fire_in_baseline_only": alerts(d.fire_no_longer),
            "fire_in_both": alerts(d.fire_both),
        },
    }
