"""What-if scenarios: validation, composition, exact and Monte Carlo results, and no side effects.

Malformed files must each give one located line (file, line, field, message); generated
documents must either load or raise ConfigError; results must be reproducible; the Monte Carlo
must agree with the ordinary scoring path draw by draw; and a run must leave no trace: no store,
no outbox, no mail.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fragwatch.errors import ConfigError
from fragwatch.scenarios.distributions import Distribution, standard_normal_ppf
from fragwatch.scenarios.engine import prepare
from fragwatch.scenarios.montecarlo import simulate
from fragwatch.scenarios.run import run_scenario
from fragwatch.scenarios.spec import compose
from fragwatch.scenarios.vocabulary import vocabulary
from fragwatch.settings.alerts import load_alert_rules
from fragwatch.settings.scenarios import check_composition, load_scenario, load_scenarios

from .conftest import REPO, run_cli
from .smtp_server import Recorder, free_port

SCENARIOS = REPO / "config" / "scenarios"
SHIPPED = ["border-escalation", "mass-returns", "political-opening", "remittance-collapse"]
HEAD = 'name = "test"\ndescription = "a test scenario"\nas_of = 2016-06-30\n'
AS_OF = pd.Timestamp("2016-06-30")
CONFIG_ENV = {"FRAGWATCH_CONFIG_DIR": str(REPO / "config")}


@pytest.fixture(scope="session")
def vocab(spec, evidence):
    # The shipped scenarios are about Tajikistan; a scenario naming no country runs on it.
    return vocabulary(spec, evidence.for_countries(["TJK"]))


@pytest.fixture(scope="session")
def rules(spec):
    return load_alert_rules(REPO / "config", set(spec.indicators))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_with(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def run(scenario, evidence, spec, vocab, rules=None, *, draws=2_000, seed=1, dates=None):
    dates = dates if dates is not None else scenario.as_of.dates()
    return run_scenario(scenario, evidence, spec, vocab, rules, dates, draws=draws, seed=seed)


def indicator_row(result, code: str) -> pd.Series:
    table = result.details[0].indicators
    return table.set_index("code").loc[code]


# ---------------------------------------------------------------------------------------------
# Malformed scenario files: one exact, located line each
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    id: str
    body: str  # appended to HEAD (or the whole file when ``whole``)
    at: str | None  # text on the line the error must name (None: no line)
    field: str | None
    message: str
    whole: bool = False


BAD = [
    Bad("unknown-top-level-key", 'colour = "red"\n', "colour", "colour", "unknown key"),
    Bad(
        "unknown-shock-key",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "set"\nvaule = 3\n',
        "vaule",
        "shock.0.vaule",
        "unknown key",
    ),
    Bad(
        "unknown-indicator",
        '[[shock]]\nindicator = "remitances_gdp"\nop = "set"\nvalue = 3\n',
        "remitances_gdp",
        "shock.0.indicator",
        "unknown indicator 'remitances_gdp'; the model uses: remittances_gdp,"
        " remittances_change, gdp_growth, inflation, unemployment, political_stability,"
        " civil_liberties, civil_society_repression, opposition_repression, elite_defections,"
        " conflict_deaths, physical_integrity, homicides, armed_violence, heroin_seizure_trend,"
        " border_incidents, militants_across_border, refugees_abroad, infant_mortality,"
        " migrant_returns, is_recruitment",
    ),
    Bad(
        "unknown-quantity",
        '[[shock]]\nquantity = "migrants"\nop = "set"\nvalue = 3\n',
        "migrants",
        "shock.0.quantity",
        "unknown quantity 'migrants'; known: ",
    ),
    Bad(
        "unknown-op",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "replace"\nvalue = 3\n',
        "replace",
        "shock.0.op",
        "unknown op 'replace'; use set, add or multiply",
    ),
    Bad(
        "negative-count",
        '[[shock]]\nquantity = "migrant_returns"\nop = "set"\nvalue = -5\n',
        "value = -5",
        "shock.0.value",
        "-5 is impossible: migrant_returns is in persons, which must be at least 0",
    ),
    Bad(
        "share-above-100-percent",
        '[[shock]]\nindicator = "migrant_returns"\nop = "set"\nvalue = 120\n',
        "value = 120",
        "shock.0.value",
        "120 is impossible: migrant_returns is in percent of population, which must be"
        " between 0 and 100",
    ),
    Bad(
        "distribution-reaching-above-100-percent",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "set"\ndistribution = "uniform"\n'
        "low = 90\nhigh = 110\n",
        "high = 110",
        "shock.0.high",
        "110 is impossible: remittances_gdp is in percent of GDP, which must be between 0 and 100",
    ),
    Bad(
        "negative-factor",
        '[[shock]]\nquantity = "migrant_returns"\nop = "multiply"\nvalue = -2\n',
        "value = -2",
        "shock.0.value",
        "-2 is impossible: a factor must be at least 0 (a negative one flips the sign)",
    ),
    Bad(
        "uniform-low-not-below-high",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "set"\ndistribution = "uniform"\n'
        "low = 30\nhigh = 20\n",
        "low = 30",
        "shock.0.low",
        "low 30 must be below high 20",
    ),
    Bad(
        "triangular-mode-outside",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "set"\ndistribution = "triangular"\n'
        "low = 20\nmode = 35\nhigh = 30\n",
        "mode = 35",
        "shock.0.mode",
        "mode 35 must lie between low and high (inclusive)",
    ),
    Bad(
        "normal-sd-zero",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "add"\ndistribution = "normal"\n'
        "mean = 0\nsd = 0\n",
        "sd = 0",
        "shock.0.sd",
        "must be > 0, got 0",
    ),
    Bad(
        "normal-unbounded-on-a-count",
        '[[shock]]\nquantity = "migrant_returns"\nop = "set"\ndistribution = "normal"\n'
        "mean = 500000\nsd = 100000\n",
        'distribution = "normal"',
        "shock.0.distribution",
        "unbounded, but migrant_returns is in persons, which must be at least 0: give the normal"
        " distribution a 'low' bound",
    ),
    Bad(
        "parameter-of-another-distribution",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "set"\ndistribution = "uniform"\n'
        "low = 20\nmode = 25\nhigh = 30\n",
        "mode = 25",
        "shock.0.mode",
        "a uniform distribution takes no 'mode' (it takes low, high)",
    ),
    Bad(
        "value-and-distribution",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "set"\nvalue = 3\n'
        'distribution = "uniform"\n',
        "distribution",
        "shock.0.distribution",
        "give 'value' or 'distribution', not both",
    ),
    Bad(
        "not-a-finite-number",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "set"\nvalue = nan\n',
        "value = nan",
        "shock.0.value",
        "must be a finite number, got 'nan'",
    ),
    Bad(
        "from-after-to",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "set"\nvalue = 3\n'
        "from = 2016-05-01\nto = 2016-01-01\n",
        "from = 2016-05-01",
        "shock.0.from",
        "2016-05-01 is after 'to' 2016-01-01",
    ),
    Bad(
        "impossible-date",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "set"\nvalue = 3\nfrom = "2016-02-30"\n',
        "2016-02-30",
        "shock.0.from",
        "must be a date (YYYY-MM-DD)",
    ),
    Bad(
        "unknown-event-kind",
        '[[event]]\nkind = "alien_invasion"\ndate = 2016-01-01\n',
        "alien_invasion",
        "event.0.kind",
        "unknown event kind 'alien_invasion'; known: armed_attack, ",
    ),
    Bad(
        "negative-fatalities",
        '[[event]]\nkind = "border_raid"\ndate = 2016-01-01\nfatalities = -3\n',
        "fatalities",
        "event.0.fatalities",
        "must be a whole number of deaths >= 0, got -3",
    ),
    Bad(
        "observation-in-the-wrong-unit",
        '[[observation]]\nquantity = "migrant_returns"\nperiod = 2016\nvalue = 5\nunit = "kg"\n',
        'unit = "kg"',
        "observation.0.unit",
        "'kg' is not a unit of migrant_returns, which is in persons",
    ),
    Bad(
        "observation-share-above-100-percent",
        '[[observation]]\nquantity = "remittances_gdp"\nperiod = 2016\nvalue = 130\n'
        'unit = "percent"\n',
        "value = 130",
        "observation.0.value",
        "130 is impossible: remittances_gdp is in percent, which must be between 0 and 100",
    ),
    Bad(
        "negative-weight",
        "[weights]\nremittances_gdp = -1\n",
        "remittances_gdp = -1",
        "weights.remittances_gdp",
        "must be >= 0, got -1",
    ),
    Bad(
        "weight-of-unknown-indicator",
        "[weights]\nheroin = 2\n",
        "heroin = 2",
        "weights.heroin",
        "unknown key",
    ),
    Bad(
        "goalposts-the-wrong-way-round",
        "[goalposts]\nmigrant_returns = [6, 0]\n",
        "migrant_returns = [6, 0]",
        "goalposts.migrant_returns",
        "goalposts must be [lo, hi] with lo below hi, got [6, 0]",
    ),
    Bad(
        "as-of-every-week",
        '[as_of]\nfrom = 2016-01-01\nto = 2016-12-31\nevery = "week"\n',
        'every = "week"',
        "as_of.every",
        "must be one of month, quarter, year",
        whole=True,
    ),
    Bad(
        "name-missing",
        'description = "no name"\n',
        None,
        "name",
        "required key is missing",
        whole=True,
    ),
    Bad(
        "country-not-in-the-scenario",
        '[[shock]]\nindicator = "remittances_gdp"\nop = "set"\nvalue = 3\ncountry = "XYZ"\n',
        'country = "XYZ"',
        "shock.0.country",
        "'XYZ' is not a country of the scenario (TJK)",
    ),
]


def bad_text(case: Bad) -> str:
    if case.whole and case.id == "as-of-every-week":
        return 'name = "test"\ndescription = "d"\n' + case.body
    return case.body if case.whole else HEAD + case.body


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.id)
def test_malformed_scenario_gives_one_located_line(case: Bad, tmp_path, vocab):
    text = bad_text(case)
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_scenario(path, vocab)
    message = caught.value.one_line()
    where = f"{path}:{line_with(text, case.at)}" if case.at else str(path)
    field = f": field '{case.field}'" if case.field else ""
    assert message.startswith(f"{where}{field}: {case.message}"), message
    if not case.message.endswith((", ", ": ")):  # else a list of known names follows
        assert message == f"{where}{field}: {case.message}"
    assert "\n" not in message


@pytest.mark.parametrize(
    "case", [c for c in BAD if c.id in ("negative-count", "unknown-indicator", "from-after-to")]
)
@pytest.mark.parametrize("command", ["check", "run"])
def test_malformed_scenario_through_the_cli(case: Bad, command: str, tmp_path):
    text = bad_text(case)
    path = write(tmp_path, "bad.toml", text)
    result = run_cli("scenario", command, str(path), cwd=tmp_path, env=CONFIG_ENV)
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    line = f"{path}:{line_with(text, case.at)}: field '{case.field}': {case.message}"
    assert result.stderr.splitlines() == [f"fragwatch: error: {line}"]


def test_toml_syntax_error_names_the_line(tmp_path, vocab):
    path = write(tmp_path, "bad.toml", HEAD + "[[shock]]\nop = set\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}:5: TOML syntax error"):
        load_scenario(path, vocab)


def test_two_random_shocks_on_evidence_one_indicator_reads(tmp_path, vocab):
    text = HEAD + (
        '[[shock]]\nquantity = "migrant_returns"\nop = "multiply"\n'
        'distribution = "uniform"\nlow = 0.5\nhigh = 1.5\n\n'
        '[[shock]]\nquantity = "population"\nop = "multiply"\n'
        'distribution = "uniform"\nlow = 0.9\nhigh = 1.1\n'
    )
    path = write(tmp_path, "two.toml", text)
    scenario = load_scenario(path, vocab)
    with pytest.raises(ConfigError) as caught:
        check_composition(scenario, vocab)
    message = caught.value.one_line()
    assert message.startswith(f"{path}:{line_with(text, 'population') - 1}: field 'shock.1': ")
    assert "a second random shock on evidence that indicator 'migrant_returns' reads" in message


def test_cli_usage_errors(tmp_path):
    folder = tmp_path / "more"
    folder.mkdir()
    mixed = run_cli("scenario", "run", str(SCENARIOS / "mass-returns.toml"), str(folder))
    assert mixed.returncode == 2
    assert "not both" in mixed.stderr
    draws = run_cli("scenario", "run", "mass-returns", "--draws", "0")
    assert draws.returncode == 2
    assert "--draws" in draws.stderr
    assert len(draws.stderr.splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# Property: generated documents load or raise ConfigError, never anything else
# ---------------------------------------------------------------------------------------------

KEYS = [
    "indicator", "quantity", "op", "value", "distribution", "low", "high", "mode", "mean", "sd",
    "from", "to", "country", "kind", "date", "fatalities", "description", "period", "unit",
    "published", "every", "remittances_gdp", "migrant_returns", "economic", "bogus",
]  # fmt: skip
TEXTS = [
    "set", "add", "multiply", "uniform", "triangular", "normal", "remittances_gdp",
    "migrant_returns", "population", "opposition_repression", "border_raid", "armed_clash",
    "TJK", "XYZ", "persons", "percent", "tons", "kg", "2016", "2016-H1", "2016-05", "2016-02-30",
    "month", "week", "", "hypothetical",
]  # fmt: skip

scalars = st.one_of(
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e4, 1e6),
    st.sampled_from(TEXTS),
    st.text(max_size=8),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    ),
    max_leaves=8,
)
tables = st.dictionaries(st.sampled_from(KEYS), values, max_size=7)


def maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a plausible value, sometimes anything at all."""
    return st.one_of(valid, valid, valid, values)


