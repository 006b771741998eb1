"""Bad input gets a clear error and loses nothing.

Every file, config and command-line argument a user gives is tried here in a broken form, through
the real ``fragwatch`` command run as a subprocess. Each failure must:

* exit with the code of its kind (UsageError 2, ConfigError 3, EvidenceError 4);
* print exactly one line on stderr, ``fragwatch: error: ...``, that names the file, the line
  (or row) and the field, or the option, whatever the case can name;
* print no traceback and nothing on stdout;
* write or change nothing: ``history --csv FILE`` does not create FILE, the evidence folder and
  the model file handed to the command are left byte for byte as they were.

Each test builds its input in ``tmp_path`` from a good copy and changes one thing, and runs the
command with ``tmp_path/work`` as the working directory (holding a copy of ``config/``), so any
stray write anywhere under ``tmp_path`` is caught.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from fragwatch.evidence.schema import EVENT_COLUMNS, OBSERVATION_COLUMNS, SOURCE_COLUMNS

REPO = Path(__file__).resolve().parents[1]
MODEL_TOML = REPO / "config" / "model.toml"

USAGE, CONFIG, EVIDENCE = 2, 3, 4
PREFIX = "fragwatch: error: "
# A window of the embedded evidence the history command scores (kept short: speed).
HISTORY = ["history", "--from", "2015-01-01", "--to", "2016-12-31"]


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def run_fragwatch(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FRAGWATCH_CONFIG_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file and folder under root with its bytes (None for a folder)."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


def assert_clean_error(
    result: subprocess.CompletedProcess[str],
    exit_code: int,
    *,
    file: str | None = None,
    line: int | None = None,
    field: str | None = None,
    words: tuple[str, ...] = (),
) -> str:
    """The failure is one located line on stderr with the right exit code; return the message.

    ``file`` is a file name the message must contain; ``line`` its line number, written
    ``file:line`` or ``line N``; ``field`` a field the message must name as ``field 'x'``.
    """
    shown = f"exit {result.returncode}\n--- stderr:\n{result.stderr}--- stdout:\n{result.stdout}"
    print(" ".join(result.args[3:]), shown, sep="\n")  # shown by pytest when a test fails
    assert "Traceback" not in result.stderr + result.stdout, shown
    assert result.returncode == exit_code, shown
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"stderr is not one line:\n{shown}"
    message = lines[0]
    assert message.startswith(PREFIX), shown
    assert result.stdout == "", f"a failed command printed on stdout:\n{shown}"
    if file is not None:
        assert file in message, f"message does not name the file {file!r}: {message}"
    if line is not None:
        place = rf"(?:{re.escape(file)}:{line}|\bline {line})\b" if file else rf"\b{line}\b"
        assert re.search(place, message), f"message does not name line {line}: {message}"
    if field is not None:
        assert f"field '{field}'" in message, f"message does not name field {field!r}: {message}"
    for word in words:
        assert word in message, f"message lacks {word!r}: {message}"
    # No internal placeholder leaks into what the user reads.
    assert not re.search(r"\b(?:None|nan|NaN|NaT)\b", message), message
    return message


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A working directory holding a copy of the repository's config/model.toml."""
    folder = tmp_path / "work"
    (folder / "config").mkdir(parents=True)
    shutil.copyfile(MODEL_TOML, folder / "config" / "model.toml")
    return folder


# ---------------------------------------------------------------------------------------------
# Evidence files
# ---------------------------------------------------------------------------------------------

# The documented headers, taken from the schema so a test never keeps its own copy.
OBS_COLUMNS = OBSERVATION_COLUMNS
TEXT = (
    "The test country saw remittances fall to 30 per cent of GDP in 2015. "
    "Border clashes killed 3 people in March 2016.\n"
)
SOURCE = {
    "source_id": "test-src",
    "title": "Test report",
    "publisher": "Test publisher",
    "published": "2016-01-11",
    "url": "https://example.org/report",
    "kind": "report",
    "file": "report.txt",
}
OBS = {
    "obs_id": "xyz-remittances-2015",
    "country": "XYZ",
    "quantity": "remittances_gdp",
    "period": "2015",
    "value": "30",
    "unit": "per cent",
    "source_id": "test-src",
    "quote": "remittances fall to 30 per cent of GDP in 2015",
    "published": "2016-01-11",
}
EVENT = {
    "event_id": "xyz-border-2016-03",
    "country": "XYZ",
    "date": "2016-03",
    "kind": "border_clash",
    "fatalities": "3",
    "description": "Border clash",
    "source_id": "test-src",
    "quote": "Border clashes killed 3 people in March 2016.",
    "published": "2016-04-01",
}


