"""The bad-input catalogue: several hundred broken inputs, each refused cleanly.

Every case gives the real ``fragwatch`` command one bad input, in a working folder that holds a
live service state: a store after a real ``run-once`` (assessments, alert state, an outbox), the
``.eml`` outbox, an evidence library with one WDI import, and a copy of ``config/``. Each case
must:

* exit with the code of its kind of error (2 usage, 3 config, 4 evidence, 5 panel, 6 store);
* print exactly one line on stderr, ``fragwatch: error: ...``, naming what the case can name
  (the file, the line or row, the field or option), and nothing on stdout; no traceback;
* leave the stored state byte for byte as it was: the database (as a logical dump), the outbox,
  the evidence library, the config and every input file, and write no file anywhere else under
  the working folder.

The commands run in one long-lived worker process (tests/cli_worker.py) that calls the CLI's
``main`` for each case; starting Python and pandas 300 times would take most of the run.
``docs/reliability.md`` has the summary by kind of input.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "open_data"
PREFIX = "fragwatch: error: "
USAGE, CONFIG, EVIDENCE, PANEL, STORE = 2, 3, 4, 5, 6


# ---------------------------------------------------------------------------------------------
# The worker and the live state every case starts from
# ---------------------------------------------------------------------------------------------


class Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "cli_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )

    def run(self, argv: list[str], cwd: Path, env: dict[str, str]) -> dict:
        request = {"argv": argv, "cwd": str(cwd), "env": env}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, "the worker process died"
        return json.loads(answer)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()


def base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k in keep}


@pytest.fixture(scope="module")
def template(tmp_path_factory, worker) -> Path:
    """A working folder with a live store, an outbox and an evidence library."""
    root = tmp_path_factory.mktemp("template")
    shutil.copytree(REPO / "config", root / "config")
    done = worker.run(["run-once"], root, base_env())
    assert done["code"] == 0, done
    wdi = root / "downloads" / "wdi.csv"
    wdi.parent.mkdir()
    shutil.copyfile(FIXTURES / "wdi_bulk_remittances.csv", wdi)
    done = worker.run(["import", "wdi", str(wdi)], root, base_env())
    assert done["code"] == 0, done
    shutil.rmtree(wdi.parent)
    (root / "report.txt").write_text(REPORT, encoding="utf-8")
    done = worker.run([*EXTRACT, "--out", "candidates.csv"], root, base_env())
    assert done["code"] == 0, done
    assert list((root / "var" / "outbox").glob("*.eml"))
    assert [p for p in (root / "var" / "evidence").iterdir() if not p.name.startswith(".")]
    return root


def dump_database(path: Path) -> str:
    """The store's rows as SQL text: what it holds, whatever SQLite's page layout."""
    if not path.is_file() or path.stat().st_size == 0:
        return repr(path.read_bytes()) if path.is_file() else "(none)"
    try:
        raw = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
        try:
            return "\n".join(raw.iterdump())
        finally:
            raw.close()
    except sqlite3.DatabaseError:
        return repr(path.read_bytes())  # not a database (the case made it so): its bytes


def snapshot(root: Path) -> dict[str, object]:
    """Every path under root: a file's bytes (a database's dump), a link's target, a folder."""
    found: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if name.endswith(("-wal", "-shm", ".db.lock")):
            continue  # SQLite's and the cycle lock's side files come and go
        if path.is_symlink():
            found[name] = ("link", os.readlink(path))
        elif path.is_fifo() or path.is_socket():
            found[name] = "special"
        elif path.is_dir():
            found[name] = None
        elif path.suffix == ".db":
            found[name] = dump_database(path)
        else:
            found[name] = path.read_bytes()
    return found


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    argv: list[str]
    code: int
    expect: tuple[str, ...]  # fragments the one-line message must contain
    setup: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    group: str = ""


CASES: list[Case] = []


