"""Benchmark: vectorised Monte Carlo of a scenario against a loop calling the scoring path per draw.

The scenario has four random shocks, one of each way a value can enter: an indicator set to a
triangular draw (remittances), an indicator multiplied by a uniform draw (repression), an
evidence quantity multiplied by a bounded normal draw (migrant returns, flowing through the
per-population indicator) and a quantity in the base period of a change (heroin seizures), plus
a hypothetical event. It is assessed at every month end of the full Tajikistan history the
score covers (2002-01 to 2026-10, 298 dates) on the embedded evidence and config/model.toml.

The baseline is the ordinary path once per draw (shock the evidence, compute the ten
indicators, shock them, ``FragilityModel.score``), timed on a subset of draws and scaled; both
are checked equal on that subset first.

    .venv/bin/python bench/bench_scenarios.py [--draws 10000] [--repeat 5] [--loop-draws 100]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from fragwatch.evidence.files import load_evidence
from fragwatch.scenarios.engine import prepare
from fragwatch.scenarios.montecarlo import simulate
from fragwatch.scenarios.run import run_scenario
from fragwatch.scenarios.vocabulary import vocabulary
from fragwatch.settings import load_model_spec
from fragwatch.settings.scenarios import load_scenarios

REPO = Path(__file__).resolve().parents[1]
SCENARIO = """
name = "bench"
description = "Four random shocks over the full history."

[as_of]
from = 2002-01-01
to = 2026-10-31
every = "month"

[[shock]]
indicator = "remittances_gdp"
op = "set"
distribution = "triangular"
low = 20
mode = 25
high = 32
from = 2016-01-01

[[shock]]
indicator = "opposition_repression"
op = "multiply"
distribution = "uniform"
low = 0.2
high = 1.5

[[shock]]
quantity = "migrant_returns"
op = "multiply"
distribution = "normal"
mean = 1.2
sd = 0.3
low = 0.5
high = 2.0

[[shock]]
quantity = "heroin_seizures"
op = "multiply"
distribution = "uniform"
low = 0.5
high = 2.0
from = 2008-01-01
to = 2008-12-31

[[event]]
kind = "border_raid"
date = 2016-05-14
fatalities = 9
"""


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--loop-draws", type=int, default=100, help="draws the loop is timed on")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    evidence = load_evidence([])
    spec = load_model_spec(REPO / "config" / "model.toml")
    vocab = vocabulary(spec, evidence)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.toml"
        path.write_text(SCENARIO, encoding="utf-8")
        scenario = load_scenarios([path], vocab)
    dates = scenario.as_of.dates()
    prepared = prepare(scenario, evidence, spec, vocab, dates)

    # Correctness first: the per-draw loop and the vectorised draws agree on a subset.
    simulation = simulate(prepared, args.draws, args.seed)
    subset = np.linspace(0, args.draws - 1, args.loop_draws).astype(int)

    def loop() -> np.ndarray:
        out = np.empty((len(subset), len(dates)))
        for row, d in enumerate(subset):  # the baseline: one ordinary scoring pass per draw
            values = prepared.central_values()
            for i, drawn in simulation.values.items():
                values[i] = float(drawn[d])
            _, scores, _ = prepared.evaluate(values)
            out[row] = scores.score.to_numpy()
        return out

    looped = loop()
    worst = float(np.nanmax(np.abs(looped - simulation.scores[subset])))
    assert worst < 1e-9, worst
    assert np.array_equal(np.isnan(looped), np.isnan(simulation.scores[subset]))

    vector_times = timed(lambda: simulate(prepared, args.draws, args.seed), args.repeat)
    full_times = timed(
        lambda: run_scenario(
            scenario, evidence, spec, vocab, None, dates, draws=args.draws, seed=args.seed
        ),
        args.repeat,
    )
    scale = args.draws / len(subset)
    loop_times = [t * scale for t in timed(loop, 3)]
    tracemalloc.start()
    simulate(prepared, args.draws, args.seed)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    median_v, median_l = statistics.median(vector_times), statistics.median(loop_times)
    cells = args.draws * len(dates) * len(prepared.codes)
    scored = int((~np.isnan(simulation.scores)).any(axis=0).sum())
    print(
        f"machine: {platform.processor() or platform.machine()}, {platform.system()}, "
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}"
    )
    print(
        f"scenario: 4 random shocks + 1 event; {args.draws:,} draws x {len(dates)} month ends "
        f"({dates[0].date()} to {dates[-1].date()}; {scored} scored, the rest withheld) x "
        f"{len(prepared.codes)} indicators = {cells:,} cells"
    )
    print(f"largest difference, loop vs vectorised, on {len(subset)} draws: {worst:.1e} points")
    print()
    print("| what | median | runs |")
    print("|---|---|---|")
    print(
        f"| vectorised Monte Carlo (`simulate`) | {median_v * 1000:,.0f} ms "
        f"(min {min(vector_times) * 1000:,.0f}, max {max(vector_times) * 1000:,.0f}) "
        f"| {args.repeat} |"
    )
    print(
        f"| whole `run_scenario` (baseline, central run, Monte Carlo, details) | "
        f"{statistics.median(full_times) * 1000:,.0f} ms | {args.repeat} |"
    )
    print(
        f"| per-draw loop over the ordinary scoring path | {median_l:,.1f} s (timed on "
        f"{len(subset)} draws, scaled to {args.draws:,}; {median_l / args.draws * 1000:.1f} ms "
        f"per draw) | 3 |"
    )
    print(f"| speed-up | {median_l / median_v:,.0f}x | |")
    print(f"| peak memory of the Monte Carlo (tracemalloc) | {peak / 2**20:.0f} MiB | 1 |")


if __name__ == "__main__":
    main()
