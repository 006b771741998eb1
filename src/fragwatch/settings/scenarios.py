"""Read and check scenario files (``config/scenarios/*.toml``) against the model and evidence.

Strict like ``model.toml``: unknown keys, unknown indicators, quantities or event kinds, bad
dates and impossible values (a negative count, a share above 100%) stop the program with one
line naming the file, line and dotted field. The checks need the model (its indicators, units
and dimensions) and the evidence (quantities, units, event kinds, countries): both come in as a
``Vocabulary``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd

from fragwatch.errors import ConfigError
from fragwatch.evidence.periods import parse_periods
from fragwatch.evidence.units import UNITS
from fragwatch.scenarios.distributions import KINDS, PARAMETERS, REQUIRED, Distribution
from fragwatch.scenarios.limits import describe, possible_range
from fragwatch.scenarios.spec import (
    FREQUENCIES,
    OPS,
    AsOf,
    HypotheticalEvent,
    HypotheticalObservation,
    Scenario,
    Shock,
    compose,
)
from fragwatch.scenarios.vocabulary import Vocabulary
from fragwatch.settings.model import Checker, line_of, read_toml

SCENARIOS_DIR = "scenarios"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
TOP_KEYS = {"name", "description", "as_of", "countries", "shock", "event", "observation",
            "weights", "goalposts"}  # fmt: skip
DIST_KEYS = {"low", "high", "mode", "mean", "sd"}
SHOCK_KEYS = {"indicator", "quantity", "op", "value", "distribution", "from", "to", "country"}
EVENT_KEYS = {"kind", "date", "fatalities", "description", "country"}
OBSERVATION_KEYS = {"quantity", "period", "value", "low", "high", "unit", "published", "country"}
AS_OF_KEYS = {"from", "to", "every"}
# Beyond this a figure is a typo, and arithmetic on it would overflow.
LARGEST = 1e15
# Pandas timestamps span 1677-2262.
FIRST_YEAR, LAST_YEAR = 1678, 2261
# A range of as-of dates holds at most this many (100 years of month ends).
MAX_DATES = 1200
# A bounded normal must keep at least this share of its mass between the bounds.
MIN_KEPT_MASS = 1e-6


class ScenarioChecker(Checker):
    """``Checker`` plus the value kinds scenario files use: finite numbers and dates."""

    def finite(self, value: object, loc: tuple, **bounds: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(loc, f"must be a number, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(loc, f"must be a finite number, got '{value}'")
        if abs(value) > LARGEST:
            raise self.fail(loc, f"{value:g} is implausibly large (above {LARGEST:g})")
        return self.number(value, loc, **bounds)

    def date(self, value: object, loc: tuple) -> pd.Timestamp:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
            raise self.fail(loc, f"must be a date (YYYY-MM-DD), got {value!r}")
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value) if len(value) == 10 else None
            except ValueError:
                value = None
            if value is None:
                raise self.fail(loc, "must be a date (YYYY-MM-DD)")
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise self.fail(loc, f"{value} is out of range ({FIRST_YEAR} to {LAST_YEAR})")
        return pd.Timestamp(value)

    def entries(self, data: dict, key: str) -> list:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail((key,), f"must be one or more [[{key}]] tables")
        return value


def _among(value: object, names: object) -> bool:
    """Whether a value read from TOML is one of ``names`` (a list or table is never one)."""
    return isinstance(value, str) and value in names


def load_scenario(path: Path, vocab: Vocabulary) -> Scenario:
    """Read and check one scenario file."""
    data, text = read_toml(path)
    return _scenario(ScenarioChecker(path, text), data, vocab)


def load_scenarios(paths: list[Path], vocab: Vocabulary) -> Scenario:
    """Read files in order and compose them (later ones winning); check the composition."""
    scenario = compose([load_scenario(path, vocab) for path in paths])
    check_composition(scenario, vocab)
    return scenario


def scenario_files(folder: Path) -> list[Path]:
    """The scenario files of a folder, by name."""
    if not folder.is_dir():
        raise ConfigError("no such folder", where=str(folder))
    found = sorted(p for p in folder.glob("*.toml") if p.is_file())
    if not found:
        raise ConfigError("no scenario files (*.toml) in this folder", where=str(folder))
    return found


def _scenario(check: ScenarioChecker, data: dict, vocab: Vocabulary) -> Scenario:
    check.table(data, (), TOP_KEYS, {"name", "description"})
    name = check.text_value(data["name"], ("name",))
    if not NAME.fullmatch(name):
        raise check.fail(("name",), f"'{name}' is not a scenario name (letters, digits, - _ .)")
    countries = _countries(check, data, vocab)
    shocks = tuple(
        _shock(check, entry, ("shock", i), vocab, countries)
        for i, entry in enumerate(check.entries(data, "shock"))
    )
    events = tuple(
        _event(check, entry, ("event", i), vocab, countries)
        for i, entry in enumerate(check.entries(data, "event"))
    )
    observations = tuple(
        _observation(check, entry, ("observation", i), vocab, countries)
        for i, entry in enumerate(check.entries(data, "observation"))
    )
    return Scenario(
        name=name,
        description=check.text_value(data["description"], ("description",)).strip(),
        files=(str(check.path),),
        as_of=_as_of(check, data["as_of"]) if "as_of" in data else None,
        countries=countries if "countries" in data else None,
        shocks=shocks,
        events=events,
        observations=observations,
        weights=_weights(check, data, vocab),
        goalposts=_goalposts(check, data, vocab),
    )


def _countries(check: ScenarioChecker, data: dict, vocab: Vocabulary) -> tuple[str, ...]:
    if "countries" not in data:
        return vocab.countries
    value = data["countries"]
    if not isinstance(value, list) or not value:
        raise check.fail(("countries",), 'must be a list of ISO3 codes, e.g. ["TJK"]')
    for code in value:
        if code not in vocab.countries:
            raise check.fail(
                ("countries",),
                f"no evidence for country {code!r}; known: {', '.join(vocab.countries)}",
            )
    return tuple(dict.fromkeys(value))


def _as_of(check: ScenarioChecker, value: object) -> AsOf:
    if not isinstance(value, dict):
        when = check.date(value, ("as_of",))
        return AsOf(when, when)
    check.table(value, ("as_of",), AS_OF_KEYS, {"from", "to"})
    start = check.date(value["from"], ("as_of", "from"))
    end = check.date(value["to"], ("as_of", "to"))
    every = value.get("every", "month")
    if not _among(every, FREQUENCIES):
        raise check.fail(("as_of", "every"), f"must be one of {', '.join(FREQUENCIES)}")
    if start > end:
        raise check.fail(("as_of", "from"), f"{start.date()} is after 'to' {end.date()}")
    count = len(pd.date_range(start, end, freq=FREQUENCIES[every]))
    if count > MAX_DATES:
        raise check.fail(
            ("as_of", "from"), f"{count} as-of dates; a range may hold at most {MAX_DATES}"
        )
    if not count:
        raise check.fail(
            ("as_of", "from"), f"no {every} end between {start.date()} and {end.date()}"
        )
    return AsOf(start, end, every)


def _country(
    check: ScenarioChecker, entry: dict, loc: tuple, countries: tuple[str, ...], optional: bool
) -> str | None:
    if "country" not in entry:
        if optional:
            return None
        if len(countries) != 1:
            raise check.fail(
                (*loc, "country"), "required when the scenario covers several countries"
            )
        return countries[0]
    code = entry["country"]
    if code not in countries:
        raise check.fail(
            (*loc, "country"), f"{code!r} is not a country of the scenario ({', '.join(countries)})"
        )
    return code


def _window(check: ScenarioChecker, entry: dict, loc: tuple) -> tuple:
    start = check.date(entry["from"], (*loc, "from")) if "from" in entry else None
    end = check.date(entry["to"], (*loc, "to")) if "to" in entry else None
    if start is not None and end is not None and start > end:
        raise check.fail((*loc, "from"), f"{start.date()} is after 'to' {end.date()}")
    return start, end


def _shock(
    check: ScenarioChecker, entry: dict, loc: tuple, vocab: Vocabulary, countries: tuple
) -> Shock:
    check.table(entry, loc, SHOCK_KEYS | DIST_KEYS, {"op"})
    if ("indicator" in entry) == ("quantity" in entry):
        if "indicator" in entry:
            raise check.fail((*loc, "quantity"), "give 'indicator' or 'quantity', not both")
        raise check.fail(loc, "needs 'indicator' (a model indicator) or 'quantity' (evidence)")
    target = "indicator" if "indicator" in entry else "quantity"
    code = entry[target]
    if target == "indicator" and not _among(code, vocab.indicator_units):
        raise check.fail(
            (*loc, target),
            f"unknown indicator {code!r}; the model uses: {', '.join(vocab.indicator_units)}",
        )
    if target == "quantity" and not _among(code, vocab.quantity_units):
        raise check.fail(
            (*loc, target),
            f"unknown quantity {code!r}; known: {', '.join(sorted(vocab.quantity_units))}",
        )
    unit = vocab.indicator_units[code] if target == "indicator" else vocab.quantity_units[code]
    op = entry["op"]
    if op not in OPS:
        raise check.fail((*loc, "op"), f"unknown op {op!r}; use set, add or multiply")
    value, distribution = _value(check, entry, loc)
    _check_possible(check, entry, loc, op, code, unit, value, distribution)
    start, end = _window(check, entry, loc)
    line = line_of(check.text, loc)
    return Shock(
        target=target,
        code=code,
        op=op,
        value=value,
        distribution=distribution,
        start=start,
        end=end,
        country=_country(check, entry, loc, countries, optional=True),
        origin=f"{check.path}:{line}: field '{'.'.join(map(str, loc))}'",
    )


def _value(
    check: ScenarioChecker, entry: dict, loc: tuple
) -> tuple[float | None, Distribution | None]:
    params = [k for k in entry if k in DIST_KEYS]
    if "value" in entry:
        if "distribution" in entry:
            raise check.fail((*loc, "distribution"), "give 'value' or 'distribution', not both")
        if params:
            raise check.fail((*loc, params[0]), "a fixed value takes no distribution parameter")
        return check.finite(entry["value"], (*loc, "value")), None
    if "distribution" not in entry:
        raise check.fail((*loc, "value"), "required: a 'value' or a 'distribution'")
    kind = entry["distribution"]
    if kind not in KINDS:
        raise check.fail(
            (*loc, "distribution"), f"unknown distribution {kind!r}; use {', '.join(KINDS)}"
        )
    for key in params:
        if key not in PARAMETERS[kind]:
            raise check.fail(
                (*loc, key),
                f"a {kind} distribution takes no {key!r} (it takes {', '.join(PARAMETERS[kind])})",
            )
    for key in REQUIRED[kind]:
        if key not in entry:
            raise check.fail(
                (*loc, key),
                f"required key is missing (a {kind} distribution needs"
                f" {', '.join(REQUIRED[kind])})",
            )
    p = {key: check.finite(entry[key], (*loc, key)) for key in params}
    if "low" in p and "high" in p and p["low"] >= p["high"]:
        raise check.fail((*loc, "low"), f"low {p['low']:g} must be below high {p['high']:g}")
    if kind == "triangular" and not p["low"] <= p["mode"] <= p["high"]:
        raise check.fail(
            (*loc, "mode"), f"mode {p['mode']:g} must lie between low and high (inclusive)"
        )
    dist = Distribution(kind, **p)
    if kind == "normal":
        if p["sd"] <= 0:
            raise check.fail((*loc, "sd"), f"must be > 0, got {p['sd']:g}")
        if ("low" in p or "high" in p) and dist.kept_mass() < MIN_KEPT_MASS:
            bound = "low" if "low" in p else "high"
            raise check.fail(
                (*loc, bound),
                "the bounds keep almost none of the distribution (the mean lies far outside)",
            )
    return None, dist


def _check_possible(
    check: ScenarioChecker,
    entry: dict,
    loc: tuple,
    op: str,
    code: str,
    unit: str | None,
    value: float | None,
    dist: Distribution | None,
) -> None:
    """A set value must be possible in the target's unit; a factor must not flip signs."""
    if op == "add":
        return  # the result is kept within the possible range when the shock is applied
    possible = possible_range(unit) if op == "set" else (0.0, math.inf)
    rule = (
        f"{code} is in {unit}, which must be {describe(possible)}"
        if op == "set"
        else "a factor must be at least 0 (a negative one flips the sign)"
    )
    lo, hi = possible
    if value is not None:
        if not lo <= value <= hi:
            raise check.fail((*loc, "value"), f"{value:g} is impossible: {rule}")
        return
    low, high = dist.support
    for key, bad in (("low", low < lo), ("high", high > hi)):
        if not bad:
            continue
        if key in entry:
            raise check.fail((*loc, key), f"{entry[key]:g} is impossible: {rule}")
        raise check.fail(
            (*loc, "distribution"),
            f"unbounded, but {rule}: give the normal distribution a {key!r} bound",
        )


