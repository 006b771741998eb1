"""The indicator contract.

An indicator declares what it measures (code, name, dimension, unit, direction, goalposts,
transform, staleness) and computes, for a grid of countries and as-of dates, a raw value from
the evidence published by each date, with the ids of the evidence it used. Parameters follow the
scikit-learn convention: set in ``__init__`` without logic, read back with ``get_params``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from fragwatch.evidence import Evidence
from fragwatch.indicators.kernels.arrays import Cells

DIMENSIONS = ("economic", "political", "security", "social")
PANEL_COLUMNS = ["value", "low", "high", "evidence_ids"]


@dataclass(frozen=True)
class Signal:
    """One indicator's reading for one country as of one date."""

    code: str
    country: str
    as_of: pd.Timestamp
    value: float
    low: float
    high: float
    unit: str
    evidence_ids: tuple[str, ...]

    @property
    def available(self) -> bool:
        return not np.isnan(self.value)


class Indicator:
    """Base class; subclasses set the class attributes and implement ``_panel``."""

    code: ClassVar[str]
    name: ClassVar[str]
    dimension: ClassVar[str]
    unit: ClassVar[str]
    direction: ClassVar[int]  # +1: higher is more fragile; -1: lower is more fragile
    goalposts: ClassVar[tuple[float, float]]
    transform: ClassVar[str]  # level | change | window_max | decayed_events
    definition: ClassVar[str]  # one paragraph: what it measures and why it signals fragility
    sources: ClassVar[str]  # which evidence feeds it
    # Tunable parameters and their defaults; model.toml may override any of them.
    defaults: ClassVar[dict[str, object]] = {}
    declared: ClassVar[bool] = False  # True for an indicator declared in model.toml
    family: ClassVar[str] = ""

    def __init__(self, **params: object) -> None:
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise TypeError(f"{self.code}: unknown parameter(s) {sorted(unknown)}")
        self.params = {**self.defaults, **params}

    def get_params(self) -> dict[str, object]:
        return dict(self.params)

    def set_params(self, **params: object) -> Indicator:
        return type(self)(**{**self.params, **params})

    @property
    def staleness_days(self) -> int:
        return int(self.params["staleness_days"])

    def panel(
        self,
        evidence: Evidence,
        countries: list[str],
        as_of: pd.DatetimeIndex,
        *,
        with_evidence: bool = True,
    ) -> pd.DataFrame:
        """Raw values for every (country, as_of): columns value, low, high, evidence_ids.

        Only evidence published on or before each as-of date is used. A cell with no fresh
        evidence is NaN (never zero) so the score can renormalise over what is known.
        """
        # The grid's arrays and labelled index are built once here and passed down: every
        # kernel labels its output with this index (the reindex only guards the row order).
        cells = Cells.product(countries, pd.DatetimeIndex(as_of))
        out = self._panel(evidence.for_countries(countries), cells)
        out = out.reindex(cells.index)
        if not with_evidence:
            out = out.drop(columns="evidence_ids")
        else:
            out["evidence_ids"] = [x if isinstance(x, tuple) else () for x in out["evidence_ids"]]
        return out

    def signals(
        self, evidence: Evidence, countries: list[str], as_of: pd.Timestamp
    ) -> list[Signal]:
        """The raw signals as of one date, one per country (normalising is the model's job)."""
        table = self.panel(evidence, countries, pd.DatetimeIndex([as_of]))
        return [
            Signal(
                code=self.code,
                country=country,
                as_of=pd.Timestamp(date),
                value=float(row.value),
                low=float(row.low),
                high=float(row.high),
                unit=self.unit,
                evidence_ids=tuple(row.evidence_ids),
            )
            for (country, date), row in zip(table.index, table.itertuples(), strict=True)
        ]

    def _panel(self, evidence: Evidence, cells: Cells) -> pd.DataFrame:
        """Raw values for the grid ``cells`` (``cells.grid``: columns country, as_of), one row
        per cell, indexed by ``cells.index``."""
        raise NotImplementedError
