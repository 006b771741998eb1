"""Benchmark: a cold `fragwatch assess --json` against `python -c "import pandas"`.

Both are timed as whole processes, alternating, several runs each; the ratio of the medians is
the figure (target: at most 1.2). Wall time and CPU time (user + system, from ``os.wait4``)
are both given: on a shared machine the CPU time is the steadier of the two. Bytecode caching
"on" is an ordinary install after one warm-up run (compiled modules are read from
``__pycache__``); "off" runs every process with an empty ``PYTHONPYCACHEPREFIX`` and
``PYTHONDONTWRITEBYTECODE=1``, so every module of both commands, pandas' included, is compiled
from source each time. Run from the repository root or bench/.

    .venv/bin/python bench/bench_startup.py [--runs 21] [--bytecode on|off|both]
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


def measure(runs: int, env: dict[str, str]) -> list[tuple[float, float]]:
    """Medians of (baseline, assess) for wall time and for CPU time."""
    baseline = [sys.executable, "-c", "import pandas"]
    assess = [str(FRAGWATCH), "assess", "--as-of", "2016-01-31", "--json"]
    once(baseline, env), once(assess, env)  # warm the file cache: 'cold' means a new process
    base_times, assess_times = [], []
    for _ in range(runs):
        base_times.append(once(baseline, env))
        assess_times.append(once(assess, env))
    return [
        (statistics.median(t[i] for t in base_times), statistics.median(t[i] for t in assess_times))
        for i in (0, 1)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--bytecode", choices=["on", "off", "both"], default="both")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    modes = ["on", "off"] if args.bytecode == "both" else [args.bytecode]
    for mode in modes:
        if mode == "off":
            prefix = tempfile.mkdtemp(prefix="no-pycache-")
            env = {**env, "PYTHONPYCACHEPREFIX": prefix, "PYTHONDONTWRITEBYTECODE": "1"}
        print(f"bytecode caching {mode} (median of {args.runs} runs each):")
        for what, (base, ours) in zip(("wall", "CPU"), measure(args.runs, env), strict=True):
            print(
                f'  {what:>4}: python -c "import pandas" {base * 1000:.0f} ms,'
                f" fragwatch assess --json {ours * 1000:.0f} ms,"
                f" ratio {ours / base:.2f} (target <= 1.2)"
            )


if __name__ == "__main__":
    main()