def _event(
    check: ScenarioChecker, entry: dict, loc: tuple, vocab: Vocabulary, countries: tuple
) -> HypotheticalEvent:
    check.table(entry, loc, EVENT_KEYS, {"kind", "date"})
    kind = entry["kind"]
    if not _among(kind, vocab.event_kinds):
        raise check.fail(
            (*loc, "kind"),
            f"unknown event kind {kind!r}; known: {', '.join(sorted(vocab.event_kinds))}",
        )
    fatalities = None
    if "fatalities" in entry:
        fatalities = check.finite(entry["fatalities"], (*loc, "fatalities"))
        if fatalities < 0 or fatalities % 1 != 0:
            raise check.fail(
                (*loc, "fatalities"), f"must be a whole number of deaths >= 0, got {fatalities:g}"
            )
    description = entry.get("description", f"hypothetical {kind.replace('_', ' ')}")
    return HypotheticalEvent(
        kind=kind,
        date=check.date(entry["date"], (*loc, "date")),
        fatalities=fatalities,
        description=" ".join(check.text_value(description, (*loc, "description")).split()),
        country=_country(check, entry, loc, countries, optional=False),
    )


def _observation(
    check: ScenarioChecker, entry: dict, loc: tuple, vocab: Vocabulary, countries: tuple
) -> HypotheticalObservation:
    check.table(entry, loc, OBSERVATION_KEYS, {"quantity", "period", "unit"})
    quantity = entry["quantity"]
    if not _among(quantity, vocab.quantity_units):
        raise check.fail(
            (*loc, "quantity"),
            f"unknown quantity {quantity!r}; known: {', '.join(sorted(vocab.quantity_units))}",
        )
    period = entry["period"]
    if isinstance(period, int) and not isinstance(period, bool):
        period = str(period)
    elif isinstance(period, dt.date) and not isinstance(period, dt.datetime):
        period = period.isoformat()
    parsed = parse_periods(pd.Series([period], dtype=object)) if isinstance(period, str) else None
    if parsed is None or pd.isna(parsed["start"].iloc[0]):
        raise check.fail(
            (*loc, "period"), "must be a period (YYYY, YYYY-H1, YYYY-Q3, YYYY-MM or YYYY-MM-DD)"
        )
    start, end = parsed["start"].iloc[0], parsed["end"].iloc[0]
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise check.fail((*loc, "period"), f"{period} is out of range")
    unit = entry["unit"]
    key = unit.strip().lower() if isinstance(unit, str) else None
    if key not in UNITS:
        raise check.fail((*loc, "unit"), f"unknown unit {unit!r}; known: {', '.join(UNITS)}")
    canonical, factor = UNITS[key]
    expected = vocab.quantity_units[quantity]
    if expected is not None and canonical != expected:
        raise check.fail(
            (*loc, "unit"), f"{unit!r} is not a unit of {quantity}, which is in {expected}"
        )
    figures = {k: check.finite(entry[k], (*loc, k)) for k in ("value", "low", "high") if k in entry}
    if not figures:
        raise check.fail((*loc, "value"), "required: a 'value', or 'low' and/or 'high'")
    possible = possible_range(canonical)
    for k, v in figures.items():
        if not possible[0] <= v * factor <= possible[1]:
            raise check.fail(
                (*loc, k), f"{v:g} is impossible: {quantity} is in {canonical}, which must be"
                f" {describe(possible)}",
            )  # fmt: skip
    low, value, high = (figures.get(k) for k in ("low", "value", "high"))
    if low is not None and high is not None and low > high:
        raise check.fail((*loc, "low"), f"low {low:g} is above high {high:g}")
    if value is not None and (
        (low is not None and value < low) or (high is not None and value > high)
    ):
        raise check.fail((*loc, "value"), f"value {value:g} lies outside low..high")
    published = (
        check.date(entry["published"], (*loc, "published")) if "published" in entry else None
    )
    if published is not None and published < start:
        raise check.fail(
            (*loc, "published"), f"{published.date()} is before the period {period} begins"
        )
    return HypotheticalObservation(
        quantity=quantity,
        period=period,
        unit=unit,
        value=value,
        low=low,
        high=high,
        published=published if published is not None else end,
        country=_country(check, entry, loc, countries, optional=False),
    )


