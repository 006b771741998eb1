"""FragilityModel: the transparent weighted model, with scikit-learn estimator conventions.

Parameters are set in ``__init__`` without logic and read back with ``get_params``; ``fit``
validates them and stores the resolved framework in attributes ending in ``_``; a scenario is
``model.set_params(...)`` on a clone. There is nothing to learn: goalposts are fixed so scores
stay comparable over time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from fragwatch.errors import PanelError
from fragwatch.scoring.aggregate import Aggregated, aggregate, normalise
from fragwatch.scoring.bands import DEFAULT_BANDS, as_series
from fragwatch.scoring.framework import Framework

AGGREGATIONS = ("arithmetic",)


@dataclass(frozen=True)
class PanelScores:
    """Scores for every row of a panel, each stage kept as its own labelled table.

    ``normalised`` is recomputed from the panel on first use rather than kept, so scoring a
    large panel holds no more full-size arrays than the results need.
    """

    score: pd.Series
    band: pd.Series
    coverage: pd.Series
    contributions: pd.DataFrame
    dimension_scores: pd.DataFrame
    _panel: pd.DataFrame = field(repr=False)
    _framework: Framework = field(repr=False)
    _aggregated: Aggregated = field(repr=False)

    @cached_property
    def weights(self) -> pd.DataFrame:
        """Each known indicator's effective weight (rows sum to 1), built on first use."""
        return pd.DataFrame(
            self._aggregated.weights,
            index=self._panel.index,
            columns=self._framework.codes,
            copy=False,
        )

    @cached_property
    def normalised(self) -> pd.DataFrame:
        ind = self._framework.indicators
        values = normalise(
            self._panel[ind.index].to_numpy(dtype=float),
            ind["lo"].to_numpy(float),
            ind["hi"].to_numpy(float),
            ind["direction"].to_numpy(float),
        )
        return pd.DataFrame(values, index=self._panel.index, columns=ind.index, copy=False)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"score": self.score, "band": self.band, "coverage": self.coverage})


class FragilityModel:
    def __init__(
        self,
        framework: pd.DataFrame,
        bands: tuple[tuple[str, float], ...] = DEFAULT_BANDS,
        min_coverage: float = 0.0,
        aggregation: str = "arithmetic",
    ) -> None:
        self.framework = framework
        self.bands = bands
        self.min_coverage = min_coverage
        self.aggregation = aggregation

    def get_params(self, deep: bool = True) -> dict[str, object]:
        return {
            "framework": self.framework,
            "bands": self.bands,
            "min_coverage": self.min_coverage,
            "aggregation": self.aggregation,
        }

    def set_params(self, **params: object) -> FragilityModel:
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"unknown parameter '{key}' for FragilityModel")
            setattr(self, key, value)
        return self

    def clone(self) -> FragilityModel:
        return type(self)(**copy.deepcopy(self.get_params()))

    def fit(self, panel: pd.DataFrame | None = None) -> FragilityModel:
        """Validate the parameters (and, if given, that the panel has the framework's columns)."""
        if self.aggregation not in AGGREGATIONS:
            raise PanelError(
                f"aggregation '{self.aggregation}' is not supported"
                f" (use {', '.join(AGGREGATIONS)})",
                where="model",
            )
        if not 0.0 <= float(self.min_coverage) <= 1.0:
            raise PanelError("min_coverage must be between 0 and 1", where="model")
        self.framework_ = Framework.from_table(self.framework)
        self.positions_ = self.framework_.positions()
        self.dimensions_ = self.framework_.dimension_weights.index
        if panel is not None:
            self._check_panel(panel)
        return self

    def _check_panel(self, panel: pd.DataFrame) -> None:
        missing = [c for c in self.framework_.codes if c not in panel.columns]
        if missing:
            raise PanelError(f"panel has no column for indicator '{missing[0]}'", where="panel")
        if panel.index.duplicated().any():
            dup = panel.index[panel.index.duplicated()][0]
            raise PanelError(f"duplicate row {dup!r}", where="panel")

    def score(self, panel: pd.DataFrame) -> PanelScores:
        """Score every row of ``panel`` (index: unit and period; one column per indicator)."""
        if not hasattr(self, "framework_"):
            self.fit()
        self._check_panel(panel)
        ind = self.framework_.indicators
        codes = self.framework_.codes
        # Read the panel in place when its columns are already the framework's (no copy).
        table = panel if list(panel.columns) == codes else panel[codes]
        raw = table.to_numpy(dtype=float, copy=False)
        result = aggregate(
            raw,
            lo=ind["lo"].to_numpy(float),
            hi=ind["hi"].to_numpy(float),
            direction=ind["direction"].to_numpy(float),
            weight=ind["weight"].to_numpy(float),
            position=self.positions_,
            dimension_weight=self.framework_.dimension_weights.to_numpy(float),
            min_coverage=float(self.min_coverage),
        )
        index = panel.index
        score = pd.Series(result.score, index=index, name="score")
        return PanelScores(
            score=score,
            band=as_series(score, tuple(self.bands)),
            coverage=pd.Series(result.coverage, index=index, name="coverage"),
            contributions=pd.DataFrame(
                result.contributions, index=index, columns=codes, copy=False
            ),
            dimension_scores=pd.DataFrame(
                result.dimension_scores, index=index, columns=self.dimensions_, copy=False
            ),
            _panel=panel,
            _framework=self.framework_,
            _aggregated=result,
        )

    def effective_weights(self) -> pd.Series:
        """Each indicator's share of the score when every indicator is known."""
        if not hasattr(self, "framework_"):
            self.fit()
        ind = self.framework_.indicators
        full = pd.DataFrame([ind["lo"].to_numpy()], columns=ind.index)
        return self.score(full).weights.iloc[0]


def score_panel(panel: pd.DataFrame, framework: pd.DataFrame, **params: object) -> PanelScores:
    """Score any indicator panel against any framework table in one call."""
    return FragilityModel(framework, **params).fit(panel).score(panel)
