"""Benchmark: a cold `fragwatch assess --json` against `python -c "import pandas"`.

Both are timed as whole processes, alternating, several runs each; the ratio of the medians is
the figure (target: at most 1.2). Wall time and CPU time (user + system, from ``os.wait4``)
are both given: on a shared machine the CPU time is the steadier of the two. Bytecode caching
"on" is an ordinary install after one warm-up run (compiled modules are read from
``__pycache__``); "off" runs every process with an empty ``PYTHONPYCACHEPREFIX`` and
``PYTHONDONTWRITEBYTECODE=1``, so every module of both commands, pandas' included, is compiled
from source each time. Run from the repository root or bench/.

    .venv/bin/python bench/bench_startup.py [--runs 21] [--bytecode on|off|both] [--against REV]

``--against REV`` also times the same command on the source of a git revision (``git archive
REV src`` unpacked and put first on ``PYTHONPATH``), in the same alternation, to show what a
change did on the same machine at the same moment.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from revisions import source_of

REPO = Path(__file__).resolve().parents[1]
FRAGWATCH = Path(sys.executable).with_name("fragwatch")


def once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user + system) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


ASSESS = ["assess", "--as-of", "2016-01-31", "--json"]


def measure(
    runs: int, env: dict[str, str], other_src: Path | None = None
) -> list[tuple[float, ...]]:
    """Medians of (baseline, assess[, assess of the other revision]) for wall and CPU time."""
    baseline = [sys.executable, "-c", "import pandas"]
    commands = [(baseline, env), ([str(FRAGWATCH), *ASSESS], env)]
    if other_src is not None:
        other_env = {**env, "PYTHONPATH": str(other_src)}
        commands.append(([sys.executable, "-m", "fragwatch.cli", *ASSESS], other_env))
    for command, command_env in commands:  # warm the file cache: 'cold' means a new process
        once(command, command_env)
    times: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for found, (command, command_env) in zip(times, commands, strict=True):
            found.append(once(command, command_env))
    return [tuple(statistics.median(t[i] for t in found) for found in times) for i in (0, 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--bytecode", choices=["on", "off", "both"], default="both")
    parser.add_argument("--against", help="Also time assess on this git revision's source.")
    args = parser.parse_args()
    other = source_of(args.against) if args.against else None
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    modes = ["on", "off"] if args.bytecode == "both" else [args.bytecode]
    for mode in modes:
        if mode == "off":
            prefix = tempfile.mkdtemp(prefix="no-pycache-")
            env = {**env, "PYTHONPYCACHEPREFIX": prefix, "PYTHONDONTWRITEBYTECODE": "1"}
        print(f"bytecode caching {mode} (median of {args.runs} runs each):")
        for what, found in zip(("wall", "CPU"), measure(args.runs, env, other), strict=True):
            base, ours = found[0], found[1]
            print(
                f'  {what:>4}: python -c "import pandas" {base * 1000:.0f} ms,'
                f" fragwatch assess --json {ours * 1000:.0f} ms,"
                f" ratio {ours / base:.2f} (target <= 1.2)"
            )
            if other is not None:
                print(
                    f"        assess on {args.against}: {found[2] * 1000:.0f} ms,"
                    f" ratio {found[2] / base:.2f}"
                )


if __name__ == "__main__":
    main()
