"""From evidence to assessments: indicator panel, scores, decomposition with evidence ids."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fragwatch.evidence import Evidence
from fragwatch.scoring.model import PanelScores
from fragwatch.scoring.spec import ModelSpec


@dataclass(frozen=True)
class IndicatorPanel:
    """Raw indicator values (and their ranges and evidence) on a (country, as_of) grid."""

    value: pd.DataFrame  # index (country, as_of); one column per indicator code
    low: pd.DataFrame
    high: pd.DataFrame
    evidence_ids: pd.DataFrame | None  # tuples of ids, when asked for


def indicator_panel(
    evidence: Evidence,
    spec: ModelSpec,
    countries: list[str],
    dates: pd.DatetimeIndex,
    *,
    with_evidence: bool = False,
) -> IndicatorPanel:
    """Compute every indicator of the spec for every country and date (point-in-time)."""
    if len(dates):
        evidence = evidence.for_grid(countries, dates.max())
    parts = {
        code: ind.panel(evidence, countries, dates, with_evidence=with_evidence)
        for code, ind in spec.indicators.items()
    }

    # Every part is indexed by the same (country, as_of) grid, so columns are stacked as plain
    # arrays on the first part's index (no index alignment per column).
    index = next(iter(parts.values())).index

    def stack(column: str, dtype: type) -> pd.DataFrame:
        data = {code: part[column].to_numpy(dtype=dtype) for code, part in parts.items()}
        return pd.DataFrame(data, index=index, copy=False)

    return IndicatorPanel(
        value=stack("value", float),
        low=stack("low", float),
        high=stack("high", float),
        evidence_ids=stack("evidence_ids", object) if with_evidence else None,
    )


@dataclass(frozen=True)
class Assessment:
    """The score of one country as of one date, and everything needed to explain it."""

    country: str
    as_of: pd.Timestamp
    score: float
    band: str
    coverage: float
    table: pd.DataFrame  # one row per indicator, see ``_decomposition``
    model_digest: str
    evidence_digest: str
    min_coverage: float = 0.0

    @property
    def coverage_by_layer(self) -> dict[str, float]:
        """The coverage split by the layer each known indicator's evidence came from (open
        data or reports): the parts add up to ``coverage``."""
        if "layer" not in self.table or "nominal" not in self.table:
            return {}
        known = self.table[self.table["value"].notna()]
        return {
            layer: float(known.loc[known["layer"] == layer, "nominal"].sum()) for layer in LAYERS
        }

    @property
    def evidence_ids(self) -> list[str]:
        return sorted({i for ids in self.table["evidence_ids"] for i in ids})

    def to_dict(self) -> dict:
        # Column by column as plain Python values, NaN as None (a frame-wide replace and
        # ``to_dict`` cost more than the rest of a small table's record).
        columns = {
            name: [None if v != v else v for v in self.table[name].tolist()]
            for name in self.table.columns
        }
        columns["evidence_ids"] = [list(ids) for ids in self.table["evidence_ids"]]
        rows = [
            dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)
        ]
        return {
            "country": self.country,
            "as_of": self.as_of.date().isoformat(),
            "score": None if np.isnan(self.score) else round(self.score, 4),
            "band": self.band,
            "coverage": round(self.coverage, 4),
            "coverage_by_layer": {k: round(v, 4) for k, v in self.coverage_by_layer.items()},
            "model_digest": self.model_digest,
            "evidence_digest": self.evidence_digest,
            "contributions": rows,
        }

    @classmethod
    def from_dict(cls, record: dict) -> Assessment:
        """The inverse of ``to_dict`` (a stored payload back to an assessment)."""
        table = pd.DataFrame(record["contributions"])
        for column in ("value", "low", "high", "lo", "hi", "normalised", "weight", "contribution"):
            table[column] = table[column].astype(float)
        if "nominal" in table:
            table["nominal"] = table["nominal"].astype(float)
        table["evidence_ids"] = [tuple(ids) for ids in table["evidence_ids"]]
        score = record["score"]
        return cls(
            country=record["country"],
            as_of=pd.Timestamp(record["as_of"]),
            score=math.nan if score is None else float(score),
            band=record["band"],
            coverage=float(record["coverage"]),
            table=table,
            model_digest=record["model_digest"],
            evidence_digest=record["evidence_digest"],
        )


def _row(frame: pd.DataFrame, key: tuple, codes: pd.Index) -> np.ndarray:
    """One (country, as_of) row of a panel-shaped frame, its columns in ``codes`` order.

    Positional: a labelled ``.loc[key, codes]`` builds an index per call, and an assessment
    reads seven such rows per country.
    """
    return frame.to_numpy()[frame.index.get_loc(key), frame.columns.get_indexer(codes)]


def _decomposition(
    spec: ModelSpec, panel: IndicatorPanel, scores: PanelScores, key: tuple
) -> pd.DataFrame:
    ind = spec.model.framework_.indicators
    codes = ind.index
    table = pd.DataFrame(
        {
            "code": codes,
            "name": [spec.indicators[c].name for c in codes],
            "dimension": ind["parent"].to_numpy(),
            "unit": [spec.indicators[c].unit for c in codes],
            "value": _row(panel.value, key, codes).astype(float),
            "low": _row(panel.low, key, codes).astype(float),
            "high": _row(panel.high, key, codes).astype(float),
            "lo": ind["lo"].to_numpy(),
            "hi": ind["hi"].to_numpy(),
            "direction": ind["direction"].to_numpy(),
            "normalised": _row(scores.normalised, key, codes).astype(float),
            "weight": _row(scores.weights, key, codes).astype(float),
            "contribution": _row(scores.contributions, key, codes).astype(float),
        }
    )
    ids = _row(panel.evidence_ids, key, codes) if panel.evidence_ids is not None else None
    table["evidence_ids"] = [tuple(x) for x in ids] if ids is not None else [()] * len(codes)
    return table


def assess(
    evidence: Evidence, spec: ModelSpec, countries: list[str], as_of: pd.Timestamp
) -> list[Assessment]:
    """Assess each country as of one date, using only evidence published by then."""
    as_of = pd.Timestamp(as_of).normalize()
    known = evidence.known_by(as_of)
    dates = pd.DatetimeIndex([as_of])
    panel = indicator_panel(known, spec, countries, dates, with_evidence=True)
    scores = spec.model.score(panel.value)
    digest = known.digest()
    found = [assessment_of(spec, panel, scores, (country, as_of), digest) for country in countries]
    reported = report_layer_ids(known, [a.table for a in found])
    nominal = spec.model.effective_weights()
    for a in found:
        a.table["layer"] = [
            layer_of(ids, reported, spec.indicators[code]) if value == value else ""
            for code, ids, value in zip(
                a.table["code"], a.table["evidence_ids"], a.table["value"], strict=True
            )
        ]
        a.table["nominal"] = nominal.reindex(a.table["code"]).to_numpy(float)
    return found


LAYERS = ("open", "report")


def layer_of(ids: tuple[str, ...], reported: dict[str, str], indicator) -> str:
    """The layer of a known reading: 'report' when it rests on a report, else 'open'.

    The denominator of a rate (population) does not decide: a report's population figure
    under an open-data death count leaves the reading open data. A zero event count cites
    nothing; it is a reading because someone was watching, which the model takes from
    reports (see ``DecayedEventIndicator``), so it belongs to the report layer.
    """
    if not ids:
        return "report" if indicator.transform == "decayed_events" else "open"
    per = getattr(indicator, "per", None)
    own = [i for i in ids if per is None or reported.get(i) != per]
    return "report" if any(i in reported for i in own) else "open"


def report_layer_ids(evidence: Evidence, tables: list[pd.DataFrame]) -> dict[str, str]:
    """Of the evidence ids the tables cite, those from reports (or news), each with its
    quantity (events: ''): the report layer. Everything from a source of kind 'dataset' (the
    shipped open data, imported WDI, UCDP and ACLED files) is the open-data layer."""
    cited = list({i for t in tables for ids in t["evidence_ids"] for i in ids})
    if not cited:
        return {}
    obs = evidence.observations[["source_id", "quantity"]].reindex(cited)
    ev = evidence.report_event_sources(cited).reindex(cited)
    source = obs["source_id"].fillna(ev)
    kind = evidence.sources["kind"].reindex(source.to_numpy(dtype=object))
    reported = (kind.to_numpy(dtype=object) != "dataset") & source.notna().to_numpy()
    quantity = obs["quantity"].fillna("").to_numpy(dtype=object)
    return dict(zip(np.asarray(cited, dtype=object)[reported], quantity[reported], strict=True))


def assessment_of(
    spec: ModelSpec,
    panel: IndicatorPanel,
    scores: PanelScores,
    key: tuple[str, pd.Timestamp],
    evidence_digest: str,
) -> Assessment:
    """The assessment of one (country, as_of) row of a scored panel."""
    country, as_of = key
    return Assessment(
        country=country,
        as_of=pd.Timestamp(as_of),
        score=float(scores.score.loc[key]),
        band=str(scores.band.loc[key]),
        coverage=float(scores.coverage.loc[key]),
        table=_decomposition(spec, panel, scores, key),
        model_digest=spec.digest,
        evidence_digest=evidence_digest,
        min_coverage=float(spec.model.min_coverage),
    )


def score_history(
    evidence: Evidence, spec: ModelSpec, countries: list[str], dates: pd.DatetimeIndex
) -> tuple[IndicatorPanel, PanelScores]:
    """Point-in-time scores for every country and date in one vectorised pass."""
    panel = indicator_panel(evidence, spec, countries, dates)
    return panel, spec.model.score(panel.value)
