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
import platform
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
    rank_times, validate_times = [], []
    for _ in range(args.runs):
        rank_times.append(once(rank))
        validate_times.append(once(validate))
    base, ours = statistics.median(rank_times), statistics.median(validate_times)
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"fragwatch rank --as-of 2024-12-31 --json: median {base:.1f} s over {args.runs} runs")
    print(f"fragwatch validate --json:                median {ours:.1f} s over {args.runs} runs")
    print(f"  (validate runs: {', '.join(f'{t:.1f}' for t in validate_times)} s)")
    print(f"ratio: {ours / base:.1f}; target: validate under 60 s")
    for stage, seconds in stages().items():
        print(f"  {stage}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