def table(columns: list[str], *rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


GOOD_EVIDENCE: dict[str, str | bytes] = {
    "sources.csv": table(SOURCE_COLUMNS, SOURCE),
    "observations.csv": table(OBS_COLUMNS, OBS),
    "events.csv": table(EVENT_COLUMNS, EVENT),
    "texts/report.txt": TEXT,
}


def write_folder(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@dataclass(frozen=True)
class BadEvidence:
    id: str
    files: dict[str, str | bytes]  # replaces files of the good folder
    file: str  # the file the message must name
    line: int | None
    field: str | None
    words: tuple[str, ...] = ()
    # Quotes are checked against source texts by `evidence validate` only.
    validate_only: bool = False


def obs(**changes: str) -> dict[str, str]:
    return {**OBS, **changes}


EVIDENCE_CASES = [
    BadEvidence(
        "unknown-column",
        {"observations.csv": table([*OBS_COLUMNS, "colour"], obs(colour="red"))},
        "observations.csv",
        1,
        None,
        ("unknown column", "colour"),
    ),
    BadEvidence(
        "missing-column",
        {"observations.csv": table([c for c in OBS_COLUMNS if c != "unit"], OBS)},
        "observations.csv",
        1,
        None,
        ("missing column", "unit"),
    ),
    BadEvidence(
        "duplicate-column",
        {"observations.csv": table([*OBS_COLUMNS, "note"], OBS)},
        "observations.csv",
        1,
        None,
        ("duplicate", "'note'"),
    ),
    BadEvidence(
        "source-published-not-a-date",
        {"sources.csv": table(SOURCE_COLUMNS, {**SOURCE, "published": "11/01/2016"})},
        "sources.csv",
        2,
        "published",
        ("11/01/2016",),
    ),
    BadEvidence(
        "observation-published-impossible-date",
        {"observations.csv": table(OBS_COLUMNS, obs(published="2016-02-30"))},
        "observations.csv",
        2,
        "published",
        ("2016-02-30",),
    ),
    BadEvidence(
        "period-month-13",
        {"observations.csv": table(OBS_COLUMNS, obs(period="2015-13"))},
        "observations.csv",
        2,
        "period",
        ("2015-13",),
    ),
    BadEvidence(
        "value-not-a-number",
        {"observations.csv": table(OBS_COLUMNS, obs(value="thirty"))},
        "observations.csv",
        2,
        "value",
        ("thirty",),
    ),
    BadEvidence(
        "low-above-high",
        {"observations.csv": table(OBS_COLUMNS, obs(value="", low="40", high="30"))},
        "observations.csv",
        2,
        "low",
        ("40", "30"),
    ),
    BadEvidence(
        "value-below-low",
        {"observations.csv": table(OBS_COLUMNS, obs(value="10", low="20", high="30"))},
        "observations.csv",
        2,
        "value",
        ("10", "20"),
    ),
    BadEvidence(
        "unknown-unit",
        {"observations.csv": table(OBS_COLUMNS, obs(unit="furlongs"))},
        "observations.csv",
        2,
        "unit",
        ("furlongs",),
    ),
    BadEvidence(
        "duplicate-obs-id",
        {"observations.csv": table(OBS_COLUMNS, OBS, obs(period="2014", value="35"))},
        "observations.csv",
        3,
        "obs_id",
        ("duplicate", OBS["obs_id"]),
    ),
    BadEvidence(
        "obs-id-already-in-embedded-base",
        {"observations.csv": table(OBS_COLUMNS, obs(obs_id="tjk-remittances_gdp-2015-icg-b78"))},
        "observations.csv",
        2,
        "obs_id",
        ("tjk-remittances_gdp-2015-icg-b78", "already defined"),
    ),
    BadEvidence(
        "obs-id-already-in-open-data-layer",
        {
            "observations.csv": table(
                OBS_COLUMNS, obs(obs_id="wdi-2026-07:TJK:population:2020", country="TJK")
            )
        },
        "observations.csv",
        2,
        "obs_id",
        ("wdi-2026-07:TJK:population:2020", "already defined in the open-data layer"),
    ),
    BadEvidence(
        "source-id-not-in-sources",
        {"observations.csv": table(OBS_COLUMNS, obs(source_id="no-such-source"))},
        "observations.csv",
        2,
        "source_id",
        ("no-such-source",),
    ),
    BadEvidence(
        "source-id-already-in-embedded-base",
        {
            "sources.csv": table(
                SOURCE_COLUMNS, SOURCE, {**SOURCE, "source_id": "icg-b78-2016", "file": ""}
            )
        },
        "sources.csv",
        3,
        "source_id",
        ("icg-b78-2016", "already defined"),
    ),
    BadEvidence(
        "country-not-iso3",
        {"observations.csv": table(OBS_COLUMNS, obs(country="Tajikistan"))},
        "observations.csv",
        2,
        "country",
        ("Tajikistan",),
    ),
    BadEvidence(
        "empty-quote",
        {"observations.csv": table(OBS_COLUMNS, obs(quote=""))},
        "observations.csv",
        2,
        "quote",
        ("empty",),
    ),
    BadEvidence(
        "quote-with-line-break",
        {"observations.csv": table(OBS_COLUMNS, obs(quote="remittances fall\nto 30 per cent"))},
        "observations.csv",
        2,
        "quote",
        ("line break",),
    ),
    BadEvidence(
        "quote-not-verbatim-in-source-text",
        {"observations.csv": table(OBS_COLUMNS, obs(quote="remittances fell to 30% of GDP"))},
        "observations.csv",
        2,
        "quote",
        ("verbatim", "test-src"),
        validate_only=True,
    ),
    BadEvidence(
        "source-kind-unknown",
        {"sources.csv": table(SOURCE_COLUMNS, {**SOURCE, "kind": "blog"})},
        "sources.csv",
        2,
        "kind",
        ("blog",),
    ),
    BadEvidence(
        "source-url-not-http",
        {"sources.csv": table(SOURCE_COLUMNS, {**SOURCE, "url": "example.org/report"})},
        "sources.csv",
        2,
        "url",
        ("example.org/report",),
    ),
    BadEvidence(
        "published-before-period-begins",
        {"observations.csv": table(OBS_COLUMNS, obs(period="2016", published="2015-06-01"))},
        "observations.csv",
        2,
        "published",
        ("2015-06-01",),
    ),
    BadEvidence(
        "event-negative-fatalities",
        {"events.csv": table(EVENT_COLUMNS, {**EVENT, "fatalities": "-3"})},
        "events.csv",
        2,
        "fatalities",
        ("-3",),
    ),
    BadEvidence(
        "event-fractional-fatalities",
        {"events.csv": table(EVENT_COLUMNS, {**EVENT, "fatalities": "2.5"})},
        "events.csv",
        2,
        "fatalities",
        ("2.5",),
    ),
    BadEvidence(
        "event-date-impossible",
        {"events.csv": table(EVENT_COLUMNS, {**EVENT, "date": "2016-03-45"})},
        "events.csv",
        2,
        "date",
        ("2016-03-45",),
    ),
    BadEvidence(
        "csv-not-utf8",
        {"observations.csv": table(OBS_COLUMNS, obs(note="café")).encode("latin-1")},
        "observations.csv",
        2,
        None,
        ("UTF-8",),
    ),
    BadEvidence(
        # pandas skips blank lines; the message must still give the line in the file.
        "blank-line-before-bad-row",
        {"observations.csv": table(OBS_COLUMNS, obs(period="2015-13")).replace("\n", "\n\n", 1)},
        "observations.csv",
        3,
        "period",
        ("2015-13",),
    ),
    BadEvidence(
        # A quoted cell may span lines; rows after it sit further down the file.
        "multi-line-cell-before-bad-row",
        {
            "observations.csv": table(
                OBS_COLUMNS,
                obs(note="first line\nsecond line"),
                obs(obs_id="xyz-second", period="2015-13"),
            )
        },
        "observations.csv",
        4,
        "period",
        ("2015-13",),
    ),
    BadEvidence(
        "csv-empty-file",
        {"observations.csv": ""},
        "observations.csv",
        None,
        None,
        ("empty",),
    ),
    BadEvidence(
        "row-with-too-many-fields",
        {"observations.csv": table(OBS_COLUMNS, OBS) + "a,b,c,d,e,f,g,h,i,j,k,l,m\n"},
        "observations.csv",
        3,
        None,
        ("13",),
    ),
    BadEvidence(
        "unclosed-quote",
        {"observations.csv": table(OBS_COLUMNS, OBS) + 'x,XYZ,remittances_gdp,"2015,30\n'},
        "observations.csv",
        3,
        None,
    ),
    BadEvidence(
        "source-text-not-utf8",
        {"texts/report.txt": TEXT.replace("Border", "Frontière").encode("latin-1")},
        "report.txt",
        None,
        None,
        ("UTF-8",),
    ),
]


# Only `evidence validate` checks quotes against source texts; other commands trust a
# validated base, so quote cases run through `validate` alone.
EVIDENCE_RUNS = [
    pytest.param(case, command, id=f"{case.id}-{command}")
    for case in EVIDENCE_CASES
    for command in ("validate", "history-csv")
    if not (command == "history-csv" and case.validate_only)
]


@pytest.mark.parametrize(("case", "command"), EVIDENCE_RUNS)
def test_bad_evidence_file(case: BadEvidence, command: str, work: Path, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "evidence", {**GOOD_EVIDENCE, **case.files})
    out = tmp_path / "out.csv"
    if command == "validate":
        args = ["evidence", "validate", str(folder)]
    else:
        args = ["--evidence", str(folder), *HISTORY, "--csv", str(out)]
    before = snapshot(tmp_path)

    result = run_fragwatch(args, cwd=work)

    assert_clean_error(
        result,
        EVIDENCE,
        file=case.file,
        line=case.line,
        field=case.field,
        words=case.words,
    )
    assert not out.exists()
    assert snapshot(tmp_path) == before


def test_good_evidence_folder_validates(work: Path, tmp_path: Path) -> None:
    """The baseline every bad case is one change away from is valid."""
    folder = write_folder(tmp_path / "evidence", GOOD_EVIDENCE)
    result = run_fragwatch(["evidence", "validate", str(folder)], cwd=work)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("ok: ")


def test_good_evidence_folder_scores(work: Path, tmp_path: Path) -> None:
    """The baseline scores, although its country has no evidence yet at the first date."""
    folder = write_folder(tmp_path / "evidence", GOOD_EVIDENCE)
    out = tmp_path / "out.csv"
    result = run_fragwatch(["--evidence", str(folder), *HISTORY, "--csv", str(out)], cwd=work)
    assert result.returncode == 0, result.stderr
    assert "XYZ" in out.read_text(encoding="utf-8")


@dataclass(frozen=True)
class BadEvidencePath:
    id: str
    make: Callable[[Path], Path]  # builds the bad path under tmp_path, returns it
    words: tuple[str, ...]
    line: int | None = None


def _missing(tmp: Path) -> Path:
    return tmp / "no-such-evidence"


def _empty_folder(tmp: Path) -> Path:
    (tmp / "empty-evidence").mkdir()
    return tmp / "empty-evidence"


def _not_an_evidence_table(tmp: Path) -> Path:
    path = tmp / "prices.csv"
    path.write_text("item,price\nbread,2\n", encoding="utf-8")
    return path


EVIDENCE_PATH_CASES = [
    BadEvidencePath("path-does-not-exist", _missing, ("no such",)),
    BadEvidencePath("folder-without-tables", _empty_folder, ("sources.csv",)),
    BadEvidencePath("csv-not-an-evidence-table", _not_an_evidence_table, ("obs_id",), line=1),
]


@pytest.mark.parametrize("command", ["validate", "history-csv"])
@pytest.mark.parametrize("case", EVIDENCE_PATH_CASES, ids=lambda c: c.id)
def test_bad_evidence_path(case: BadEvidencePath, command: str, work: Path, tmp_path: Path):
    path = case.make(tmp_path)
    out = tmp_path / "out.csv"
    if command == "validate":
        args = ["evidence", "validate", str(path)]
    else:
        args = ["--evidence", str(path), *HISTORY, "--csv", str(out)]
    before = snapshot(tmp_path)

    result = run_fragwatch(args, cwd=work)

    assert_clean_error(result, EVIDENCE, file=path.name, line=case.line, words=case.words)
    assert not out.exists()
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# model.toml
# ---------------------------------------------------------------------------------------------

GOOD_MODEL = MODEL_TOML.read_text(encoding="utf-8")


def replace_once(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"config/model.toml no longer holds {old!r}"
        return text.replace(old, new, 1)

    return edit


def in_section(section: str, old: str, new: str) -> Callable[[str], str]:
    """Replace the first ``old`` after the ``[section]`` header."""

    def edit(text: str) -> str:
        header = f"[{section}]\n"
        start = text.index(header) + len(header)
        at = text.index(old, start)
        return text[:at] + new + text[at + len(old) :]

    return edit


def append(extra: str) -> Callable[[str], str]:
    return lambda text: text.rstrip("\n") + "\n\n" + extra


@dataclass(frozen=True)
class BadModel:
    id: str
    edit: Callable[[str], str]
    # The line the message must name: the first line of the edited file holding this text.
    at: str | None
    field: str | None
    words: tuple[str, ...] = ()


MODEL_CASES = [
    BadModel(
        "toml-syntax-error",
        replace_once("min_coverage = 0.5", "min_coverage = 0.5 0.6"),
        "min_coverage = 0.5 0.6",
        None,
        ("TOML",),
    ),
    BadModel(
        "toml-duplicate-key",
        in_section("indicators.remittances_gdp", "weight = 1.0", "weight = 1.0\nweight = 2.0"),
        "weight = 2.0",
        None,
        ("TOML",),
    ),
    BadModel(
        "unknown-key",
        in_section("indicators.remittances_gdp", "weight = 1.0", "wieght = 1.0"),
        "wieght = 1.0",
        "indicators.remittances_gdp.wieght",
        ("unknown key",),
    ),
    BadModel(
        "unknown-section",
        append("[scoring]\nmethod = 'geometric'\n"),
        "[scoring]",
        "scoring",
        ("unknown key",),
    ),
    BadModel(
        "unknown-indicator",
        append("[indicators.gdp_grwoth]\nweight = 1.0\n"),
        "[indicators.gdp_grwoth]",
        "indicators.gdp_grwoth",
        ("unknown indicator", "gdp_grwoth"),
    ),
    BadModel(
        "goalposts-lo-equals-hi",
        in_section(
            "indicators.remittances_gdp", "weight = 1.0", "weight = 1.0\ngoalposts = [50, 50]"
        ),
        "goalposts = [50, 50]",
        "indicators.remittances_gdp.goalposts",
        ("lo below hi",),
    ),
    BadModel(
        "goalposts-lo-above-hi",
        in_section(
            "indicators.remittances_gdp", "weight = 1.0", "weight = 1.0\ngoalposts = [50, 0]"
        ),
        "goalposts = [50, 0]",
        "indicators.remittances_gdp.goalposts",
        ("lo below hi",),
    ),
    BadModel(
        "goalposts-three-numbers",
        in_section(
            "indicators.remittances_gdp", "weight = 1.0", "weight = 1.0\ngoalposts = [0, 25, 50]"
        ),
        "goalposts = [0, 25, 50]",
        "indicators.remittances_gdp.goalposts",
    ),
    BadModel(
        "negative-weight",
        in_section("indicators.remittances_gdp", "weight = 1.0", "weight = -1.0"),
        "weight = -1.0",
        "indicators.remittances_gdp.weight",
        ("0",),
    ),
    BadModel(
        "weight-not-a-number",
        in_section("indicators.remittances_gdp", "weight = 1.0", 'weight = "heavy"'),
        'weight = "heavy"',
        "indicators.remittances_gdp.weight",
    ),
    BadModel(
        "negative-dimension-weight",
        replace_once("economic = 1.0", "economic = -1.0"),
        "economic = -1.0",
        "dimensions.economic",
    ),
    BadModel(
        "bands-not-increasing",
        replace_once("from = 40", "from = 10"),
        "from = 10",
        "bands.2.from",
        ("increase",),
    ),
    BadModel(
        "first-band-not-from-zero",
        replace_once("from = 0", "from = 5"),
        "from = 5",
        "bands.0.from",
        ("from = 0",),
    ),
    BadModel(
        "band-above-100",
        replace_once("from = 80", "from = 180"),
        "from = 180",
        "bands.4.from",
    ),
    BadModel(
        "min-coverage-above-one",
        replace_once("min_coverage = 0.5", "min_coverage = 1.5"),
        "min_coverage = 1.5",
        "model.min_coverage",
    ),
    BadModel(
        "unknown-aggregation",
        replace_once('aggregation = "arithmetic"', 'aggregation = "geometric"'),
        'aggregation = "geometric"',
        "model.aggregation",
        ("arithmetic",),
    ),
    BadModel(
        "direction-not-plus-or-minus-one",
        in_section("indicators.remittances_gdp", "weight = 1.0", "weight = 1.0\ndirection = 2"),
        "direction = 2",
        "indicators.remittances_gdp.direction",
    ),
    BadModel(
        "staleness-days-zero",
        in_section(
            "indicators.remittances_gdp", "weight = 1.0", "weight = 1.0\nstaleness_days = 0"
        ),
        "staleness_days = 0",
        "indicators.remittances_gdp.staleness_days",
    ),
    BadModel(
        "negative-severity",
        in_section(
            "indicators.opposition_repression",
            "half_life_days = 365\n",
            "half_life_days = 365\n\n[indicators.opposition_repression.severity]\n"
            "opposition_ban = -3\n",
        ),
        "opposition_ban = -3",
        "indicators.opposition_repression.severity.opposition_ban",
    ),
    BadModel(
        "parameter-the-indicator-does-not-have",
        in_section(
            "indicators.remittances_gdp",
            "weight = 1.0",
            "weight = 1.0\nhalf_life_days = 30",
        ),
        "half_life_days = 30",
        "indicators.remittances_gdp.half_life_days",
        ("half_life_days", "remittances_gdp"),
    ),
    BadModel(
        "dimension-with-no-weight",
        replace_once("social = 1.0\n", ""),
        "[indicators.refugees_abroad]",
        "indicators.refugees_abroad.dimension",
        ("social", "[dimensions]"),
    ),
    BadModel(
        "indicator-in-unknown-dimension",
        in_section(
            "indicators.remittances_gdp", "weight = 1.0", 'weight = 1.0\ndimension = "military"'
        ),
        'dimension = "military"',
        "indicators.remittances_gdp.dimension",
        ("military",),
    ),
    BadModel(
        "dimensions-section-missing",
        lambda text: re.sub(r"\[dimensions\]\n(?:\w+ = [\d.]+\n)+", "", text),
        None,
        "dimensions",
        ("missing",),
    ),
    BadModel(
        "every-indicator-disabled",
        lambda text: re.sub(r"(\[indicators\.\w+\]\n)", r"\1enabled = false\n", text),
        None,
        "indicators",
        ("disabled",),
    ),
]


def expected_line(text: str, at: str | None) -> int | None:
    if at is None:
        return None
    return next(n for n, line in enumerate(text.splitlines(), start=1) if at in line)


@pytest.mark.parametrize("case", MODEL_CASES, ids=lambda c: c.id)
def test_bad_model_file(case: BadModel, work: Path, tmp_path: Path) -> None:
    text = case.edit(GOOD_MODEL)
    assert text != GOOD_MODEL
    model = tmp_path / "bad-model.toml"
    model.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    before = snapshot(tmp_path)

    result = run_fragwatch(["--model", str(model), *HISTORY, "--csv", str(out)], cwd=work)

    assert_clean_error(
        result,
        CONFIG,
        file=model.name,
        line=expected_line(text, case.at),
        field=case.field,
        words=case.words,
    )
    assert not out.exists()
    assert snapshot(tmp_path) == before


def test_model_file_not_utf8(work: Path, tmp_path: Path) -> None:
    model = tmp_path / "bad-model.toml"
    text = replace_once("# Bands by lower edge", "# Bandes (modèle)")(GOOD_MODEL)
    model.write_bytes(text.encode("latin-1"))
    out = tmp_path / "out.csv"
    before = snapshot(tmp_path)

    result = run_fragwatch(["--model", str(model), *HISTORY, "--csv", str(out)], cwd=work)

    assert_clean_error(
        result, CONFIG, file=model.name, line=expected_line(text, "modèle"), words=("UTF-8",)
    )
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", ["indicators", "history-csv"])
def test_missing_model_file(command: str, work: Path, tmp_path: Path) -> None:
    model = tmp_path / "no-such-model.toml"
    out = tmp_path / "out.csv"
    args = ["indicators"] if command == "indicators" else [*HISTORY, "--csv", str(out)]
    before = snapshot(tmp_path)

    result = run_fragwatch(["--model", str(model), *args], cwd=work)

    assert_clean_error(result, CONFIG, file=model.name, words=("no such file",))
    assert snapshot(tmp_path) == before


def test_config_dir_without_model_file(work: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-config"
    empty.mkdir()
    before = snapshot(tmp_path)

    result = run_fragwatch(["--config-dir", str(empty), "indicators"], cwd=work)

    assert_clean_error(result, CONFIG, file="model.toml", words=("empty-config",))
    assert snapshot(tmp_path) == before


def test_bad_model_in_default_config_dir(work: Path, tmp_path: Path) -> None:
    """No option given: ./config/model.toml of the working directory is read, and named."""
    model = work / "config" / "model.toml"
    text = replace_once("weight = 1.5", "weight = -1.5")(GOOD_MODEL)
    model.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    before = snapshot(tmp_path)

    result = run_fragwatch([*HISTORY, "--csv", str(out)], cwd=work)

    assert_clean_error(
        result,
        CONFIG,
        file="model.toml",
        line=expected_line(text, "weight = -1.5"),
        field="indicators.political_stability.weight",
    )
    assert snapshot(tmp_path) == before


def test_good_model_copy_is_accepted(work: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.toml"
    model.write_text(GOOD_MODEL, encoding="utf-8")
    result = run_fragwatch(["--model", str(model), "indicators"], cwd=work)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# ---------------------------------------------------------------------------------------------
# Command-line arguments
# ---------------------------------------------------------------------------------------------

# "{out}" stands for a CSV path under tmp_path the failed command must not create.
CLI_CASES = [
    pytest.param(
        ["assess", "--as-of", "2016-13-01"], ("--as-of", "2016-13-01"), id="as-of-month-13"
    ),
    pytest.param(["assess", "--as-of", "yesterday"], ("--as-of", "yesterday"), id="as-of-word"),
    pytest.param(["assess", "--as-of", "2016-02-30"], ("--as-of", "2016-02-30"), id="as-of-feb-30"),
    pytest.param(["assess", "--country", "XXX"], ("--country", "XXX"), id="unknown-country"),
    pytest.param(
        ["assess", "--country", "TJK", "--country", "XXX"],
        ("--country", "XXX"),
        id="second-country-unknown",
    ),
    pytest.param(
        ["history", "--country", "XXX", "--csv", "{out}"],
        ("--country", "XXX"),
        id="history-unknown-country",
    ),
    pytest.param(
        ["history", "--freq", "weekly", "--csv", "{out}"], ("--freq", "weekly"), id="freq-weekly"
    ),
    pytest.param(
        ["history", "--from", "2016-01-01", "--to", "2015-01-01", "--csv", "{out}"],
        ("--from", "2016-01-01", "2015-01-01"),
        id="from-after-to",
    ),
    pytest.param(
        [
            "history",
            "--from",
            "2016-02-02",
            "--to",
            "2016-02-20",
            "--freq",
            "month",
            "--csv",
            "{out}",
        ],
        ("--from", "month"),
        id="no-date-in-range",
    ),
    pytest.param(
        ["history", "--to", "2016-13-01", "--csv", "{out}"],
        ("--to", "2016-13-01"),
        id="to-month-13",
    ),
    pytest.param(
        ["history", "--from", "last year", "--csv", "{out}"],
        ("--from", "last year"),
        id="from-words",
    ),
    pytest.param(
        ["explain", "--as-of", "2016-06-01", "--since", "2016-06-01"],
        ("--since", "2016-06-01"),
        id="since-equals-as-of",
    ),
    pytest.param(
        ["explain", "--as-of", "2016-06-01", "--since", "2017-01-01"],
        ("--since", "2017-01-01"),
        id="since-after-as-of",
    ),
    pytest.param(
        ["explain", "--as-of", "2016-06-01", "--since", "yesterday"],
        ("--since", "yesterday"),
        id="since-word",
    ),
    pytest.param(
        ["evidence", "list", "--from", "2016-02-30"], ("--from", "2016-02-30"), id="list-bad-from"
    ),
    pytest.param(["frobnicate"], ("frobnicate",), id="unknown-command"),
    pytest.param(["evidence", "frobnicate"], ("frobnicate",), id="unknown-evidence-command"),
    pytest.param(["assess", "--colour"], ("--colour",), id="unknown-option"),
    pytest.param(["--colour", "assess"], ("--colour",), id="unknown-global-option"),
    pytest.param(["assess", "--as-of"], ("--as-of",), id="option-without-value"),
    pytest.param(["assess", "TJK"], ("TJK",), id="unexpected-argument"),
]


@pytest.mark.parametrize(("args", "words"), CLI_CASES)
def test_bad_argument(args: list[str], words: tuple[str, ...], work: Path, tmp_path: Path):
    out = tmp_path / "out.csv"
    args = [str(out) if a == "{out}" else a for a in args]
    before = snapshot(tmp_path)

    result = run_fragwatch(args, cwd=work)

    assert_clean_error(result, USAGE, words=words)
    assert not out.exists()
    assert snapshot(tmp_path) == before


def test_failed_history_keeps_an_existing_csv(work: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("precious,data\n1,2\n", encoding="utf-8")
    before = snapshot(tmp_path)

    result = run_fragwatch(["history", "--freq", "weekly", "--csv", str(out)], cwd=work)

    assert_clean_error(result, USAGE, words=("--freq",))
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("target", ["missing-folder", "existing-folder"])
def test_history_csv_that_cannot_be_written(target: str, work: Path, tmp_path: Path) -> None:
    if target == "missing-folder":
        out = tmp_path / "no-such-folder" / "out.csv"
    else:
        out = tmp_path / "a-folder"
        out.mkdir()
    before = snapshot(tmp_path)

    result = run_fragwatch([*HISTORY, "--csv", str(out)], cwd=work)

    words = ("cannot write", "no-such-folder") if target == "missing-folder" else ("cannot write",)
    assert_clean_error(result, USAGE, file=out.name, words=words)
    assert snapshot(tmp_path) == before


def test_history_from_before_any_evidence(work: Path, tmp_path: Path) -> None:
    """Dates with no evidence yet are 'withheld', not a crash after the CSV is half-written."""
    out = tmp_path / "out.csv"
    result = run_fragwatch(
        ["history", "--from", "2010-01-01", "--to", "2016-12-31", "--csv", str(out)], cwd=work
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert "withheld" in result.stdout
    assert out.exists()