def _weights(check: ScenarioChecker, data: dict, vocab: Vocabulary) -> dict[str, float]:
    if "weights" not in data:
        return {}
    known = [*vocab.indicator_units, *vocab.dimensions]
    table = data["weights"]
    check.table(table, ("weights",), set(known) if isinstance(table, dict) else set())
    return {k: check.finite(v, ("weights", k), low=0) for k, v in table.items()}


def _goalposts(
    check: ScenarioChecker, data: dict, vocab: Vocabulary
) -> dict[str, tuple[float, float]]:
    if "goalposts" not in data:
        return {}
    table = data["goalposts"]
    check.table(
        table, ("goalposts",), set(vocab.indicator_units) if isinstance(table, dict) else set()
    )
    out = {}
    for code, value in table.items():
        at = ("goalposts", code)
        if not isinstance(value, list) or len(value) != 2:
            raise check.fail(at, f"must be a list of two numbers [lo, hi], got {value!r}")
        lo, hi = (check.finite(v, at) for v in value)
        if lo >= hi:
            raise check.fail(at, f"goalposts must be [lo, hi] with lo below hi, got {value}")
        out[code] = (lo, hi)
    return out


def check_composition(scenario: Scenario, vocab: Vocabulary) -> None:
    """Rules about the scenario as a whole (after composing layers)."""
    drawn: dict[str, Shock] = {}
    for shock in scenario.shocks:
        if shock.target != "quantity" or not shock.random:
            continue
        for code in vocab.indicators_reading(shock.code):
            other = drawn.get(code)
            if other is not None and other is not shock:
                raise ConfigError(
                    f"a second random shock on evidence that indicator {code!r} reads"
                    f" (the first: {other.label()} at {other.origin.split(': field')[0]});"
                    " give one of them a fixed value, or shock the indicator instead",
                    where=shock.origin,
                )
            drawn[code] = shock
