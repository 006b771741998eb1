"""Property tests: any input to the readers ends in a result or the project's own error.

Each reader gets 10,000 generated inputs: a good file (a shipped fixture or a small valid table)
with random damage applied: cells replaced by hostile values (non-finite numbers, huge figures,
control characters, quotes, separators, unknown names), bytes deleted, inserted or cut off.
The reader must return, or raise a ``FragwatchError`` (the type the CLI turns into one located
line); any other exception is a crash and fails the test. The readers are called in-process,
so the 10,000 inputs each take seconds, not an hour of subprocesses.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fragwatch.errors import FragwatchError

from .conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "open_data"
# 10,000 per reader is the full run (`make property`, see docs/reliability.md); `make test` runs
# fewer so that the suite stays within its time on two shared cores.
EXAMPLES = int(os.environ.get("FRAGWATCH_PROPERTY_EXAMPLES", "300"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE = [
    "", " ", "inf", "-inf", "+inf", "Infinity", "nan", "NaN", "1e400", "-1e400", "1e308",
    "-0", "0x10", "1_000", "1,5", "12%", "  7  ", "\x00", "\t", "\r", "\n", '"', '""', "'",
    ",", ";", "\ufeff", "\u00e9", "\u202e", "A" * 300, "2016-02-30", "2999-01-01", "0000-00-00",
    "9999-12-31", "2015-Q5", "2015-H3", "2015-13", "TJK", "tjk", "XXX", "remitances_gdp",
    "border_rade", "percent", "furlongs", "-1", "2.5", "99999999999999999999",
]  # fmt: skip
cells = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))


def mutations(text: str):
    """Random damage to ``text``: cell replacements, then byte-level cuts and inserts."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    width = max(len(r) for r in rows)
    cell_edits = st.lists(
        st.tuples(st.integers(0, len(rows) - 1), st.integers(0, width - 1), cells), max_size=4
    )
    byte_edits = st.lists(
        st.tuples(
            st.sampled_from(["delete", "insert", "truncate"]),
            st.floats(0, 1),
            st.text(max_size=3),
        ),
        max_size=2,
    )

    def apply(edits) -> bytes:
        cells_, bytes_ = edits
        table = [list(r) for r in rows]
        for row, column, value in cells_:
            if column < len(table[row]):
                table[row][column] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(table)
        data = out.getvalue().encode("utf-8", "surrogatepass")
        for kind, where, extra in bytes_:
            at = int(where * len(data))
            if kind == "delete":
                data = data[:at] + data[at + 1 :]
            elif kind == "insert":
                data = data[:at] + extra.encode("utf-8", "surrogatepass") + data[at:]
            else:
                data = data[:at]
        return data

    return st.tuples(cell_edits, byte_edits).map(apply)


def only_own_errors(call) -> None:
    with contextlib.suppress(FragwatchError):  # a located error is a fine answer
        call()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


# -- evidence files ---------------------------------------------------------------------------

SOURCES = (
    "source_id,title,publisher,published,kind,file\n"
    "test-src,Test report,Test publisher,2016-04-01,report,report.txt\n"
)
TEXT = (
    "The test country saw remittances fall to 30 per cent of GDP in 2015. "
    "Border clashes killed 3 people in March 2016.\n"
)
OBSERVATIONS = (
    "obs_id,country,quantity,period,value,low,high,unit,source_id,quote,published\n"
    "o1,XYZ,remittances_gdp,2015,30,,,percent,test-src,remittances fall to 30 per cent of GDP,"
    "2016-04-01\n"
    "o2,XYZ,remittances_gdp,2014,,20,40,%,test-src,remittances fall,2016-04-01\n"
)
EVENTS = (
    "event_id,country,date,kind,fatalities,description,source_id,quote,published\n"
    "e1,XYZ,2016-03,border_clash,3,clash,test-src,Border clashes killed 3 people,2016-04-01\n"
    "e2,XYZ,2016-03-02,riot,,riot,test-src,Border clashes,2016-04-01\n"
)


def evidence_folder(folder: Path) -> Path:
    ev = folder / "ev"
    if not ev.exists():
        (ev / "texts").mkdir(parents=True)
        (ev / "texts" / "report.txt").write_text(TEXT, encoding="utf-8")
        (ev / "sources.csv").write_text(SOURCES, encoding="utf-8")
        (ev / "observations.csv").write_text(OBSERVATIONS, encoding="utf-8")
        (ev / "events.csv").write_text(EVENTS, encoding="utf-8")
    return ev


@PROPERTY
@given(data=mutations(OBSERVATIONS))
def test_observation_files_never_crash(data: bytes, folder: Path) -> None:
    from fragwatch.evidence.files import load_evidence

    ev = evidence_folder(folder)
    (ev / "observations.csv").write_bytes(data)
    only_own_errors(lambda: load_evidence([ev], include_default=False))


@PROPERTY
@given(data=mutations(EVENTS))
def test_event_files_never_crash(data: bytes, folder: Path) -> None:
    from fragwatch.evidence.files import load_evidence

    ev = evidence_folder(folder)
    (ev / "observations.csv").write_text(OBSERVATIONS, encoding="utf-8")
    (ev / "events.csv").write_bytes(data)
    only_own_errors(lambda: load_evidence([ev], include_default=False))


# -- open-data loaders ------------------------------------------------------------------------

WDI = (FIXTURES / "wdi_bulk_remittances.csv").read_text(encoding="utf-8-sig")
UCDP = (FIXTURES / "ucdp_ged_sample_v24_1.csv").read_text(encoding="utf-8")
ACLED = (FIXTURES / "acled_sample.csv").read_text(encoding="utf-8")