numbers = st.one_of(st.integers(-10, 10**6), st.floats(-1e3, 1e6), st.sampled_from([0, 0.5, 1]))
days = st.one_of(st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)), st.sampled_from(TEXTS))
shock_tables = st.fixed_dictionaries(
    {
        "op": maybe(st.sampled_from(["set", "add", "multiply"])),
        "indicator": maybe(st.sampled_from(["remittances_gdp", "migrant_returns", "x"])),
    },
    optional={
        "quantity": maybe(st.sampled_from(["migrant_returns", "population", "heroin_seizures"])),
        "value": maybe(numbers),
        "distribution": maybe(st.sampled_from(["uniform", "triangular", "normal", "beta"])),
        **{k: maybe(numbers) for k in ("low", "high", "mode", "mean", "sd")},
        "from": maybe(days),
        "to": maybe(days),
        "country": maybe(st.sampled_from(["TJK", "XYZ"])),
    },
)
event_tables = st.fixed_dictionaries(
    {"kind": maybe(st.sampled_from(["border_raid", "riot", "alien"])), "date": maybe(days)},
    optional={
        "fatalities": maybe(numbers),
        "description": maybe(st.text(max_size=10)),
        "country": maybe(st.sampled_from(["TJK", "XYZ"])),
    },
)
observation_tables = st.fixed_dictionaries(
    {
        "quantity": maybe(st.sampled_from(["migrant_returns", "remittances_gdp", "x"])),
        "period": maybe(st.sampled_from(["2016", "2016-H1", "2016-05", "2016-13", 2016])),
        "unit": maybe(st.sampled_from(["persons", "percent", "%", "tons", "furlongs"])),
    },
    optional={
        **{k: maybe(numbers) for k in ("value", "low", "high")},
        "published": maybe(days),
    },
)
documents = st.fixed_dictionaries(
    {"name": maybe(st.just("generated")), "description": maybe(st.just("generated"))},
    optional={
        "as_of": st.one_of(
            st.dates(),
            values,
            st.fixed_dictionaries(
                {"from": maybe(days), "to": maybe(days)},
                optional={"every": maybe(st.sampled_from(["month", "quarter", "week"]))},
            ),
        ),
        "countries": st.one_of(st.just(["TJK"]), values),
        "shock": st.lists(st.one_of(shock_tables, tables), max_size=3),
        "event": st.lists(st.one_of(event_tables, tables), max_size=2),
        "observation": st.lists(st.one_of(observation_tables, tables), max_size=2),
        "weights": st.one_of(
            st.dictionaries(st.sampled_from(KEYS), st.floats(-2, 5) | scalars, max_size=3),
            scalars,
        ),
        "goalposts": st.one_of(
            st.dictionaries(st.sampled_from(KEYS), st.lists(scalars, max_size=3), max_size=2),
            scalars,
        ),
    },
)


