"""Benchmark: a cold `fragwatch assess --json` against `python -c "import pandas"`.

Both are timed as whole processes, alternating, several runs each; the ratio of the medians is
the figure (target: at most 1.3). Run from the repository root or bench/.

    .venv/bin/python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FRAGWATCH = Path(sys.executable).with_name("fragwatch")


def once(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    baseline = [sys.executable, "-c", "import pandas"]
    assess = [str(FRAGWATCH), "assess", "--as-of", "2016-01-31", "--json"]
    once(baseline), once(assess)  # warm the file cache: 'cold' means a new process
    base_times, assess_times = [], []
    for _ in range(args.runs):
        base_times.append(once(baseline))
        assess_times.append(once(assess))
    base, ours = statistics.median(base_times), statistics.median(assess_times)
    print(f'python -c "import pandas": median {base * 1000:.0f} ms over {args.runs} runs')
    print(f"fragwatch assess --json:   median {ours * 1000:.0f} ms over {args.runs} runs")
    print(f"ratio: {ours / base:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
