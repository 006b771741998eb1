"""Benchmark: `fragwatch rank` (every country) against a single-country `fragwatch assess`.

Both run as whole processes on the embedded data, as of the same date, alternating; the figure
is the ratio of the medians (target: rank at most 1.5x assess). Wall time and CPU time (user +
system of the child) are both reported: on a busy machine the CPU ratio is the steadier one.

    .venv/bin/python bench/bench_rank.py [--runs 11] [--as-of 2026-12-07]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FRAGWATCH = Path(sys.executable).with_name("fragwatch")


def once(command: list[str]) -> tuple[float, float, str]:
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--as-of", default=date.today().isoformat())
    args = parser.parse_args()
    rank = [str(FRAGWATCH), "rank", "--as-of", args.as_of, "--json"]
    assess = [str(FRAGWATCH), "assess", "--country", "TJK", "--as-of", args.as_of, "--json"]
    once(rank), once(assess)  # warm the file cache
    times: dict[str, list[tuple[float, float]]] = {"rank": [], "assess": []}
    scored = 0
    for _ in range(args.runs):
        wall, cpu, out = once(rank)
        times["rank"].append((wall, cpu))
        scored = sum(1 for r in json.loads(out)["countries"] if r["rank"] > 0)
        wall, cpu, _ = once(assess)
        times["assess"].append((wall, cpu))
    med = {
        name: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t))
        for name, t in times.items()
    }
    print(f"as of {args.as_of}, {args.runs} runs each, alternating")
    print(f"fragwatch rank (all countries, {scored} scored): wall {med['rank'][0]*1000:.0f} ms,"
          f" cpu {med['rank'][1]*1000:.0f} ms")  # fmt: skip
    print(f"fragwatch assess --country TJK:            wall {med['assess'][0]*1000:.0f} ms,"
          f" cpu {med['assess'][1]*1000:.0f} ms")  # fmt: skip
    print(
        f"ratio rank/assess: wall {med['rank'][0] / med['assess'][0]:.2f},"
        f" cpu {med['rank'][1] / med['assess'][1]:.2f} (target <= 1.5)"
    )


if __name__ == "__main__":
    main()
