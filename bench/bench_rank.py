"""Benchmark: `fragwatch rank` (every country) against a single-country `fragwatch assess`.

Both run as whole processes on the embedded data, as of the same date, alternating; the figure
is the ratio of the medians (target: rank at most 1.5x assess). Wall time and CPU time (user +
system of the child) are both reported: on a busy machine the CPU ratio is the steadier one.

    .venv/bin/python bench/bench_rank.py [--runs 11] [--as-of 2026-12-07] [--against REV]

``--against REV`` also runs both commands on the source of a git revision (``git archive REV
src`` unpacked and put first on ``PYTHONPATH``) in the same alternation, for its ratio at the
same moment.
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

from revisions import source_of

REPO = Path(__file__).resolve().parents[1]
FRAGWATCH = Path(sys.executable).with_name("fragwatch")


def once(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True, env=env)
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
    parser.add_argument("--against", help="Also run both commands on this git revision's source.")
    args = parser.parse_args()
    rank = ["rank", "--as-of", args.as_of, "--json"]
    assess = ["assess", "--country", "TJK", "--as-of", args.as_of, "--json"]
    commands = {
        "rank": ([str(FRAGWATCH), *rank], None),
        "assess": ([str(FRAGWATCH), *assess], None),
    }
    if args.against:
        other = {**os.environ, "PYTHONPATH": str(source_of(args.against))}
        module = [sys.executable, "-m", "fragwatch.cli"]
        commands["rank@"] = ([*module, *rank], other)
        commands["assess@"] = ([*module, *assess], other)
    for command, env in commands.values():  # warm the file cache
        once(command, env)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    scored = 0
    for _ in range(args.runs):
        for name, (command, env) in commands.items():
            wall, cpu, out = once(command, env)
            times[name].append((wall, cpu))
            if name == "rank":
                scored = sum(1 for r in json.loads(out)["countries"] if r["rank"] > 0)
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
    if args.against:
        print(
            f"on {args.against}: rank wall {med['rank@'][0]*1000:.0f} ms, cpu"
            f" {med['rank@'][1]*1000:.0f} ms; assess wall {med['assess@'][0]*1000:.0f} ms, cpu"
            f" {med['assess@'][1]*1000:.0f} ms;"
            f" ratio wall {med['rank@'][0] / med['assess@'][0]:.2f},"
            f" cpu {med['rank@'][1] / med['assess@'][1]:.2f}"
        )  # fmt: skip


if __name__ == "__main__":
    main()
