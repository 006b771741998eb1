"""Every country scored as of one date, sorted: the world (or a region) at a glance.

One vectorised pass over all countries at two dates (the as-of date and a year before), so a
ranking of 200 countries costs little more than one assessment; each row carries the band, the
interval, the coverage split by layer, the top driver and the change over the year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fragwatch.evidence import Evidence
from fragwatch.scoring.assessment import LAYERS, indicator_panel, layer_of, report_layer_ids
from fragwatch.scoring.spec import ModelSpec
from fragwatch.scoring.uncertainty import interval_of

COLUMNS = [
    "rank",
    "country",
    "score",
    "band",
    "low",
    "median",
    "high",
    "coverage",
    "coverage_open",
    "coverage_report",
    "top_driver",
    "top_points",
    "score_year_before",
    "change",
]


def rank_countries(
    evidence: Evidence, spec: ModelSpec, countries: list[str], as_of: pd.Timestamp
) -> pd.DataFrame:
    """One row per country, most fragile first; withheld countries last (no rank)."""
    as_of = pd.Timestamp(as_of).normalize()
    before = as_of - pd.DateOffset(years=1)
    known = evidence.known_by(as_of).for_countries(countries)
    panel = indicator_panel(
        known, spec, countries, pd.DatetimeIndex([before, as_of]), with_evidence=True
    )
    scores = spec.model.score(panel.value)
    now = pd.IndexSlice[:, as_of]
    codes = spec.model.framework_.codes
    value = panel.value.loc[now, codes]
    score = scores.score.loc[now].to_numpy()
    contributions = scores.contributions.loc[now, codes]

    # Coverage by layer: the nominal weight of each known indicator, by where its reading came from.
    ids = panel.evidence_ids.loc[now, codes]
    reported = report_layer_ids(known, [pd.DataFrame({"evidence_ids": ids.to_numpy().ravel()})])
    indicators = [spec.indicators[c] for c in codes]
    layer = np.array(
        [
            [
                layer_of(x, reported, i) if x is not None else ""
                for x, i in zip(row, indicators, strict=True)
            ]
            for row in ids.to_numpy()
        ],
        dtype=object,
    ).reshape(len(value), len(codes))
    nominal = spec.model.effective_weights().reindex(codes).to_numpy(float)
    known_cell = value.notna().to_numpy()
    layer[~known_cell] = ""
    by_layer = {name: ((layer == name) & known_cell).astype(float) @ nominal for name in LAYERS}

    u = spec.uncertainty
    low = panel.low.loc[now, codes].to_numpy(float)
    high = panel.high.loc[now, codes].to_numpy(float)
    intervals, _ = interval_of(
        spec.model,
        value.to_numpy(float),
        low,
        high,
        draws=u.draws,
        weight_noise=u.weight_noise,
        seed=u.seed,
    )
    has_driver = contributions.notna().any(axis=1).to_numpy()
    driver = np.where(has_driver, contributions.fillna(-1.0).idxmax(axis=1).to_numpy(), "")
    year_before = scores.score.loc[pd.IndexSlice[:, before]].to_numpy()
    table = pd.DataFrame(
        {
            "country": value.index.get_level_values("country").to_numpy(object),
            "score": score,
            "band": scores.band.loc[now].to_numpy(object),
            "low": [i.low for i in intervals],
            "median": [i.median for i in intervals],
            "high": [i.high for i in intervals],
            "coverage": scores.coverage.loc[now].to_numpy(),
            "coverage_open": by_layer["open"],
            "coverage_report": by_layer["report"],
            "top_driver": driver,
            "top_points": np.where(has_driver, contributions.max(axis=1).to_numpy(), np.nan),
            "score_year_before": year_before,
            "change": score - year_before,
        }
    )
    table = table.sort_values(["score", "country"], ascending=[False, True], na_position="last")
    scored = table["score"].notna().to_numpy()
    table.insert(0, "rank", np.where(scored, np.cumsum(scored), 0))
    return table.reset_index(drop=True)[COLUMNS]