def toml_value(value: object) -> str:
    """A tiny TOML writer for generated documents: inline values only."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(max(min(value, 2**63 - 1), -(2**63)))  # TOML integers are 64-bit
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(document: dict) -> str:
    lines = []
    arrays = {k: v for k, v in document.items() if k in ("shock", "event", "observation")}
    for key, value in document.items():
        if key not in arrays:
            lines.append(f"{key} = {toml_value(value)}")
    for key, entries in arrays.items():
        for entry in entries:
            lines.append(f"\n[[{key}]]")
            lines.extend(f"{k} = {toml_value(v)}" for k, v in entry.items())
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_generated_documents_load_or_raise_config_error(tmp_path_factory, vocab, document):
    path = tmp_path_factory.mktemp("generated") / "generated.toml"
    path.write_text(toml_document(document), encoding="utf-8")
    problem = None
    try:
        check_composition(load_scenario(path, vocab), vocab)
    except ConfigError as exc:
        problem = exc.one_line()
    event("accepted" if problem is None else "ConfigError")
    assert problem is None or "\n" not in problem


def test_the_generator_reaches_valid_documents(tmp_path, vocab):
    """The property test's writer produces documents the validator accepts, not only errors."""
    document = {
        "name": "generated",
        "description": "generated",
        "as_of": dt.date(2016, 6, 30),
        "shock": [
            {
                "indicator": "remittances_gdp",
                "op": "set",
                "distribution": "uniform",
                "low": 20.0,
                "high": 30.0,
            },
        ],
        "event": [{"kind": "border_raid", "date": dt.date(2016, 4, 1), "fatalities": 2}],
        "weights": {"economic": 2.0},
    }
    path = write(tmp_path, "generated.toml", toml_document(document))
    scenario = load_scenario(path, vocab)
    assert scenario.shocks[0].distribution.kind == "uniform"
    assert scenario.weights == {"economic": 2.0}