def case(group: str, id: str, argv, code, expect, setup=None, **env) -> None:
    CASES.append(Case(f"{group}-{id}", list(argv), code, tuple(expect), setup, env, group))


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def csv_text(header: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


# -- evidence files ---------------------------------------------------------------------------

TEXT = (
    "The test country saw remittances fall to 30 per cent of GDP in 2015. "
    "Border clashes killed 3 people in March 2016.\n"
)
SOURCE = {
    "source_id": "test-src",
    "title": "Test report",
    "publisher": "Test publisher",
    "published": "2016-01-11",
    "kind": "report",
    "file": "report.txt",
}
OBS = {
    "obs_id": "xyz-remittances-2015",
    "country": "XYZ",
    "quantity": "remittances_gdp",
    "period": "2015",
    "value": "30",
    "low": "",
    "high": "",
    "unit": "percent",
    "source_id": "test-src",
    "quote": "remittances fall to 30 per cent of GDP",
    "published": "2016-01-11",
}
EVENT = {
    "event_id": "xyz-clash-2016-03",
    "country": "XYZ",
    "date": "2016-03",
    "kind": "border_clash",
    "fatalities": "3",
    "description": "Border clashes",
    "source_id": "test-src",
    "quote": "Border clashes killed 3 people in March 2016",
    "published": "2016-04-01",
}
SOURCE["published"] = "2016-04-01"
OBS["published"] = "2016-04-01"


def evidence_folder(source=None, obs=None, event=None):
    def setup(work: Path) -> None:
        folder = work / "in" / "ev"
        write(folder / "texts" / "report.txt", TEXT)
        s = {**SOURCE, **(source or {})}
        write(folder / "sources.csv", csv_text(list(s), [s]))
        o = {**OBS, **(obs or {})}
        write(folder / "observations.csv", csv_text(list(o), [o]))
        e = {**EVENT, **(event or {})}
        write(folder / "events.csv", csv_text(list(e), [e]))

    return setup


EVIDENCE_COMMANDS = {
    "validate": ["evidence", "validate", "in/ev"],
    "assess": ["--evidence", "in/ev", "assess", "--as-of", "2016-06-30"],
}
NON_FINITE = ["inf", "-inf", "nan", "NaN", "1e400", "-1e400", "Infinity", "+inf"]


def evidence_cases() -> None:
    for command, argv in EVIDENCE_COMMANDS.items():

        def add(id, expect, command=command, argv=argv, **kw):
            case("evidence", f"{command}-{id}", argv, EVIDENCE, expect, evidence_folder(**kw))

        for column in ("value", "low", "high"):
            for bad in NON_FINITE:
                add(
                    f"obs-{column}-{bad}",
                    ("observations.csv:2", f"field '{column}'", "finite"),
                    obs={column: bad},
                )
        for bad in ("inf", "nan", "1e400", "-inf"):
            add(
                f"event-fatalities-{bad}",
                ("events.csv:2", "field 'fatalities'", "finite"),
                event={"fatalities": bad},
            )
        for typo, near in (
            ("remitances_gdp", "remittances_gdp"),
            ("remittances_gpd", "remittances_gdp"),
            ("heroin_seizure", "heroin_seizures"),
            ("migrant_return", "migrant_returns"),
        ):
            add(
                f"quantity-{typo}",
                ("observations.csv:2", "field 'quantity'", f"did you mean {near}?"),
                obs={"quantity": typo},
            )
        add(
            "quantity-unrelated",
            ("observations.csv:2", "field 'quantity'", "unknown quantity 'banana_exports'"),
            obs={"quantity": "banana_exports"},
        )
        for typo, near in (
            ("border_rade", "border_raid"),
            ("armed_clsh", "armed_clash"),
            ("suicide_bomb", "suicide_bombing"),
        ):
            add(
                f"kind-{typo}",
                ("events.csv:2", "field 'kind'", f"did you mean {near}?"),
                event={"kind": typo},
            )
        for quantity, unit, value in (
            ("remittances_gdp", "percent", "150"),
            ("remittances_gdp", "%", "-5"),
            ("territorial_control", "percent", "101"),
            ("population", "persons", "-1"),
            ("conflict_deaths", "deaths", "-3"),
            ("conflict_death_rate", "per 100,000", "200000"),
        ):
            add(
                f"range-{quantity}-{value}",
                ("observations.csv:2", "field 'value'", "outside the possible range", quantity),
                obs={"quantity": quantity, "unit": unit, "value": value},
            )
        add(
            "range-high-bound",
            ("observations.csv:2", "field 'value'", "outside the possible range"),
            obs={"value": "", "low": "20", "high": "120"},
        )
        for table, where in (("obs", "observations.csv:2"), ("event", "events.csv:2")):
            for year in ("2999-01-01", "2099-01-01"):
                add(
                    f"{table}-published-{year}",
                    (where, "field 'published'", "in the future"),
                    **{table: {"published": year}},
                )
        add(
            "source-published-future",
            ("sources.csv:2", "field 'published'", "in the future"),
            source={"published": "2999-01-01"},
        )
        add(
            "nul-in-quote",
            ("observations.csv:2", "NUL"),
            obs={"quote": "remittances fall\x00 to 30 per cent of GDP"},
        )


evidence_cases()


def bom_then_latin1(work: Path) -> None:
    evidence_folder()(work)
    path = work / "in" / "ev" / "observations.csv"
    data = b"\xef\xbb\xbf" + path.read_bytes().replace(b"remittances fall", b"remittances f\xe9ll")
    path.write_bytes(data)


BOM_OFFSET = 3 + csv_text(list(OBS), [OBS]).encode().index(b"remittances fall") + 13
for command, argv in EVIDENCE_COMMANDS.items():
    case(
        "evidence",
        f"{command}-bom-then-latin1",
        argv,
        EVIDENCE,
        ("observations.csv:2", f"byte 0xe9 at offset {BOM_OFFSET}"),
        bom_then_latin1,
    )


# -- open-data imports ------------------------------------------------------------------------


def copy_edited(name: str, target: str, edit: Callable[[str], str] | None = None):
    def setup(work: Path) -> None:
        text = (FIXTURES / name).read_text(encoding="utf-8-sig")
        bom = (FIXTURES / name).read_bytes().startswith(b"\xef\xbb\xbf")
        text = edit(text) if edit else text
        write(work / "in" / target, (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))

    return setup


def set_csv_cell(text: str, row: int, column: str, value: str) -> str:
    """The CSV text with one cell (data row ``row``, 0-based, under ``column``) replaced."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    rows[row + 1][header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def set_wdi_cell(text: str, year: str, value: str) -> str:
    lines = text.split("\n")
    header = next(csv.reader([next(line for line in lines if line.startswith('"Country Name"'))]))
    for i, line in enumerate(lines):
        if line.startswith('"Tajikistan"'):
            cells = next(csv.reader([line]))
            cells[header.index(year)] = value
            lines[i] = ",".join(f'"{c}"' for c in cells[:-1]) + ","
    return "\n".join(lines)


def import_cases() -> None:
    for bad in NON_FINITE:
        case(
            "import-wdi",
            f"bulk-{bad}",
            ["import", "wdi", "in/wdi.csv"],
            EVIDENCE,
            ("wdi.csv:6", "field '2015'", "finite"),
            copy_edited(
                "wdi_bulk_remittances.csv", "wdi.csv", lambda t, b=bad: set_wdi_cell(t, "2015", b)
            ),
        )
    for bad in ("Infinity", "-Infinity", "NaN", "1e400"):

        def api(text: str, b=bad) -> str:
            return re.sub(r'"value":\s*[0-9.]+', f'"value":{b}', text, count=1)

        case(
            "import-wdi",
            f"api-{bad}",
            ["import", "wdi", "in/wdi.json"],
            EVIDENCE,
            ("wdi.json", "field 'value'", "finite"),
            copy_edited("wdi_api_remittances_TJK.json", "wdi.json", api),
        )
    for column in ("best", "low", "high"):
        for bad in ("inf", "nan", "1e400", "-1"):
            case(
                "import-ucdp",
                f"{column}-{bad}",
                ["import", "ucdp", "in/ged_v24_1.csv"],
                EVIDENCE,
                ("ged_v24_1.csv:2", f"field '{column}'"),
                copy_edited(
                    "ucdp_ged_sample_v24_1.csv",
                    "ged_v24_1.csv",
                    lambda t, c=column, b=bad: set_csv_cell(t, 0, c, b),
                ),
            )
    for bad in ("inf", "nan", "1e400", "-1", "2.5"):
        case(
            "import-acled",
            f"fatalities-{bad}",
            ["import", "acled", "in/acled.csv"],
            EVIDENCE,
            ("acled.csv:2", "field 'fatalities'"),
            copy_edited(
                "acled_sample.csv",
                "acled.csv",
                lambda t, b=bad: set_csv_cell(t, 0, "fatalities", b),
            ),
        )
    for dataset in ("wdi", "ucdp", "acled"):
        case(
            f"import-{dataset}",
            "folder",
            ["import", dataset, "in/folder_v24_1"],
            EVIDENCE,
            ("in/folder_v24_1", "not a file"),
            lambda work: (work / "in" / "folder_v24_1").mkdir(parents=True),
        )
        case(
            f"import-{dataset}",
            "missing",
            ["import", dataset, "in/none_v24_1.csv"],
            EVIDENCE,
            ("in/none_v24_1.csv", "no such file"),
        )
    for dataset, fixture, target in (
        ("ucdp", "ucdp_ged_sample_v24_1.csv", "ged_v24_1.csv"),
        ("acled", "acled_sample.csv", "acled.csv"),
    ):
        argv = ["import", dataset, f"in/{target}", "--monthly"]
        setup = copy_edited(fixture, target)

        def folder_out(work: Path, setup=setup) -> None:
            setup(work)
            (work / "out").mkdir()

        def readonly_out(work: Path, setup=setup) -> None:
            setup(work)
            (work / "out").mkdir()
            (work / "out").chmod(0o555)

        def link_out(work: Path, setup=setup) -> None:
            setup(work)
            (work / "out.csv").symlink_to(work / "config" / "model.toml")

        for id, path, expect, prepare in (
            ("xlsx", "m.xlsx", ("--monthly", "'.xlsx'"), setup),
            ("no-folder", "nowhere/m.csv", ("--monthly", "does not exist"), setup),
            ("is-folder", "out", ("--monthly", "is a directory"), folder_out),
            ("read-only-folder", "out/m.csv", ("--monthly", "read-only"), readonly_out),
            ("symlink", "out.csv", ("--monthly", "symbolic link"), link_out),
            ("device", "/dev/null", ("--monthly", "not a regular file"), setup),
        ):
            case(f"import-{dataset}", f"monthly-{id}", [*argv, path], USAGE, expect, prepare)


import_cases()


# -- panels and frameworks (score-panel) ------------------------------------------------------

FRAMEWORK = (
    "code,parent,direction,weight,lo,hi\na,d1,1,1,0,10\nb,d2,-1,2,0,100\nd1,,,1,,\nd2,,,1,,\n"
)
PANEL_CSV = "unit,period,a,b\nx,2020,5,50\ny,2020,7,20\n"


def panel_setup(panel: str = PANEL_CSV, framework: str = FRAMEWORK):
    def setup(work: Path) -> None:
        write(work / "in" / "panel.csv", panel)
        write(work / "in" / "fw.csv", framework)

    return setup


def panel_cases() -> None:
    argv = ["score-panel", "in/panel.csv", "--framework", "in/fw.csv"]
    for bad in ("inf", "-inf", "1e400", "Infinity", "-1e400"):
        case(
            "panel",
            f"cell-{bad}",
            argv,
            PANEL,
            ("panel.csv:3", "field 'b'", "finite"),
            panel_setup(PANEL_CSV.replace("7,20", f"7,{bad}")),
        )
    for bad in ("abc", "1,5"):
        case(
            "panel",
            f"cell-text-{bad}",
            argv,
            PANEL,
            ("panel.csv:3",),
            panel_setup(PANEL_CSV.replace("7,20", f'7,"{bad}"')),
        )
    case(
        "panel",
        "header-only",
        argv,
        PANEL,
        ("panel.csv:1", "no rows"),
        panel_setup("unit,period,a,b\n"),
    )
    for column, row, bad in (
        ("weight", 2, "inf"),
        ("weight", 3, "1e400"),
        ("lo", 2, "-inf"),
        ("hi", 3, "inf"),
        ("direction", 2, "inf"),
        ("weight", 2, "nan"),
        ("hi", 2, "nan"),
    ):
        lines = FRAMEWORK.split("\n")
        cells = lines[row - 1].split(",")
        cells[["code", "parent", "direction", "weight", "lo", "hi"].index(column)] = bad
        lines[row - 1] = ",".join(cells)
        case(
            "framework",
            f"{column}-{bad}-line{row}",
            argv,
            PANEL,
            (f"fw.csv:{row}", f"field '{column}'"),
            panel_setup(framework="\n".join(lines)),
        )
    case(
        "framework",
        "all-zero-weights",
        argv,
        PANEL,
        ("fw.csv", "field 'weight'", "zero"),
        panel_setup(
            framework=FRAMEWORK.replace(",1,1,0,10", ",1,0,0,10").replace(",-1,2,", ",-1,0,")
        ),
    )
    case(
        "framework",
        "zero-dimension-weights",
        argv,
        PANEL,
        ("fw.csv", "field 'weight'", "zero"),
        panel_setup(
            framework=FRAMEWORK.replace("d1,,,1,,", "d1,,,0,,").replace("d2,,,1,,", "d2,,,0,,")
        ),
    )
    case(
        "framework",
        "parent-typo",
        argv,
        PANEL,
        ("fw.csv:2", "field 'parent'", "did you mean d1?"),
        panel_setup(framework=FRAMEWORK.replace("a,d1,", "a,d11,")),
    )
    for id, out, expect, prepare in (
        ("out-device", "/dev/null", ("not a regular file",), None),
        ("out-folder", "in", ("a folder",), None),
        ("out-symlink", "link.csv", ("symbolic link",), "link"),
        ("out-xlsx", "scores.xlsx", ("'.xlsx'",), None),
        ("out-no-folder", "none/scores.csv", ("does not exist",), None),
    ):

        def setup(work: Path, prepare=prepare) -> None:
            panel_setup()(work)
            if prepare == "link":
                (work / "link.csv").symlink_to(work / "in" / "panel.csv")

        case("panel", id, [*argv, "--out", out], PANEL, expect, setup)


panel_cases()


# -- model.toml -------------------------------------------------------------------------------

MODEL = (REPO / "config" / "model.toml").read_text(encoding="utf-8")


def model_edit(old: str, new: str):
    assert old in MODEL, old

    def setup(work: Path) -> None:
        write(work / "config" / "model.toml", MODEL.replace(old, new, 1))

    return setup


def line_in_model(fragment: str) -> int:
    return MODEL[: MODEL.index(fragment)].count("\n") + 1


def model_cases() -> None:
    # Goalposts set in model.toml override the catalogue's: a bad pair, on the line it is on
    # (two lines under the indicator's table header).
    goal = "[indicators.remittances_gdp]\nweight = 1.0\n"
    edits = [
        ("goalposts-nan-inf", "goalposts = [nan, inf]", "goalposts", "finite"),
        ("goalposts-inf", "goalposts = [0, inf]", "goalposts", "finite"),
        ("goalposts-neg-inf", "goalposts = [-inf, 50]", "goalposts", "finite"),
        ("goalposts-nan", "goalposts = [0, nan]", "goalposts", "finite"),
    ]
    for id, new, fieldname, word in edits:
        for command in (["indicators"], ["assess", "--as-of", "2016-01-31"]):
            case(
                "model",
                f"{id}-{command[0]}",
                command,
                CONFIG,
                (f"config/model.toml:{line_in_model(goal) + 2}", fieldname, word),
                model_edit(goal, goal + new + "\n"),
            )
    weight_line = next(line for line in MODEL.splitlines() if line.strip().startswith("weight ="))
    for bad in ("nan", "inf", "-inf"):
        case(
            "model",
            f"weight-{bad}",
            ["indicators"],
            CONFIG,
            (f"config/model.toml:{line_in_model(weight_line)}", "weight", "finite"),
            model_edit(weight_line, weight_line.split("=")[0] + f"= {bad}"),
        )
    min_cov = next(line for line in MODEL.splitlines() if line.startswith("min_coverage"))
    for bad in ("nan", "inf"):
        case(
            "model",
            f"min-coverage-{bad}",
            ["indicators"],
            CONFIG,
            (f"config/model.toml:{line_in_model(min_cov)}", "min_coverage"),
            model_edit(min_cov, f"min_coverage = {bad}"),
        )
    dims = MODEL[MODEL.index("[dimensions]") :].split("\n")[1]
    case(
        "model",
        "dimension-weight-nan",
        ["indicators"],
        CONFIG,
        (f"config/model.toml:{line_in_model(dims)}", "dimensions", "finite"),
        model_edit(dims, dims.split("=")[0] + "= nan"),
    )

    def zero_weights(work: Path) -> None:
        text = re.sub(r"(?m)^weight = [0-9.]+", "weight = 0", MODEL)
        write(work / "config" / "model.toml", text)

    case("model", "all-weights-zero", ["indicators"], CONFIG, ("model.toml", "zero"), zero_weights)


model_cases()


# -- event ledgers (backtest, calibrate) ------------------------------------------------------

LEDGER = (REPO / "config" / "ledgers" / "tjk-crises.csv").read_text(encoding="utf-8")
LEDGER_LINES = LEDGER.splitlines()


def ledger(text: str | bytes):
    def setup(work: Path) -> None:
        write(work / "in" / "ledger.csv", text)

    return setup


def ledger_row(row: int, **cells: str) -> str:
    return set_csv_cell(LEDGER, row, *next(iter(cells.items())))


def ledger_cases() -> None:
    header = LEDGER_LINES[0]
    bad = [
        (
            "unclosed-quote",
            LEDGER + '2016-01,riot,,TJK,"never closed\n',
            ("ledger.csv:8", "never closed"),
        ),
        ("unquoted-comma", header + "\n2016-01,riot,3,TJK,a, b,,\n", ("ledger.csv:2", "fields")),
        (
            "kind-typo",
            ledger_row(0, kind="border_rade"),
            ("ledger.csv:2", "field 'kind'", "did you mean border_raid?"),
        ),
        ("kind-not-code", ledger_row(1, kind="Suicide Bombing"), ("ledger.csv:3", "field 'kind'")),
        ("kind-empty", ledger_row(2, kind=""), ("ledger.csv:4", "field 'kind'", "empty")),
        (
            "country-unknown",
            ledger_row(3, country="ATA"),  # an ISO code with no evidence (Antarctica)
            ("ledger.csv:5", "field 'country'", "ATA"),
        ),
        ("country-not-iso3", ledger_row(3, country="Tajik"), ("ledger.csv:5", "field 'country'")),
        ("duplicate-row", LEDGER + LEDGER_LINES[4] + "\n", ("ledger.csv:8", "line 5", "twice")),
        ("missing-kind-column", LEDGER.replace(",kind,", ",sort,", 1), ("ledger.csv:1",)),
        ("missing-date-column", LEDGER.replace("date,", "day,", 1), ("ledger.csv:1", "'date'")),
        (
            "unknown-column",
            "\n".join(f"{line},x" for line in LEDGER_LINES) + "\n",
            ("ledger.csv:1", "unknown column 'x'"),
        ),
        (
            "quote-not-in-source",
            ledger_row(4, quote="Nothing of the sort was ever written."),
            ("ledger.csv:6", "field 'quote'", "verbatim"),
        ),
        (
            "unknown-source",
            ledger_row(4, source_id="icg-asia999"),
            ("ledger.csv:6", "field 'source_id'", "icg-asia999"),
        ),
        (
            "quote-without-source",
            ledger_row(4, source_id=""),
            ("ledger.csv:6", "field 'source_id'"),
        ),
        (
            "bad-date-after-blank-lines",
            header + "\n\n\n2015-09-04,armed_attack,22,TJK,,,\n\n2015-13,riot,,TJK,,,\n",
            ("ledger.csv:6", "field 'date'"),
        ),
        ("date-no-such-day", ledger_row(3, date="2014-02-30"), ("ledger.csv:5", "field 'date'")),
        (
            "date-future",
            ledger_row(5, date="2999-01-01"),
            ("ledger.csv:7", "field 'date'", "future"),
        ),
        ("date-year-only", ledger_row(5, date="2015"), ("ledger.csv:7", "field 'date'")),
        (
            "fatalities-inf",
            ledger_row(0, fatalities="inf"),
            ("ledger.csv:2", "field 'fatalities'", "finite"),
        ),
        (
            "fatalities-nan",
            ledger_row(0, fatalities="nan"),
            ("ledger.csv:2", "field 'fatalities'", "finite"),
        ),
        (
            "fatalities-negative",
            ledger_row(0, fatalities="-4"),
            ("ledger.csv:2", "field 'fatalities'"),
        ),
        (
            "fatalities-fraction",
            ledger_row(0, fatalities="2.5"),
            ("ledger.csv:2", "field 'fatalities'"),
        ),
        (
            "fatalities-text",
            ledger_row(0, fatalities="thirteen"),
            ("ledger.csv:2", "field 'fatalities'", "not a number"),
        ),
        ("header-only", header + "\n", ("ledger.csv:1", "no events")),
        ("empty-file", "", ("ledger.csv", "empty")),
        ("nul-byte", LEDGER.replace("Armed raid", "Armed\x00raid"), ("ledger.csv:2", "NUL")),
        (
            "latin1",
            LEDGER.encode("utf-8") + "2016-01-01,riot,,TJK,Caf\u00e9,,\n".encode("latin-1"),
            ("ledger.csv:8", "not UTF-8"),
        ),
    ]
    for command in (
        ["backtest", "--from", "2006-01-01", "--to", "2016-12-31", "--events", "in/ledger.csv"],
        ["calibrate", "--from", "2006-01-01", "--to", "2016-12-31", "--events", "in/ledger.csv"],
    ):
        for id, text, expect in bad:
            case(f"ledger-{command[0]}", id, command, EVIDENCE, expect, ledger(text))


ledger_cases()


# -- scenarios --------------------------------------------------------------------------------

SCENARIO = (REPO / "config" / "scenarios" / "remittance-collapse.toml").read_text(encoding="utf-8")


def scenario_cases() -> None:
    numbers = re.findall(r"(?m)^(\w+) = (-?[0-9.]+)$", SCENARIO)
    assert numbers, "the shipped scenario has number settings to break"
    for (key, value), bad in [
        (kv, b) for kv in numbers[:3] for b in ("nan", "inf", "-inf", "1e400")
    ]:

        def setup(work: Path, key=key, value=value, bad=bad) -> None:
            write(
                work / "in" / "s.toml",
                SCENARIO.replace(f"{key} = {value}", f"{key} = {bad}", 1),
            )

        case(
            "scenario",
            f"{key}-{bad}",
            ["scenario", "check", "in/s.toml"],
            CONFIG,
            ("s.toml", key),
            setup,
        )


scenario_cases()


# -- the store --------------------------------------------------------------------------------


def damage_store(how: str):
    def setup(work: Path) -> None:
        db = work / "var" / "fragwatch.db"
        if how == "empty":
            db.write_bytes(b"")
        elif how == "garbage":
            db.write_bytes(b"this is not a database\n" * 200)
        elif how == "foreign":
            db.unlink()
            with sqlite3.connect(db) as raw:
                raw.execute("CREATE TABLE recipes (name TEXT)")
                raw.execute("INSERT INTO recipes VALUES ('plov')")
            raw.close()
        elif how == "damaged-page":
            data = bytearray(db.read_bytes())
            data[4096 * 2 : 4096 * 2 + 2000] = b"\x55" * 2000
            db.write_bytes(bytes(data))
        elif how == "read-only":
            db.chmod(0o444)

    return setup


STORE_COMMANDS = {
    "run-once": ["run-once"],
    "alerts-list": ["alerts", "list"],
    "outbox-list": ["outbox", "list"],
    "outbox-dead": ["outbox", "dead"],
}


def store_cases() -> None:
    for how, word in (
        ("empty", "0 bytes"),
        ("garbage", "not a SQLite database"),
        ("foreign", "not created by fragwatch"),
        ("damaged-page", "damaged"),
        ("read-only", "read-only"),
    ):
        for name, argv in STORE_COMMANDS.items():
            case("store", f"{how}-{name}", argv, STORE, ("database_url", word), damage_store(how))
    for url, word in (
        ("notadb://??", "no database driver"),
        ("::::", "not a database URL"),
        ("sqlite:////dev/null/x.db", "cannot"),
    ):
        case(
            "store",
            f"url-{url[:8]}",
            ["alerts", "list"],
            STORE,
            ("database_url", word),
            FRAGWATCH_DATABASE_URL=url,
        )


store_cases()


# -- output paths -----------------------------------------------------------------------------

OUTPUTS = {
    "history-csv": (["history", "--from", "2015-01-01", "--to", "2016-12-31", "--csv"], USAGE),
    "backtest-chart": (
        [
            "backtest",
            "--from",
            "2014-01-01",
            "--to",
            "2016-12-31",
            "--events",
            "tjk-crises",
            "--chart",
        ],
        USAGE,
    ),
    "sensitivity-chart": (["sensitivity", "--as-of", "2016-01-31", "--chart"], USAGE),
    "scenario-chart": (["scenario", "run", "remittance-collapse", "--chart"], USAGE),
    "calibrate-scenario": (
        [
            "calibrate",
            "--from",
            "2006-01-01",
            "--to",
            "2016-12-31",
            "--events",
            "tjk-crises",
            "--scenario",
        ],
        USAGE,
    ),
}


def output_cases() -> None:
    def make(kind: str):
        def setup(work: Path) -> None:
            if kind == "symlink":
                (work / "link.out").symlink_to(work / "config" / "model.toml")
            elif kind == "dangling":
                (work / "link.out").symlink_to(work / "nowhere" / "x")
            elif kind == "fifo":
                os.mkfifo(work / "pipe.out")
            elif kind == "readonly":
                (work / "ro").mkdir()
                (work / "ro").chmod(0o555)

        return setup

    for name, (argv, code) in OUTPUTS.items():
        suffix = ".toml" if name == "calibrate-scenario" else ".png"
        if name == "history-csv":
            suffix = ".csv"
        for kind, path, word in (
            ("device", "/dev/full", "not a regular file"),
            ("folder", "config", "a folder"),
            ("symlink", "link.out", "symbolic link"),
            ("dangling", "link.out", "symbolic link"),
            ("fifo", "pipe.out", "not a regular file"),
            ("missing", f"nowhere/out{suffix}", "does not exist"),
            ("readonly", f"ro/out{suffix}", "read-only"),
        ):
            if name == "calibrate-scenario" and not path.endswith(".toml"):
                continue  # a scenario file must end in .toml: refused before the path check
            case("output", f"{name}-{kind}", [*argv, path], code, (word,), make(kind))


output_cases()


# -- the clock --------------------------------------------------------------------------------


def clock_cases() -> None:
    for when, word in (
        ("2027-01-10T07:00", "in the future"),
        ("2099-01-01", "in the future"),
        ("9999-12-31", "in the future"),
        ("1800-01-01", "before this store's latest run"),
        ("2016-02-03T07:00", "before this store's latest run"),
        ("yesterday", "not a date"),
    ):
        case("clock", f"run-once-now-{when}", ["run-once", "--now", when], USAGE, ("--now", word))
    for command in ("assess", "explain", "sensitivity"):
        for when, word in (
            ("1800-01-01", "before the earliest evidence"),
            ("2099-01-01", "in the future"),
            ("9999-12-31", "in the future"),
            ("2016-02-30", "not a date"),
        ):
            case(
                "clock",
                f"{command}-as-of-{when}",
                [command, "--as-of", when],
                USAGE,
                ("--as-of", word),
            )
    case(
        "clock",
        "explain-since-1800",
        ["explain", "--as-of", "2016-01-31", "--since", "1800-01-01"],
        USAGE,
        ("--since", "earliest evidence"),
    )
    case(
        "clock",
        "history-to-1801",
        ["history", "--from", "1800-01-01", "--to", "1801-12-31"],
        USAGE,
        ("--to", "earliest evidence"),
    )
    case(
        "clock",
        "history-2099",
        ["history", "--from", "2098-01-01", "--to", "2099-12-31"],
        USAGE,
        ("--to", "in the future"),
    )


clock_cases()


# -- evidence add (reviewed candidates) -------------------------------------------------------

REPORT = """Tajikistan Monitor, March 2017

Remittances to Tajikistan fell to 26.7 per cent of GDP in 2016, the central bank said.

Some 150,000 Tajik migrants returned home from Russia last year.

On 12 February, armed men attacked a border post in the Khatlon region, leaving two guards dead.
"""
EXTRACT = ["extract", "report.txt", "--source-id", "monitor-2017-03", "--published", "2017-03-01"]


def candidates(row: int, **cells: str):
    def setup(work: Path) -> None:
        path = work / "candidates.csv"
        text = path.read_text(encoding="utf-8")
        for column, value in cells.items():
            if callable(value):
                current = list(csv.DictReader(io.StringIO(text)))[row][column]
                value = value(current)
            text = set_csv_cell(text, row, column, value)
        path.write_text(text, encoding="utf-8")

    return setup


def add_cases() -> None:
    argv = ["evidence", "add", "candidates.csv"]
    plus = {"start": lambda v: str(int(v) + 1)}
    both = {"start": lambda v: str(int(v) + 1), "end": lambda v: str(int(v) + 1)}
    minus = {"end": lambda v: str(int(v) - 1)}
    at2, at3, at4 = "candidates.csv:2", "candidates.csv:3", "candidates.csv:4"
    value, near = "field 'value'", "did you mean"
    for id, row, cells, expect in (
        ("offsets-start-plus-one", 0, plus, (at2, "field 'start'", "offsets")),
        ("offsets-both-plus-one", 0, both, (at2, "field 'start'")),
        ("offsets-end-minus-one", 1, minus, (at3, "field 'start'", "offsets")),
        ("quantity-typo", 0, {"quantity": "remitances_gdp"}, (at2, "quantity", near)),
        ("value-inf", 0, {"value": "inf"}, (at2, value, "finite")),
        ("value-1e400", 0, {"value": "1e400"}, (at2, value, "finite")),
        ("value-150-percent", 0, {"value": "150"}, (at2, value, "possible range")),
        ("value-negative-percent", 0, {"value": "-5"}, (at2, value, "possible range")),
        ("published-future", 0, {"published": "2999-01-01"}, (at2, "published", "future")),
        ("kind-typo", 2, {"kind": "armed_atack"}, (at4, "field 'kind'", near)),
        ("nul-byte", 0, {"quote": "Remittances\x00 to Tajikistan"}, (at2, "NUL")),
    ):
        case("evidence-add", id, argv, EVIDENCE, expect, candidates(row, **cells))
    case(
        "evidence-add",
        "extract-published-2099",
        [*EXTRACT[:-1], "2099-01-01", "--out", "more.csv"],
        USAGE,
        ("--published", "future"),
    )


add_cases()


# -- settings from the environment ------------------------------------------------------------

SETTINGS_ENV = [
    (
        "smtp-insecure",
        {"FRAGWATCH_SMTP__HOST": "mail.example.org", "FRAGWATCH_SMTP__SECURITY": "none"},
        ("FRAGWATCH_SMTP__SECURITY", "field 'smtp'"),
    ),
    (
        "smtp-user-without-password",
        {"FRAGWATCH_SMTP__HOST": "mail.example.org", "FRAGWATCH_SMTP__USER": "bob"},
        ("FRAGWATCH_SMTP__USER", "field 'smtp'"),
    ),
    (
        "notifier-smtp-without-host",
        {"FRAGWATCH_DELIVERY__NOTIFIER": "smtp"},
        ("FRAGWATCH_DELIVERY__NOTIFIER",),
    ),
    ("smtp-port", {"FRAGWATCH_SMTP__PORT": "abc"}, ("FRAGWATCH_SMTP__PORT", "smtp.port")),
    ("countries", {"FRAGWATCH_COUNTRIES": '["tj"]'}, ("FRAGWATCH_COUNTRIES", "countries")),
]


def settings_cases() -> None:
    for id, env, expect in SETTINGS_ENV:
        for command in (["config", "check"], ["run-once"]):
            case("settings", f"{id}-{command[0]}", command, CONFIG, expect, None, **env)


settings_cases()


# -- officer commands -------------------------------------------------------------------------


def officer_cases() -> None:
    case(
        "outbox",
        "retry-no-such-id",
        ["outbox", "retry", "99999"],
        USAGE,
        ("outbox retry", "no message number 99999"),
    )
    case(
        "outbox",
        "retry-sent-message",
        ["outbox", "retry", "1"],
        USAGE,
        ("outbox retry", "not a dead letter"),
    )
    case("outbox", "retry-nothing", ["outbox", "retry"], USAGE, ("outbox retry",))


officer_cases()


# ---------------------------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_cleanly(bad: Case, template: Path, worker, tmp_path: Path):
    work = tmp_path / "work"
    shutil.copytree(template, work, symlinks=True)
    if bad.setup is not None:
        bad.setup(work)
    before = snapshot(work)
    try:
        result = worker.run(bad.argv, work, {**base_env(), **bad.env})
    finally:
        for path in (work / "ro", work / "out", work / "var" / "fragwatch.db"):
            if path.exists() and not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)
    shown = f"{' '.join(bad.argv)}\nexit {result['code']}\n--- stderr:\n{result['stderr']}"
    shown += f"--- stdout:\n{result['stdout']}"
    assert "Traceback" not in result["stderr"] + result["stdout"], shown
    assert result["code"] == bad.code, shown
    lines = result["stderr"].splitlines()
    assert len(lines) == 1, shown
    assert lines[0].startswith(PREFIX), shown
    assert result["stdout"] == "", shown
    for fragment in bad.expect:
        assert fragment in lines[0], f"message lacks {fragment!r}:\n{shown}"
    # No internal placeholder leaks into the message (a quoted cell may say 'nan', as given).
    assert not re.search(r"\b(?:None|nan|NaN|NaT)\b", re.sub(r"'[^']*'", "", lines[0])), shown
    after = snapshot(work)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"stored state changed: {changed}\n{shown}"


def test_the_catalogue_is_large_and_its_ids_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 300, len(CASES)
