"""The four indicator families; each concrete indicator module picks one and declares itself."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from fragwatch.evidence import Evidence
from fragwatch.indicators.base import Indicator
from fragwatch.indicators.kernels.arrays import Cells, Rows, to_us
from fragwatch.indicators.kernels.events import decayed_events_cells, monitored_cells
from fragwatch.indicators.kernels.latest import change_cells, level_cells, per_head
from fragwatch.indicators.kernels.window import window_max_cells


def _quantity(evidence: Evidence, quantity: str) -> Rows:
    """The observation rows of one quantity as arrays, split once per evidence and kept."""
    split = evidence.memo.get("rows_by_quantity")
    if split is None:
        rows = Rows.quantities(evidence.observations)
        codes, names = pd.factorize(rows.quantity)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        split = {
            name: Rows(**{k: v[order[bounds[i] : bounds[i + 1]]] for k, v in rows.__dict__.items()})
            for i, name in enumerate(names)
        }
        split[None] = Rows(**{k: v[:0] for k, v in rows.__dict__.items()})
        evidence.memo["rows_by_quantity"] = split
    return split.get(quantity, split[None])


class LevelIndicator(Indicator):
    """The latest known value of one quantity, optionally per head of another (population)."""

    transform = "level"
    quantity: ClassVar[str]
    per: ClassVar[str | None] = None  # denominator quantity, e.g. "population"
    scale: ClassVar[float] = 1.0  # 100 for percent of the denominator, 1e6 for per million
    defaults: ClassVar[dict[str, object]] = {"staleness_days": 730}

    def _panel(self, evidence: Evidence, cells: Cells) -> pd.DataFrame:
        denominator = _quantity(evidence, self.per) if self.per else None
        return level_cells(
            cells,
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

    def _panel(self, evidence: Evidence, cells: Cells) -> pd.DataFrame:
        return change_cells(cells, _quantity(evidence, self.quantity), self.staleness_days)


class WindowMaxIndicator(Indicator):
    """The largest current estimate of one quantity within a window (staleness_days)."""

    transform = "window_max"
    quantity: ClassVar[str]
    defaults: ClassVar[dict[str, object]] = {"staleness_days": 365}

    def _panel(self, evidence: Evidence, cells: Cells) -> pd.DataFrame:
        return window_max_cells(cells, _quantity(evidence, self.quantity), self.staleness_days)


class DecayedEventIndicator(Indicator):
    """A severity-weighted count of events that fades with a half-life.

    Parameters: ``severity`` (weight per event kind), ``half_life_days``, ``fatality_factor``
    and ``staleness_days`` (how recent some evidence on the country must be for a zero count
    to mean 'nothing happened' rather than 'nobody looked').
    """

    transform = "decayed_events"
    per: ClassVar[str | None] = None  # e.g. "population": points per head
    scale: ClassVar[float] = 1.0  # 1e6: points per million people

    def _panel(self, evidence: Evidence, cells: Cells) -> pd.DataFrame:
        counted = self._counted(evidence, cells)
        if self.per is None:
            return counted
        return per_head(counted, cells, _quantity(evidence, self.per), self.scale)

    def _counted(self, evidence: Evidence, cells: Cells) -> pd.DataFrame:
        obs, sources = evidence.observations, evidence.sources
        events = Rows.events(evidence.counted_events())
        # Annual open-data series are always 'recent' and watch for nothing: reports do, and so
        # does an imported event data set (ACLED, UCDP), for the kinds this indicator counts.
        reports = sources.index.to_numpy(dtype=object)[
            sources["kind"].to_numpy(dtype=object) != "dataset"
        ]
        own_kind = np.isin(events.kind, np.asarray(self.kinds, dtype=object))
        from_reports = np.concatenate(
            [
                np.isin(obs["source_id"].to_numpy(dtype=object), reports),
                np.isin(events.source, reports) | own_kind,
            ]
        )
        country = np.concatenate([obs["country"].to_numpy(dtype=object), events.country])
        published = np.concatenate([to_us(obs["published"].values), events.published])
        watched = monitored_cells(
            cells, country[from_reports], published[from_reports], self.staleness_days
        )
        return decayed_events_cells(
            cells,
            events,
            severity=dict(self.params["severity"]),
            half_life_days=float(self.params["half_life_days"]),
            fatality_factor=float(self.params["fatality_factor"]),
            monitored=watched,
        )

    @property
    def kinds(self) -> list[str]:
        return sorted(self.params["severity"])