# ---------------------------------------------------------------------------------------------
# Results: reproducible, composable, independently checkable
# ---------------------------------------------------------------------------------------------


def test_deterministic_scenario_is_exactly_reproducible():
    first = run_cli("scenario", "run", str(SCENARIOS / "political-opening.toml"), "--json")
    second = run_cli("scenario", "run", str(SCENARIOS / "political-opening.toml"), "--json")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    [result] = json.loads(first.stdout)
    assert "draws" not in result["points"][0]


def test_random_scenario_is_reproducible_with_a_seed_only():
    args = ["scenario", "run", "mass-returns", "--json", "--draws", "500"]
    seeded = [run_cli(*args, "--seed", "7").stdout for _ in range(2)]
    assert seeded[0] == seeded[1]
    draws = json.loads(seeded[0])[0]["points"][0]["draws"]
    assert draws["seed"] == 7
    assert draws["n"] == 500
    unseeded = [json.loads(run_cli(*args).stdout)[0]["points"][0]["draws"] for _ in range(2)]
    assert unseeded[0]["seed"] != unseeded[1]["seed"]
    assert unseeded[0] != unseeded[1]


def shock_file(folder: Path, name: str, value: float, extra: str = "") -> Path:
    text = (
        f'name = "{name}"\ndescription = "sets remittances to {value}"\nas_of = 2016-06-30\n'
        f'[[shock]]\nindicator = "remittances_gdp"\nop = "set"\nvalue = {value}\n' + extra
    )
    return write(folder, f"{name}.toml", text)


