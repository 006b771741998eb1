"""Apply a scenario: hypothetical evidence, shocks on evidence and on indicators, model overrides.

Every function returns new objects: the evidence, panels and model spec handed in are shared
with the baseline and never changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pandas as pd

from fragwatch.errors import ConfigError
from fragwatch.evidence import Evidence
from fragwatch.evidence.periods import parse_periods
from fragwatch.evidence.units import UNITS
from fragwatch.scenarios.limits import possible_range
from fragwatch.scenarios.spec import Scenario, Shock
from fragwatch.scoring.spec import ModelSpec


def source_id(scenario: Scenario) -> str:
    return "scenario:" + scenario.name.replace(" + ", "+")


def with_hypotheticals(evidence: Evidence, scenario: Scenario) -> Evidence:
    """The evidence plus the scenario's hypothetical events and observations.

    They cite one made-up source, ``scenario:<name>`` (kind "report", so a hypothetical event
    also counts as somebody watching the country), and each becomes known on its ``published``
    date (an event: its date), so point-in-time assessments see it only from then on.
    """
    if not scenario.events and not scenario.observations:
        return evidence
    source = source_id(scenario)
    events = _event_rows(scenario, source)
    observations = _observation_rows(scenario, source)
    published = min(
        [e.date for e in scenario.events] + [o.published for o in scenario.observations]
    )
    sources = pd.DataFrame(
        {
            "source_id": [source],
            "title": [f"Scenario {scenario.name} (hypothetical)"],
            "publisher": ["fragwatch scenario"],
            "published": pd.Series([published], dtype="datetime64[us]"),
            "published_note": ["hypothetical evidence of a what-if scenario"],
            "url": [""],
            "kind": ["report"],
            "file": [""],
            "text_from": [""],
            "text_to": [""],
            "origin": [", ".join(scenario.files)],
        },
        dtype=object,
    ).astype({"published": "datetime64[us]"})
    return Evidence(
        sources=_stack(evidence.sources, sources, "source_id"),
        observations=_stack(evidence.observations, observations, "obs_id"),
        events=_stack(evidence.events, events, "event_id"),
        texts=evidence.texts,
    )


def _stack(table: pd.DataFrame, extra: pd.DataFrame, id_column: str) -> pd.DataFrame:
    if extra.empty:
        return table
    # Columns the scenario's rows do not have (a data set's citation, licence) stay blank.
    out = pd.concat([table, extra.reindex(columns=table.columns)], ignore_index=True)
    out.index = pd.Index(out[id_column].to_numpy(dtype=object), dtype=object, name=id_column)
    return out


def _event_rows(scenario: Scenario, source: str) -> pd.DataFrame:
    rows = []
    for i, e in enumerate(scenario.events):
        event_id = f"{source}:event-{i + 1}"
        rows.append(
            {
                "event_id": event_id,
                "country": e.country,
                "date": e.date.date().isoformat(),
                "kind": e.kind,
                "fatalities": np.nan if e.fatalities is None else float(e.fatalities),
                "incident_id": event_id,
                "description": e.description,
                "source_id": source,
                "quote": f"(hypothetical) {e.description}",
                "published": e.date,
                "note": "scenario",
                "date_start": e.date,
                "date_end": e.date,
                "origin": ", ".join(scenario.files),
            }
        )
    return _frame(rows, ["published", "date_start", "date_end"])


def _observation_rows(scenario: Scenario, source: str) -> pd.DataFrame:
    rows = []
    for i, o in enumerate(scenario.observations):
        unit, factor = UNITS[o.unit.strip().lower()]
        value, low, high = (np.nan if v is None else v * factor for v in (o.value, o.low, o.high))
        point = value if not np.isnan(value) else np.nanmean([low, high])
        period = parse_periods(pd.Series([o.period], dtype=object)).iloc[0]
        rows.append(
            {
                "obs_id": f"{source}:observation-{i + 1}",
                "country": o.country,
                "quantity": o.quantity,
                "period": o.period,
                "value": value,
                "low": low,
                "high": high,
                "unit": unit,
                "source_id": source,
                "quote": f"(hypothetical) {o.quantity} {o.period}",
                "published": o.published,
                "note": "scenario",
                "point": point,
                "period_start": period["start"],
                "period_end": period["end"],
                "origin": ", ".join(scenario.files),
            }
        )
    return _frame(rows, ["published", "period_start", "period_end"])


def _frame(rows: list[dict], dates: list[str]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows, dtype=object)
    for column in dates:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    for column in ("fatalities", "value", "low", "high", "point"):
        if column in frame:
            frame[column] = frame[column].astype(float)
    return frame


def apply_op(op: str, base: np.ndarray, x: np.ndarray | float, bounds: tuple) -> np.ndarray:
    """``base`` set to, plus, or times ``x``; the result kept within the unit's possible range.

    ``set`` gives a value even where ``base`` is NaN (no fresh evidence); ``add`` and
    ``multiply`` leave an unknown value unknown.
    """
    if op == "set":
        out = np.broadcast_to(x, np.broadcast_shapes(np.shape(base), np.shape(x))).astype(float)
    elif op == "add":
        out = base + x
    else:
        out = base * x
    return np.clip(out, bounds[0], bounds[1])


def shock_evidence(
    evidence: Evidence, shocks: list[Shock], values: list[float], quantity_units: dict
) -> tuple[Evidence, list[Shock]]:
    """Apply quantity shocks (in order, each with its value) to the observations' figures.

    A shock touches the observations of its quantity (and country) whose period overlaps its
    ``from``/``to`` window. Returns the new evidence and the shocks that matched no row.
    """
    if not shocks:
        return evidence, []
    obs = evidence.observations
    value, low, high = (obs[c].to_numpy(dtype=float).copy() for c in ("value", "low", "high"))
    quantity = obs["quantity"].to_numpy(dtype=object)
    country = obs["country"].to_numpy(dtype=object)
    start, end = obs["period_start"].to_numpy(), obs["period_end"].to_numpy()
    unmatched = []
    for shock, x in zip(shocks, values, strict=True):
        rows = quantity == shock.code
        if shock.country is not None:
            rows &= country == shock.country
        if shock.start is not None:
            rows &= end >= shock.start.to_datetime64()
        if shock.end is not None:
            rows &= start <= shock.end.to_datetime64()
        if not rows.any():
            unmatched.append(shock)
            continue
        bounds = possible_range(quantity_units.get(shock.code))
        if shock.op == "set":
            value[rows], low[rows], high[rows] = x, np.nan, np.nan
        else:
            for column in (value, low, high):
                column[rows] = apply_op(shock.op, column[rows], x, bounds)
    point = np.where(np.isnan(value), (low + high) / 2, value)
    point = np.where(np.isnan(point), low, point)
    point = np.where(np.isnan(point), high, point)
    shocked = obs.assign(value=value, low=low, high=high, point=point)
    return replace(evidence, observations=shocked), unmatched


def cell_mask(shock: Shock, countries: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Which (country, as_of) cells an indicator shock applies to."""
    rows = np.ones(len(dates), dtype=bool)
    if shock.country is not None:
        rows &= countries == shock.country
    if shock.start is not None:
        rows &= dates >= shock.start.to_datetime64()
    if shock.end is not None:
        rows &= dates <= shock.end.to_datetime64()
    return rows


