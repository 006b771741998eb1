"""Alert rules and their conditions.

A condition answers, for one subject (a country, or a country's indicator), two questions:
does it meet the *fire* condition, and does it meet the *clear* condition? Between the two the
alert keeps its state (hysteresis), so a score hovering at the fire level sends one alert, not
one per run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from fragwatch.scoring.assessment import Assessment

Severity = Literal["critical", "high", "medium", "low"]
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
KINDS = (
    "score_above",
    "score_below",
    "band_change",
    "jump",
    "indicator_above",
    "indicator_below",
    "stale_evidence",
    "job_failure",
)


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    severity: Severity = "high"
    fire: float | None = None  # level at which the condition fires
    clear: float | None = None  # level at which it clears (the other side of fire)
    indicator: str | None = None  # for indicator_above/below
    for_runs: int = 1  # how many consecutive runs the fire condition must hold
    repeat_hours: float = 24.0  # reminder interval while firing
    description: str = ""

    @property
    def country_level(self) -> bool:
        return self.indicator is None and self.kind != "job_failure"

    @property
    def momentary(self) -> bool:
        """An event rather than a condition: each occurrence is news, its end is not."""
        return self.kind in ("band_change", "jump")

    @property
    def about_jobs(self) -> bool:
        return self.kind == "job_failure"


@dataclass(frozen=True)
class Reading:
    """What a rule saw for one subject in one run."""

    subject: str
    fire: bool
    clear: bool
    value: float | None
    explanation: str
    extra: dict = field(default_factory=dict)


def _num(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def job_reading(job: str, error: str | None) -> Reading:
    """What a job_failure rule sees after one run of a job: fires on an error, clears on success."""
    if error is None:
        return Reading(f"job:{job}", False, True, None, f"the {job} job succeeded")
    return Reading(f"job:{job}", True, False, None, f"the {job} job failed: {error}")


def evaluate(rule: Rule, now: Assessment, before: Assessment | None) -> Reading:
    """Evaluate one rule on one country's assessment (and the previous one, for changes)."""
    if rule.about_jobs:
        raise ValueError("job_failure rules read job outcomes (job_reading), not assessments")
    subject = now.country if rule.country_level else f"{now.country}:{rule.indicator}"
    score, prev = _num(now.score), _num(before.score) if before else None
    if rule.kind == "score_above":
        if score is None:
            return Reading(subject, False, False, None, "score withheld: state kept")
        return Reading(
            subject, score >= rule.fire, score < rule.clear, score,
            f"score {score:.1f} (fires at >= {rule.fire:g}, clears below {rule.clear:g})",
        )  # fmt: skip
    if rule.kind == "score_below":
        if score is None:
            return Reading(subject, False, False, None, "score withheld: state kept")
        return Reading(
            subject, score <= rule.fire, score > rule.clear, score,
            f"score {score:.1f} (fires at <= {rule.fire:g}, clears above {rule.clear:g})",
        )  # fmt: skip
    if rule.kind == "band_change":
        changed = before is not None and now.band != before.band
        was = before.band if before else "-"
        return Reading(subject, changed, not changed, score, f"band {was} -> {now.band}")
    if rule.kind == "jump":
        if score is None or prev is None:
            return Reading(subject, False, True, None, "no score to compare")
        delta = score - prev
        return Reading(
            subject, abs(delta) >= rule.fire, abs(delta) < rule.fire, delta,
            f"score moved {delta:+.1f} points since the previous run (fires at {rule.fire:g})",
        )  # fmt: skip
    if rule.kind in ("indicator_above", "indicator_below"):
        row = now.table.set_index("code").loc[rule.indicator]
        value = _num(row["value"])
        if value is None:
            return Reading(subject, False, False, None, f"{rule.indicator}: no fresh evidence")
        above = rule.kind == "indicator_above"
        fire = value >= rule.fire if above else value <= rule.fire
        clear = value < rule.clear if above else value > rule.clear
        return Reading(
            subject, fire, clear, value,
            f"{rule.indicator} {value:g} {row['unit']} (fires at {'>=' if above else '<='}"
            f" {rule.fire:g}, clears {'below' if above else 'above'} {rule.clear:g})",
        )  # fmt: skip
    if rule.kind == "stale_evidence":
        coverage = now.coverage
        stale = now.table.loc[now.table["value"].isna(), "code"].tolist()
        return Reading(
            subject, coverage < rule.fire, coverage >= rule.clear, coverage,
            f"coverage {coverage:.0%} (fires below {rule.fire:.0%}); no fresh evidence: "
            + (", ".join(stale) or "none"),
        )  # fmt: skip
    raise ValueError(f"unknown rule kind '{rule.kind}'")