def test_composition_order_matters_later_files_win(tmp_path, evidence, spec, vocab):
    a = shock_file(tmp_path, "a", 25, "[weights]\neconomic = 2\nsocial = 3\n")
    b = shock_file(
        tmp_path,
        "b",
        30,
        "[weights]\neconomic = 0.5\n"
        '[[shock]]\nindicator = "border_incidents"\nop = "add"\nvalue = 3\n',
    )
    ab = load_scenarios([a, b], vocab)
    ba = load_scenarios([b, a], vocab)
    assert ab.name == "a + b"
    # Same target: the later file's shocks replace the earlier file's.
    assert [(s.code, s.value) for s in ab.shocks] == [
        ("remittances_gdp", 30),
        ("border_incidents", 3),
    ]
    assert [(s.code, s.value) for s in ba.shocks] == [
        ("border_incidents", 3),
        ("remittances_gdp", 25),
    ]
    # Weights merge key by key, the later file's entry winning.
    assert ab.weights == {"economic": 0.5, "social": 3}
    assert ba.weights == {"economic": 2, "social": 3}
    after_ab = indicator_row(run(ab, evidence, spec, vocab), "remittances_gdp")
    after_ba = indicator_row(run(ba, evidence, spec, vocab), "remittances_gdp")
    assert after_ab["value_after"] == 30
    assert after_ba["value_after"] == 25


def test_events_and_observations_add_up_across_files(tmp_path, vocab):
    event = '[[event]]\nkind = "border_raid"\ndate = 2016-04-01\n'
    a = write(tmp_path, "a.toml", HEAD.replace('"test"', '"a"') + event)
    b = write(tmp_path, "b.toml", HEAD.replace('"test"', '"b"') + event)
    assert len(compose([load_scenario(a, vocab), load_scenario(b, vocab)]).events) == 2


def test_set_shock_moves_the_contribution_as_goalposts_and_weights_say(
    tmp_path, evidence, spec, vocab
):
    # model.toml: remittances_gdp has goalposts 0..40 and weight 1 of the economic dimension's
    # 4 (remittance change and growth 1, inflation and unemployment 0.5); four dimensions of
    # weight 1, all with evidence on 2016-06-30, when WDI's 27.30656 (2015) is the reading.
    path = shock_file(tmp_path, "set30", 30)
    row = indicator_row(
        run(load_scenarios([path], vocab), evidence, spec, vocab), "remittances_gdp"
    )
    share = (1 / 4) * (1 / 4)
    assert row["points_after"] == pytest.approx(100 * share * (30 - 0) / (40 - 0))  # 4.6875
    assert row["delta"] == pytest.approx(100 * share * (30 - 27.30656) / 40)

    reweighted = shock_file(
        tmp_path, "set30w", 30, "[weights]\neconomic = 2\n[goalposts]\nremittances_gdp = [10, 60]\n"
    )
    row = indicator_row(
        run(load_scenarios([reweighted], vocab), evidence, spec, vocab), "remittances_gdp"
    )
    # The economic dimension weighs 2 of 5 now; remittances still 1 of its 4.
    assert row["points_after"] == pytest.approx(100 * (2 / 5) * (1 / 4) * (30 - 10) / (60 - 10))


def test_quantity_shock_flows_through_the_per_population_indicator(tmp_path, evidence, spec, vocab):
    text = HEAD + '[[shock]]\nquantity = "migrant_returns"\nop = "set"\nvalue = 410000\n'
    result = run(load_scenarios([write(tmp_path, "q.toml", text)], vocab), evidence, spec, vocab)
    row = indicator_row(result, "migrant_returns")
    # The population the model reads on 2016-06-30: the latest published figure for 2015
    # (WDI's, published that day, supersedes the ICG briefing's 8.2 million for that year).
    obs = evidence.observations
    known = obs[(obs["country"] == "TJK") & (obs["quantity"] == "population")
                & (obs["period"] == "2015") & (obs["published"] <= AS_OF)]  # fmt: skip
    population = known.sort_values("published")["value"].iloc[-1]
    assert population != 8.2e6
    assert row["value_after"] == pytest.approx(410000 / population * 100)
    assert row["value_before"] == pytest.approx(350000 / population * 100)


