"""Benchmark: the interval's Monte Carlo and the monthly backtest, each against a straightforward
baseline in the same run.

- Monte Carlo, 10,000 draws of one assessment (TJK as of 2016-01-31, evidence ranges and 10%
  weight noise): ``scoring.uncertainty.interval_of`` (all draws as one array) against a loop that
  scores one draw at a time with the scoring core's ``aggregate``, from the same random numbers,
  so the two must agree draw for draw.
- Backtest, 120 month ends (2006-01 .. 2015-12): ``scoring.backtest.replay`` (one vectorised
  ``score_history`` pass, then the alert lifecycle) against a loop of ``assess`` per month with
  the same lifecycle; the scores must agree month for month.

    .venv/bin/python bench/bench_uncertainty.py [--draws 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from fragwatch.alerts.lifecycle import AlertState, step
from fragwatch.alerts.rules import evaluate
from fragwatch.evidence.files import load_evidence
from fragwatch.scoring.aggregate import aggregate
from fragwatch.scoring.assessment import assess
from fragwatch.scoring.backtest import SIGNAL_KINDS, month_ends, replay
from fragwatch.scoring.uncertainty import draw_between, interval_of
from fragwatch.settings import load_model_spec
from fragwatch.settings.alerts import load_alert_rules

REPO = Path(__file__).resolve().parents[1]


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def per_draw_loop(model, value, low, high, draws, noise, seed) -> np.ndarray:
    """One draw at a time, through ``aggregate`` (same random numbers as ``simulate``)."""
    ind = model.framework_.indicators
    rng = np.random.default_rng(seed)
    k = value.shape[1]
    u = rng.random((draws, k))
    z = rng.standard_normal((draws, k))
    out = np.empty(draws)
    for d in range(draws):
        x = draw_between(value[0], low[0], high[0], u[d])
        w = ind["weight"].to_numpy(float) * np.clip(1.0 + noise * z[d], 0.0, None)
        out[d] = aggregate(
            x[None],
            lo=ind["lo"].to_numpy(float),
            hi=ind["hi"].to_numpy(float),
            direction=ind["direction"].to_numpy(float),
            weight=w,
            position=model.positions_,
            dimension_weight=model.framework_.dimension_weights.to_numpy(float),
            min_coverage=float(model.min_coverage),
        ).score[0]
    return out


def per_month_loop(evidence, spec, rules, dates) -> np.ndarray:
    """``assess`` once per month (each filters the evidence itself), then the same lifecycle."""
    states, before, scores = {}, None, []
    for date in dates:
        (now,) = assess(evidence, spec, ["TJK"], date)
        at = datetime.combine(date.date(), datetime.min.time())
        for rule in rules:
            reading = evaluate(rule, now, before)
            state = states.get(rule.name) or AlertState(rule.name, reading.subject)
            states[rule.name], _ = step(rule, state, reading, at)
        before = now
        scores.append(now.score)
    return np.array(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    evidence = load_evidence([])
    spec = load_model_spec(REPO / "config" / "model.toml")
    rules = [
        r for r in load_alert_rules(REPO / "config", set(spec.indicators)) if r.kind in SIGNAL_KINDS
    ]

    (a,) = assess(evidence, spec, ["TJK"], pd.Timestamp("2016-01-31"))
    t = a.table.set_index("code").loc[spec.model.framework_.codes]
    value, low, high = (t[c].to_numpy(float)[None] for c in ("value", "low", "high"))
    n, noise, seed = args.draws, 0.1, 1
    fast, (found, scores) = best(
        lambda: interval_of(spec.model, value, low, high, draws=n, weight_noise=noise, seed=seed),
        args.repeat,
    )
    slow, looped = best(lambda: per_draw_loop(spec.model, value, low, high, n, noise, seed), 1)
    gap = float(np.max(np.abs(scores[:, 0] - looped)))
    print(f"Monte Carlo, {n:,} draws of one assessment (TJK 2016-01-31)")
    print(f"  vectorised interval_of: {fast * 1000:8.1f} ms")
    print(f"  per-draw aggregate loop: {slow * 1000:8.1f} ms  ({slow / fast:.0f}x slower)")
    print(f"  largest difference between the two: {gap:.1e} points")
    i = found[0]
    print(f"  median {i.median:.2f}, 90% interval {i.low:.2f} .. {i.high:.2f}")

    dates = month_ends(pd.Timestamp("2006-01-01"), pd.Timestamp("2015-12-31"))
    fast, run = best(lambda: replay(evidence, spec, rules, "TJK", dates), args.repeat)
    slow, looped = best(lambda: per_month_loop(evidence, spec, rules, dates), 1)
    same = np.allclose(run.scores["score"].to_numpy(), looped, equal_nan=True, rtol=0, atol=1e-9)
    print(f"Backtest, {len(dates)} month ends (2006-01 .. 2015-12), {len(rules)} alert rules")
    print(f"  vectorised replay:       {fast * 1000:8.1f} ms")
    print(f"  per-month assess loop:   {slow * 1000:8.1f} ms  ({slow / fast:.1f}x slower)")
    print(f"  scores identical month for month: {same}")


if __name__ == "__main__":
    main()