def shock_values(
    values: np.ndarray,
    shocks: list[Shock],
    xs: list[np.ndarray | float],
    columns: list[int],
    masks: list[np.ndarray],
    bounds: list[tuple[float, float]],
) -> np.ndarray:
    """Apply indicator shocks in order to ``values`` (draws, cells, indicators), in place.

    ``xs`` holds each shock's value: a number, or one value per draw (shape (draws,)).
    """
    for shock, x, column, rows, limits in zip(shocks, xs, columns, masks, bounds, strict=True):
        if not rows.any():
            continue
        x = np.asarray(x, dtype=float)
        x = x[:, None] if x.ndim == 1 else x
        values[:, rows, column] = apply_op(shock.op, values[:, rows, column], x, limits)
    return values


def scenario_spec(spec: ModelSpec, scenario: Scenario) -> ModelSpec:
    """The baseline model with the scenario's weights and goalposts: a clone, relabelled.

    The scenario's digest enters the model digest, so an assessment under a scenario can never
    pass for a baseline one, even when the scenario changes only evidence.
    """
    table = spec.model.framework.copy()
    codes = table["code"].to_numpy(dtype=object)
    for code, weight in scenario.weights.items():
        table.loc[codes == code, "weight"] = weight
    for code, (lo, hi) in scenario.goalposts.items():
        table.loc[codes == code, ["lo", "hi"]] = [lo, hi]
    model = spec.model.clone().set_params(framework=table).fit()
    framework = model.framework_
    used = framework.dimension_weights
    if float(framework.indicators["weight"].sum()) == 0 or float(used.sum()) == 0:
        raise ConfigError(
            "every indicator (or every dimension) weight is 0: nothing left to score",
            where=f"{scenario.files[-1]}: field 'weights'",
        )
    digest = hashlib.sha256(f"{spec.digest}\n{scenario.digest()}".encode()).hexdigest()
    return ModelSpec(
        indicators=spec.indicators,
        model=model,
        digest=digest,
        name=f"{spec.name} + scenario {scenario.name}",
    )