def test_indicator_shock_window_and_as_of_range(tmp_path, evidence, spec, vocab):
    text = (
        'name = "w"\ndescription = "d"\n'
        '[as_of]\nfrom = 2016-01-01\nto = 2016-06-30\nevery = "month"\n'
        '[[shock]]\nindicator = "remittances_gdp"\nop = "multiply"\nvalue = 0.5\n'
        "from = 2016-04-01\n"
    )
    result = run(load_scenarios([write(tmp_path, "w.toml", text)], vocab), evidence, spec, vocab)
    changed = [p.as_of.month for p in result.points if abs(p.change) > 1e-9]
    assert [p.as_of.month for p in result.points] == [1, 2, 3, 4, 5, 6]
    assert changed == [4, 5, 6]


def test_hypothetical_event_is_cited_and_scored(tmp_path, evidence, spec, vocab):
    text = HEAD + '[[event]]\nkind = "border_raid"\ndate = 2016-06-01\nfatalities = 4\n'
    result = run(load_scenarios([write(tmp_path, "e.toml", text)], vocab), evidence, spec, vocab)
    row = indicator_row(result, "border_incidents")
    # A raid (severity 3) with 4 deaths, 29 days old, on top of the baseline's decayed incidents.
    added = 3 * (1 + 0.5 * math.log1p(4)) * 0.5 ** (29 / 365)
    assert row["value_after"] - row["value_before"] == pytest.approx(added)


def test_scenario_model_is_labelled_with_its_own_digest(tmp_path, evidence, spec, vocab):
    path = shock_file(tmp_path, "label", 30)
    result = run(load_scenarios([path], vocab), evidence, spec, vocab)
    assert result.model_digest != spec.digest
    assert result.baseline_digest == spec.digest
    assert result.model_name.endswith("+ scenario label")
    assert spec.model.framework_.indicators.loc["remittances_gdp", "weight"] == 1.0


def test_alerts_compared_with_the_baseline(tmp_path, evidence, spec, vocab, rules):
    # 31 January 2016: 45.5 (elevated) with remittances "more than 40 per cent of GDP" (the
    # remittances-dependence rule fires at 40). Halving remittances and lifting the
    # repression takes the score below 40 (moderate) and clears the remittance rule; lifting
    # the other report readings too keeps the band moving but no rule fires in both.
    text = (
        'name = "opening"\ndescription = "d"\nas_of = 2016-01-31\n'
        '[[shock]]\nindicator = "remittances_gdp"\nop = "set"\nvalue = 20\n'
        '[[shock]]\nindicator = "opposition_repression"\nop = "set"\nvalue = 0\n'
    )
    scenario = load_scenarios([write(tmp_path, "opening.toml", text)], vocab)
    result = run(scenario, evidence, spec, vocab, rules)
    (point,) = result.points
    assert (point.base_band, point.band) == ("elevated", "moderate")
    detail = result.details[0]
    assert [f.rule for f in detail.fire_now] == ["band-change"]
    assert [f.rule for f in detail.fire_no_longer] == ["remittances-dependence"]
    assert [f.rule for f in detail.fire_both] == []


# ---------------------------------------------------------------------------------------------
# Monte Carlo: vectorised draws agree with the ordinary path, draw by draw
# ---------------------------------------------------------------------------------------------


MC_SCENARIO = """
name = "mc"
description = "every kind of random shock"
[as_of]
from = 2014-01-01
to = 2016-12-31
every = "quarter"

[[shock]]
indicator = "remittances_gdp"
op = "set"
distribution = "triangular"
low = 20
mode = 25
high = 32

[[shock]]
indicator = "opposition_repression"
op = "multiply"
distribution = "uniform"
low = 0.2
high = 1.5
from = 2015-06-01

[[shock]]
quantity = "migrant_returns"
op = "multiply"
distribution = "normal"
mean = 1.2
sd = 0.3
low = 0.5

[[shock]]
quantity = "is_recruits"
op = "add"
distribution = "normal"
mean = 100
sd = 50
low = 0
high = 300

[[shock]]
quantity = "heroin_seizures"
op = "multiply"
distribution = "uniform"
low = 0.5
high = 2.0
from = 2008-01-01
to = 2008-12-31
"""


WINDOW_MAX = """
[[shock]]
quantity = "militants_near_border"
op = "multiply"
distribution = "uniform"
low = 0.5
high = 2.0
from = 2015-10-01

[goalposts]
militants_across_border = [0, 10000]
"""


