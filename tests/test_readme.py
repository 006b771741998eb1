"""The README's CLI tour is real: every console example is run and compared with its output."""

from __future__ import annotations

import re
import shlex

import pytest

from .conftest import REPO, run_cli

BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def examples() -> list[tuple[str, list[str]]]:
    found = []
    for block in BLOCK.findall((REPO / "README.md").read_text(encoding="utf-8")):
        command, output = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command:
                    found.append((command, output))
                command, output = line[2:], []
            else:
                output.append(line)
        if command:
            found.append((command, output))
    return found


EXAMPLES = examples()


def test_readme_has_a_tour():
    commands = {shlex.split(cmd)[1] for cmd, _ in EXAMPLES}
    assert {"assess", "explain", "history", "evidence", "indicators"} <= commands


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example_output_is_real(command, expected):
    args = shlex.split(command)
    assert args[0] == "fragwatch"
    result = run_cli(*args[1:])
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
