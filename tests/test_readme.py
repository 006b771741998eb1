"""The examples of the README and the guides are real: every console example is run and its
output compared."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from .conftest import REPO, run_cli

BLOCK = re.compile(r"```console\n(.*?)```", re.S)

# The README and every guide in docs/: examples moved out of the README stay checked.
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def examples(path: Path) -> list[tuple[int, str, list[str]]]:
    """(block number, command, expected output) in the document's order."""
    found = []
    for number, block in enumerate(BLOCK.findall(path.read_text("utf-8"))):
        command, output = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command:
                    found.append((number, command, output))
                command, output = line[2:], []
            else:
                output.append(line)
        if command:
            found.append((number, command, output))
    return found


def name(path: Path) -> str:
    return str(path.relative_to(REPO))


EXAMPLES = [(name(path), *example) for path in DOCUMENTS for example in examples(path)]


def commands_in(document: str) -> set[str]:
    return {shlex.split(cmd)[1] for doc, _, cmd, _ in EXAMPLES if doc == document}


def test_readme_has_a_tour():
    commands = commands_in("README.md")
    assert {"assess", "explain", "rank", "run-once", "alerts"} <= commands


def test_guides_keep_the_examples_moved_out_of_the_readme():
    assert {"explain", "history", "backtest", "sensitivity", "calibrate"} <= commands_in(
        "docs/analyst.md"
    )
    assert {"evidence", "indicators", "extract"} <= commands_in("docs/analyst.md")
    assert {"run-once", "alerts", "outbox"} <= commands_in("docs/watch-officer.md")
    assert {"report", "outbox"} <= commands_in("docs/reports.md")
    assert {"scenario"} <= commands_in("docs/scenarios.md")
    assert {"import"} <= commands_in("docs/imports.md")
    assert {"users"} <= commands_in("docs/web.md")


@pytest.fixture(scope="module")
def block_dirs(tmp_path_factory):
    """One fresh working folder per console block: a block's commands share its store."""
    folders: dict[tuple[str, int], Path] = {}

    def folder(document: str, number: int) -> Path:
        if (document, number) not in folders:
            stem = Path(document).stem
            folders[document, number] = tmp_path_factory.mktemp(f"{stem}-block-{number}")
        return folders[document, number]

    return folder


@pytest.mark.parametrize(
    ("document", "block", "command", "expected"),
    EXAMPLES,
    ids=[f"{doc}#{block}: {cmd}" for doc, block, cmd, _ in EXAMPLES],
)
def test_readme_example_output_is_real(document, block, command, expected, block_dirs):
    args = shlex.split(command)
    assert args[0] == "fragwatch"
    env = {"FRAGWATCH_CONFIG_DIR": str(REPO / "config")}
    result = run_cli(*args[1:], cwd=block_dirs(document, block), env=env)
    assert result.returncode == 0, result.stderr
    actual = [line.rstrip() for line in result.stdout.splitlines()]
    # "..." stands for omitted lines; a line ending in "..." for the rest of that line.
    position = 0
    for line in (line.rstrip() for line in expected):
        if line == "...":
            continue
        prefix = line[:-3] if line.endswith("...") else None
        while position < len(actual) and not (
            actual[position].startswith(prefix) if prefix is not None else actual[position] == line
        ):
            if "..." not in expected:
                pytest.fail(f"{document} shows {line!r}, the command printed {actual[position]!r}")
            position += 1
        assert position < len(actual), f"{document} line not in the output: {line!r}"
        position += 1