@pytest.mark.parametrize("variant", ["numerators", "denominator", "window-max"])
def test_monte_carlo_equals_the_ordinary_path_on_sampled_draws(
    tmp_path, evidence, spec, vocab, variant
):
    text = MC_SCENARIO
    if variant == "denominator":  # a random population: a ratio, still a Mobius curve
        text = text.replace('quantity = "is_recruits"', 'quantity = "population"').replace(
            "mean = 100\nsd = 50\nlow = 0\nhigh = 300", "mean = 0\nsd = 1e6\nlow = -2e6\nhigh = 2e6"
        )
        text = text.replace('quantity = "migrant_returns"', 'indicator = "migrant_returns"')
    if variant == "window-max":  # a maximum with kinks: read between 65 nodes
        text += WINDOW_MAX
    scenario = load_scenarios([write(tmp_path, "mc.toml", text)], vocab)
    prepared = prepare(scenario, evidence, spec, vocab, scenario.as_of.dates())
    simulation = simulate(prepared, 3_000, seed=11)
    assert simulation.scores.shape == (3_000, len(prepared.dates))
    for d in range(0, 3_000, 250):
        values = prepared.central_values()
        for i, drawn in simulation.values.items():
            values[i] = float(drawn[d])
        _, scores, _ = prepared.evaluate(values)
        exact = scores.score.to_numpy()
        np.testing.assert_array_equal(np.isnan(exact), np.isnan(simulation.scores[d]))
        # Near a kink of the window maximum a draw may be off by a fraction of the node spacing.
        # A random population feeds five per-head indicators; when their curves do not pass
        # the exact-ratio check to 1e-10, draws are read between nodes, likewise.
        tolerance = 0.01 if variant in ("window-max", "denominator") else 1e-9
        np.testing.assert_allclose(simulation.scores[d], exact, rtol=0, atol=tolerance)


def test_monte_carlo_draws_are_reproducible_and_within_bounds(tmp_path, evidence, spec, vocab):
    scenario = load_scenarios([write(tmp_path, "mc.toml", MC_SCENARIO)], vocab)
    prepared = prepare(scenario, evidence, spec, vocab, scenario.as_of.dates())
    a, b = simulate(prepared, 1_000, seed=3), simulate(prepared, 1_000, seed=3)
    np.testing.assert_array_equal(a.scores, b.scores)
    assert not np.array_equal(a.scores, simulate(prepared, 1_000, seed=4).scores)
    assert 20 <= a.values[0].min() <= a.values[0].max() <= 32
    assert a.values[2].min() >= 0.5
    assert 0 <= a.values[3].min() <= a.values[3].max() <= 300


def test_distribution_medians_and_quantiles():
    p = np.array([1e-12, 0.001, 0.02425, 0.2, 0.5, 0.8, 0.97575, 0.999, 1 - 1e-12])
    exact = np.array([NormalDist().inv_cdf(x) for x in p])
    np.testing.assert_allclose(standard_normal_ppf(p), exact, rtol=2e-9, atol=1e-12)
    assert Distribution("triangular", low=0, mode=1, high=1).median() == pytest.approx(
        math.sqrt(0.5)
    )
    assert Distribution("uniform", low=20, high=30).median() == 25
    bounded = Distribution("normal", mean=0, sd=1, low=0)
    assert bounded.median() == pytest.approx(NormalDist().inv_cdf(0.75))
    far = Distribution("normal", mean=0, sd=1, low=6, high=7)
    draws = far.draw(10_000, np.random.default_rng(0))
    assert 6 <= draws.min() <= draws.max() <= 7
    assert np.median(draws) == pytest.approx(far.median(), abs=0.01)


# ---------------------------------------------------------------------------------------------
# The shipped scenarios, the chart, and no side effects
# ---------------------------------------------------------------------------------------------


def test_shipped_scenarios_check_and_run():
    checked = run_cli("scenario", "check")
    assert checked.returncode == 0, checked.stderr
    assert len(checked.stdout.splitlines()) == len(SHIPPED)
    result = run_cli("scenario", "run", "--seed", "1", "--draws", "2000")
    assert result.returncode == 0, result.stderr
    rows = [line.split()[0] for line in result.stdout.splitlines()[1 : 1 + len(SHIPPED)]]
    assert rows == SHIPPED
    for name in SHIPPED:
        single = run_cli("scenario", "run", name, "--seed", "1", "--draws", "2000")
        assert single.returncode == 0, single.stderr
        assert single.stdout.startswith(f"scenario {name} ({name}.toml)")
        assert "alert rules, compared with the baseline:" in single.stdout


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_quotes_its_source_verbatim(name, evidence, vocab):
    scenario = load_scenario(SCENARIOS / f"{name}.toml", vocab)
    text = " ".join(scenario.description.split())
    cited = re.search(r"\(([a-z0-9.-]+-\d{4})\): \"(.+)\"", text)
    assert cited, f'{name}: no (source-id): "quote" in the description'
    source, quote = cited.groups()
    assert quote in " ".join(evidence.texts[source].split()), f"{name}: not verbatim"


