"""Benchmark: a cold `fragwatch assess --json` against `python -c "import pandas"`.

Both are timed as whole processes, alternating, several runs each; the ratio of the medians is
the figure (target: at most 1.2). Bytecode caching "on" is an ordinary install after one warm-up
run (compiled modules are read from ``__pycache__``); "off" runs every process with an empty
``PYTHONPYCACHEPREFIX`` and ``PYTHONDONTWRITEBYTECODE=1``, so every module of both commands,
pandas' included, is compiled from source each time. Run from the repository root or bench/.

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


def once(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def measure(runs: int, env: dict[str, str]) -> tuple[float, float]:
    baseline = [sys.executable, "-c", "import pandas"]
    assess = [str(FRAGWATCH), "assess", "--as-of", "2016-01-31", "--json"]
    once(baseline, env), once(assess, env)  # warm the file cache: 'cold' means a new process
    base_times, assess_times = [], []
    for _ in range(runs):
        base_times.append(once(baseline, env))
        assess_times.append(once(assess, env))
    return statistics.median(base_times), statistics.median(assess_times)


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
        base, ours = measure(args.runs, env)
        print(f"bytecode caching {mode}:")
        print(f'  python -c "import pandas": median {base * 1000:.0f} ms over {args.runs} runs')
        print(f"  fragwatch assess --json:   median {ours * 1000:.0f} ms over {args.runs} runs")
        print(f"  ratio: {ours / base:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
