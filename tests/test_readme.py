"""The README's CLI tour is real: every console example is run and compared with its output."""

from __future__ import annotations

import re
import shlex

import pytest

from .conftest import REPO, run_cli

BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def examples() -> list[tuple[int, str, list[str]]]:
    """(block number, command, expected output) in README order."""
    found = []
    for number, block in enumerate(BLOCK.findall((REPO / "README.md").read_text("utf-8"))):
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


EXAMPLES = examples()


def test_readme_has_a_tour():
    commands = {shlex.split(cmd)[1] for _, cmd, _ in EXAMPLES}
    assert {"assess", "explain", "history", "evidence", "indicators"} <= commands
    assert {"run-once", "alerts", "outbox"} <= commands


@pytest.fixture(scope="module")
def block_dirs(tmp_path_factory):
    """One fresh working folder per console block: a block's commands share its store."""
    folders: dict[int, object] = {}

    def folder(number: int):
        if number not in folders:
            folders[number] = tmp_path_factory.mktemp(f"readme-block-{number}")
        return folders[number]

    return folder


@pytest.mark.parametrize(
    ("block", "command", "expected"), EXAMPLES, ids=[c for _, c, _ in EXAMPLES]
)
def test_readme_example_output_is_real(block, command, expected, block_dirs):
    args = shlex.split(command)
    assert args[0] == "fragwatch"
    env = {"FRAGWATCH_CONFIG_DIR": str(REPO / "config")}
    result = run_cli(*args[1:], cwd=block_dirs(block), env=env)
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
                pytest.fail(f"README shows {line!r}, the command printed {actual[position]!r}")
            position += 1
        assert position < len(actual), f"README line not in the output: {line!r}"
        position += 1