def test_chart_is_a_png(tmp_path):
    chart = tmp_path / "scenarios.png"
    result = run_cli("scenario", "run", "--seed", "1", "--draws", "500", "--chart", str(chart))
    assert result.returncode == 0, result.stderr
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(chart) as image:
        image.verify()
        assert image.format == "PNG"
    assert not list(tmp_path.glob(".*partial"))


def test_scenario_run_never_touches_the_store_outbox_or_mail(tmp_path, start_server):
    handler = Recorder()
    port = free_port()
    start_server(handler, port=port)
    work = tmp_path / "work"
    work.mkdir()
    store, outbox = tmp_path / "store.db", tmp_path / "outbox"
    env = {
        "FRAGWATCH_CONFIG_DIR": str(REPO / "config"),
        "FRAGWATCH_DATABASE_URL": f"sqlite:///{store}",
        "FRAGWATCH_OUTBOX_DIR": str(outbox),
        "FRAGWATCH_SMTP__HOST": "127.0.0.1",
        "FRAGWATCH_SMTP__PORT": str(port),
        "FRAGWATCH_SMTP__SECURITY": "none",
    }
    for args in (["--seed", "1", "--draws", "500"], ["border-escalation", "--json"]):
        result = run_cli("scenario", "run", *args, cwd=work, env=env)
        assert result.returncode == 0, result.stderr
    assert not store.exists()
    assert not outbox.exists()
    assert list(work.iterdir()) == []
    assert handler.received == []

    # An existing store is not opened either: its bytes stay as they were.
    store.write_bytes(b"not even a database: opening it would fail")
    before = store.read_bytes()
    result = run_cli("scenario", "run", "mass-returns", "--seed", "1", cwd=work, env=env)
    assert result.returncode == 0, result.stderr
    assert store.read_bytes() == before
    assert not outbox.exists()
    assert handler.received == []


def test_monte_carlo_aggregation_falls_back_when_known_cells_differ_by_draw(spec):
    from fragwatch.scenarios.montecarlo import _Fixed
    from fragwatch.scoring.aggregate import aggregate

    model = spec.model
    ind = model.framework_.indicators
    params = {
        "lo": ind["lo"].to_numpy(float),
        "hi": ind["hi"].to_numpy(float),
        "direction": ind["direction"].to_numpy(float),
        "weight": ind["weight"].to_numpy(float),
        "position": model.positions_,
        "dimension_weight": model.framework_.dimension_weights.to_numpy(float),
        "min_coverage": float(model.min_coverage),
    }
    rng = np.random.default_rng(5)
    reference = rng.uniform(-10, 60, size=(6, len(ind)))
    reference[0, 3] = np.nan
    fixed = _Fixed(reference, [0, 3], params)
    block = np.repeat(reference[None], 4, axis=0)
    block[:, :, 0] = rng.uniform(0, 50, size=(4, 6))
    expected = aggregate(block.reshape(-1, len(ind)), **params).score.reshape(4, 6)
    np.testing.assert_allclose(fixed.score(block), expected, rtol=0, atol=1e-12)
    block[1, 2, 3] = np.nan  # an indicator unknown in one draw only: the full aggregation
    expected = aggregate(block.reshape(-1, len(ind)), **params).score.reshape(4, 6)
    np.testing.assert_array_equal(fixed.score(block), expected)


def test_as_of_option_overrides_the_scenario_date():
    result = run_cli("scenario", "run", "political-opening", "--as-of", "2016-12-31", "--json")
    assert result.returncode == 0, result.stderr
    [scenario] = json.loads(result.stdout)
    assert [p["as_of"] for p in scenario["points"]] == ["2016-12-31"]
    bad = run_cli("scenario", "run", "political-opening", "--as-of", "2016-13-01")
    assert bad.returncode == 2
    assert bad.stderr.startswith("fragwatch: error: --as-of: ")


def test_missing_scenario_names_both_places_it_looked(tmp_path):
    result = run_cli("scenario", "run", "no-such-scenario", cwd=tmp_path, env=CONFIG_ENV)
    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        "fragwatch: error: no-such-scenario: no such file, nor "
        f"{REPO / 'config' / 'scenarios' / 'no-such-scenario.toml'}"
    ]


def test_random_shock_on_evidence_no_indicator_reads(tmp_path, evidence, spec, vocab):
    text = HEAD + (
        '[[shock]]\nquantity = "drug_trade_gdp"\nop = "multiply"\n'
        'distribution = "uniform"\nlow = 0.5\nhigh = 1.5\n'
    )
    result = run(
        load_scenarios([write(tmp_path, "inert.toml", text)], vocab), evidence, spec, vocab
    )
    [point] = result.points
    assert point.draws.low == point.draws.high == pytest.approx(point.base_score, abs=1e-9)
