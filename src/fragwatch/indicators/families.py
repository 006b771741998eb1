"""The four indicator families; each concrete indicator module picks one and declares itself."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from fragwatch.evidence import Evidence
from fragwatch.indicators import transforms
from fragwatch.indicators.base import Indicator


def _quantity(evidence: Evidence, quantity: str) -> pd.DataFrame:
    obs = evidence.observations
    return obs.loc[
        obs["quantity"] == quantity,
        ["obs_id", "country", "point", "low", "high", "period_end", "published"],
    ]


class LevelIndicator(Indicator):
    """The latest known value of one quantity, optionally per head of another (population)."""

    transform = "level"
    quantity: ClassVar[str]
    per: ClassVar[str | None] = None  # denominator quantity, e.g. "population"
    scale: ClassVar[float] = 1.0  # 100 for percent of the denominator, 1e6 for per million
    defaults: ClassVar[dict[str, object]] = {"staleness_days": 730}

    def _panel(self, evidence: Evidence, grid: pd.DataFrame) -> pd.DataFrame:
        denominator = _quantity(evidence, self.per) if self.per else None
        return transforms.level(
            grid,
            _quantity(evidence, self.quantity),
            self.staleness_days,
            denominator=denominator,
            scale=self.scale,
        )


class ChangeIndicator(Indicator):
    """Percent change of one quantity between the two latest known periods."""

    transform = "change"
    quantity: ClassVar[str]
    defaults: ClassVar[dict[str, object]] = {"staleness_days": 1095}

    def _panel(self, evidence: Evidence, grid: pd.DataFrame) -> pd.DataFrame:
        return transforms.change(grid, _quantity(evidence, self.quantity), self.staleness_days)


class WindowMaxIndicator(Indicator):
    """The largest current estimate of one quantity within a window (staleness_days)."""

    transform = "window_max"
    quantity: ClassVar[str]
    defaults: ClassVar[dict[str, object]] = {"staleness_days": 365}

    def _panel(self, evidence: Evidence, grid: pd.DataFrame) -> pd.DataFrame:
        return transforms.window_max(grid, _quantity(evidence, self.quantity), self.staleness_days)


class DecayedEventIndicator(Indicator):
    """A severity-weighted count of events that fades with a half-life.

    Parameters: ``severity`` (weight per event kind), ``half_life_days``, ``fatality_factor``
    and ``staleness_days`` (how recent some evidence on the country must be for a zero count
    to mean 'nothing happened' rather than 'nobody looked').
    """

    transform = "decayed_events"

    def _panel(self, evidence: Evidence, grid: pd.DataFrame) -> pd.DataFrame:
        published = pd.concat(
            [
                evidence.observations[["country", "published"]],
                evidence.events[["country", "published"]],
            ]
        )
        # Open-data series are annual and always 'recent'; only reports watch for events.
        report_sources = evidence.sources.index[evidence.sources["kind"] != "dataset"]
        from_reports = pd.concat(
            [
                evidence.observations["source_id"].isin(report_sources),
                evidence.events["source_id"].isin(report_sources),
            ]
        )
        watched = transforms.monitored(
            grid, published[from_reports.to_numpy()], self.staleness_days
        )
        return transforms.decayed_events(
            grid,
            evidence.events,
            severity=dict(self.params["severity"]),
            half_life_days=float(self.params["half_life_days"]),
            fatality_factor=float(self.params["fatality_factor"]),
            monitored=watched,
        )

    @property
    def kinds(self) -> list[str]:
        return sorted(self.params["severity"])