@PROPERTY
@given(data=mutations(WDI))
def test_wdi_bulk_files_never_crash(data: bytes, folder: Path) -> None:
    from datetime import date

    from fragwatch.evidence.loaders import wdi

    path = folder / "wdi.csv"
    path.write_bytes(data)

    def read() -> None:
        download = wdi.read_wdi(path)
        wdi.observations(
            download,
            released=download.released or date(2025, 7, 1),
            source_id="wdi-test",
            token="abc123",
            countries=None,
            indicators=None,
            unit=None,
        )

    only_own_errors(read)


def _convert_all(path: Path, module, options, required) -> None:
    from fragwatch.evidence.loaders.export import Export

    export = Export.open(path, module.DATASET, required(Export.open(path, module.DATASET, [])))
    for offset, batch in export.blocks():
        module.convert_block(export, options, offset, batch)


@PROPERTY
@given(data=mutations(UCDP))
def test_ucdp_files_never_crash(data: bytes, folder: Path) -> None:
    from datetime import date

    from fragwatch.evidence.loaders import ucdp

    path = folder / "ged_v24_1.csv"
    path.write_bytes(data)
    options = ucdp.UcdpOptions("24.1-test", "ucdp-test", None, date(2024, 6, 30))
    only_own_errors(
        lambda: _convert_all(path, ucdp, options, lambda e: ucdp.required_columns(e.header))
    )


@PROPERTY
@given(data=mutations(ACLED))
def test_acled_files_never_crash(data: bytes, folder: Path) -> None:
    from datetime import date

    from fragwatch.evidence.loaders import acled

    path = folder / "acled.csv"
    path.write_bytes(data)
    options = acled.AcledOptions("test", "acled-test", None, date(2024, 1, 1))
    only_own_errors(lambda: _convert_all(path, acled, options, lambda e: acled.REQUIRED))


# -- ledgers, panels, frameworks, scenarios ---------------------------------------------------

LEDGER = (REPO / "config" / "ledgers" / "tjk-crises.csv").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def shipped_evidence():
    from fragwatch.evidence.files import load_evidence

    return load_evidence([])


@PROPERTY
@given(data=mutations(LEDGER))
def test_ledgers_never_crash(data: bytes, folder: Path, shipped_evidence) -> None:
    from fragwatch.evidence.ledger import read_ledger

    path = folder / "ledger.csv"
    path.write_bytes(data)
    only_own_errors(lambda: read_ledger(path, shipped_evidence))


FRAMEWORK = (
    "code,parent,direction,weight,lo,hi\na,d1,1,1,0,10\nb,d2,-1,2,0,100\nd1,,,1,,\nd2,,,1,,\n"
)
PANEL = "unit,period,a,b\nx,2020,5,50\ny,2020,7,20\nz,2021,,3\n"


@PROPERTY
@given(data=mutations(PANEL))
def test_panels_never_crash(data: bytes, folder: Path) -> None:
    from fragwatch.panelio import read_framework, read_panel
    from fragwatch.scoring.model import FragilityModel

    fw = folder / "fw.csv"
    if not fw.exists():
        fw.write_text(FRAMEWORK, encoding="utf-8")
    table, _ = read_framework(fw)
    model = FragilityModel(table).fit()
    path = folder / "panel.csv"
    path.write_bytes(data)

    def score() -> None:
        model.score(read_panel(path, model.framework_))

    only_own_errors(score)


@PROPERTY
@given(data=mutations(FRAMEWORK))
def test_frameworks_never_crash(data: bytes, folder: Path) -> None:
    from fragwatch.panelio import read_framework
    from fragwatch.scoring.model import FragilityModel

    path = folder / "framework.csv"
    path.write_bytes(data)

    def fit() -> None:
        table, _ = read_framework(path)
        FragilityModel(table).fit()

    only_own_errors(fit)


SCENARIO = (REPO / "config" / "scenarios" / "remittance-collapse.toml").read_text(encoding="utf-8")
SCENARIO_LINES = SCENARIO.splitlines()


@pytest.fixture(scope="module")
def vocab(shipped_evidence):
    from fragwatch.scenarios.vocabulary import vocabulary
    from fragwatch.settings import load_model_spec

    return vocabulary(load_model_spec(REPO / "config" / "model.toml"), shipped_evidence)


TOML_VALUES = [
    "nan", "inf", "-inf", "1e400", "-1", "0", "1e308", '"x"', "[]", "{}", "true", "2016-02-30",
    "9999-12-31", '"remitances_gdp"', '"set"', '"triangular"', "[nan, inf]",
]  # fmt: skip
toml_values = st.one_of(st.sampled_from(TOML_VALUES), st.text(max_size=8))


@PROPERTY
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(SCENARIO_LINES) - 1), toml_values, st.booleans()),
        max_size=4,
    )
)
def test_scenarios_never_crash(edits, folder: Path, vocab) -> None:
    from fragwatch.settings.scenarios import load_scenario

    lines = list(SCENARIO_LINES)
    for at, value, drop in edits:
        if drop:
            lines[at] = ""
        elif "=" in lines[at]:
            lines[at] = lines[at].split("=")[0] + "= " + value
        else:
            lines[at] = value
    path = folder / "s.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    only_own_errors(lambda: load_scenario(path, vocab))


def test_the_damage_reaches_the_checks(folder: Path) -> None:
    """The generator's hostile values are refused by the readers, not skipped over."""
    from fragwatch.evidence.files import load_evidence

    ev = folder / "check"
    shutil.copytree(evidence_folder(folder), ev)
    (ev / "observations.csv").write_text(OBSERVATIONS.replace(",30,", ",inf,"), "utf-8")
    (ev / "events.csv").write_text(EVENTS, encoding="utf-8")
    with pytest.raises(FragwatchError, match=r"observations\.csv:2: field 'value'"):
        load_evidence([ev], include_default=False)
