"""Benchmark: `fragwatch validate` (every country, 2000-latest) against `fragwatch rank`.

Both are timed as whole processes on the embedded data, alternating, several runs each. The
baseline, `fragwatch rank --as-of 2024-12-31 --json`, scores every country at one date; the
validation scores every country at 24 year-ends, rescored 23 more times for the indicator table,
and fits the contenders on time-ordered folds. Then one in-process run split into its stages.
Target (issue 20): the validation under 60 s.

    .venv/bin/python bench/bench_validate.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FRAGWATCH = Path(sys.executable).with_name("fragwatch")


def once(command: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one process: on a shared machine the wall
    clock also counts the time spent waiting for a core, the CPU time does not."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def stages() -> dict[str, float]:
    """One validation in this process, timed by stage."""
    from fragwatch.evidence.battle_deaths import state_based_deaths
    from fragwatch.evidence.files import load_evidence
    from fragwatch.scoring.assessment import indicator_panel
    from fragwatch.scoring.validation import validate, year_ends
    from fragwatch.settings import load_model_spec

    out = {}
    start = time.perf_counter()
    evidence = load_evidence([])
    spec = load_model_spec(REPO / "config" / "model.toml")
    deaths = state_based_deaths()
    out["load evidence, model and outcomes"] = time.perf_counter() - start
    countries = sorted(set(evidence.countries) & set(deaths.index))
    years = list(range(2000, 2024))
    start = time.perf_counter()
    indicator_panel(evidence, spec, countries, year_ends(years))
    out[f"indicator panel alone ({len(countries)} countries x {len(years)} dates)"] = (
        time.perf_counter() - start
    )
    start = time.perf_counter()
    validate(evidence, spec, deaths, countries, years, outcome="onset", horizon_years=1)
    out["whole validation (panel, scores, folds, tables)"] = time.perf_counter() - start
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rank = [str(FRAGWATCH), "rank", "--as-of", "2024-12-31", "--json"]
    validate = [str(FRAGWATCH), "validate", "--json"]
    once(rank)  # warm the file cache
    rank_runs, validate_runs = [], []
    for _ in range(args.runs):
        rank_runs.append(once(rank))
        validate_runs.append(once(validate))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    for name, runs in (("rank --as-of 2024-12-31", rank_runs), ("validate", validate_runs)):
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(
            f"fragwatch {name} --json: median {wall:.1f} s wall, {cpu:.1f} s CPU"
            f" over {args.runs} runs ({', '.join(f'{r[0]:.1f}' for r in runs)} s wall)"
        )
    ratio = statistics.median(r[0] for r in validate_runs) / statistics.median(
        r[0] for r in rank_runs
    )
    cpu_ratio = statistics.median(r[1] for r in validate_runs) / statistics.median(
        r[1] for r in rank_runs
    )
    print(f"ratio validate / rank: {ratio:.1f} wall, {cpu_ratio:.1f} CPU; target: under 60 s")
    for stage, seconds in stages().items():
        print(f"  {stage}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
