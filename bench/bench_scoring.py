"""Benchmark: the vectorised scoring core against a straightforward pandas implementation.

Panel: 200 countries x 360 months x 20 indicators in 4 dimensions, 10% of cells missing.
All implementations compute normalised values, effective weights, contributions, score and
coverage. Two straightforward pandas baselines: a loop over countries doing DataFrame
operations on each country's rows, and a per-row Python function (DataFrame.apply, axis=1).
Results are checked equal before timing.

    .venv/bin/python bench/bench_scoring.py [--countries 200] [--months 360] [--repeat 7]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd

from fragwatch.scoring.model import FragilityModel


def make_case(countries: int, months: int, indicators: int = 20, seed: int = 0):
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [
            [f"C{i:04d}" for i in range(countries)],
            pd.date_range("1996-01-31", periods=months, freq="ME"),
        ],
        names=["unit", "period"],
    )
    codes = [f"ind{j:02d}" for j in range(indicators)]
    values = rng.uniform(-20, 120, size=(len(index), indicators))
    values[rng.random(values.shape) < 0.10] = np.nan
    panel = pd.DataFrame(values, index=index, columns=codes)
    dims = ["economic", "political", "security", "social"]
    framework = pd.DataFrame(
        {
            "code": codes + dims,
            "parent": [dims[j % 4] for j in range(indicators)] + [None] * 4,
            "direction": [1 if j % 3 else -1 for j in range(indicators)] + [None] * 4,
            "weight": [*list(rng.uniform(0.5, 2.0, indicators)), 1.0, 1.0, 1.5, 0.5],
            "lo": [0.0] * indicators + [None] * 4,
            "hi": [100.0] * indicators + [None] * 4,
        }
    )
    return panel, framework


def baseline(panel: pd.DataFrame, framework: pd.DataFrame) -> pd.DataFrame:
    """Score row by row with plain pandas/Python: the obvious implementation."""
    ind = framework.dropna(subset=["lo"]).set_index("code")
    dim_weight = framework[framework["lo"].isna()].set_index("code")["weight"]
    nominal_dim = dim_weight / dim_weight.sum()
    nominal = ind["weight"] / ind.groupby("parent")["weight"].transform("sum")
    nominal = nominal * ind["parent"].map(nominal_dim)

    def score_row(row: pd.Series) -> pd.Series:
        share = ((row - ind["lo"]) / (ind["hi"] - ind["lo"])).clip(0, 1)
        s = share.where(ind["direction"] > 0, 1 - share)
        known = s.notna()
        dims = ind.loc[known, "parent"]
        dim_known_w = ind.loc[known, "weight"].groupby(dims).sum()
        dim_share = dim_weight[dim_known_w.index] / dim_weight[dim_known_w.index].sum()
        eff = ind.loc[known, "weight"] / dims.map(dim_known_w) * dims.map(dim_share)
        contrib = 100 * eff * s[known]
        out = contrib.reindex(ind.index)
        out["score"] = contrib.sum() if known.any() else np.nan
        out["coverage"] = nominal[known].sum()
        return out

    return panel.apply(score_row, axis=1)


def baseline_per_country(panel: pd.DataFrame, framework: pd.DataFrame) -> pd.DataFrame:
    """The same formulas with pandas DataFrame operations, one country at a time."""
    ind = framework.dropna(subset=["lo"]).set_index("code")
    dim_weight = framework[framework["lo"].isna()].set_index("code")["weight"]
    nominal = ind["weight"] / ind.groupby("parent")["weight"].transform("sum")
    nominal = nominal * ind["parent"].map(dim_weight / dim_weight.sum())
    parts = []
    for _, block in panel.groupby(level="unit", sort=False):
        share = ((block - ind["lo"]) / (ind["hi"] - ind["lo"])).clip(0, 1)
        s = share.where(np.broadcast_to(ind["direction"].to_numpy() > 0, share.shape), 1 - share)
        known_w = s.notna() * ind["weight"]
        dim_known = known_w.T.groupby(ind["parent"]).sum().T
        dim_share = (dim_known > 0) * dim_weight[dim_known.columns]
        dim_share = dim_share.div(dim_share.sum(axis=1), axis=0)
        within = known_w / dim_known[ind["parent"]].set_axis(ind.index, axis=1)
        eff = within * dim_share[ind["parent"]].set_axis(ind.index, axis=1)
        contrib = (100 * eff * s).where(s.notna())
        out = contrib.copy()
        out["score"] = contrib.sum(axis=1, min_count=1)
        out["coverage"] = (s.notna() * nominal).sum(axis=1)
        parts.append(out)
    return pd.concat(parts)


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=int, default=200)
    parser.add_argument("--months", type=int, default=360)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=5000,
        help="rows the slow baseline is timed on (scaled up linearly)",
    )
    args = parser.parse_args()

    panel, framework = make_case(args.countries, args.months)
    model = FragilityModel(framework).fit(panel)

    # Correctness first: both give the same numbers on a sample.
    sample = panel.iloc[:500]
    fast, slow = model.score(sample), baseline(sample, framework)
    np.testing.assert_allclose(fast.score.to_numpy(), slow["score"].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(fast.coverage.to_numpy(), slow["coverage"].to_numpy(), atol=1e-12)
    np.testing.assert_allclose(
        fast.contributions.to_numpy(), slow[model.framework_.codes].to_numpy(), atol=1e-9
    )

    per_country = baseline_per_country(sample, framework)
    np.testing.assert_allclose(fast.score.to_numpy(), per_country["score"].to_numpy(), atol=1e-9)

    vector_times = timed(lambda: model.score(panel), args.repeat)
    country_times = timed(lambda: baseline_per_country(panel, framework), 3)
    tracemalloc.start()
    model.score(panel)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows = min(args.baseline_rows, len(panel))
    part = panel.iloc[:rows]
    base_times = [t * len(panel) / rows for t in timed(lambda: baseline(part, framework), 3)]

    cells = panel.size
    median_v, median_b = statistics.median(vector_times), statistics.median(base_times)
    print(
        f"machine: {platform.processor() or platform.machine()}, {platform.system()}, "
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}"
    )
    print(
        f"panel: {args.countries} countries x {args.months} months x {panel.shape[1]} "
        f"indicators = {cells:,} cells ({panel.isna().mean().mean():.0%} missing), "
        f"{panel.memory_usage(deep=True).sum() / 2**20:.1f} MiB"
    )
    print(
        f"vectorised core: median {median_v * 1000:.1f} ms over {args.repeat} runs "
        f"(min {min(vector_times) * 1000:.1f}, max {max(vector_times) * 1000:.1f})"
    )
    median_c = statistics.median(country_times)
    print(f"per-country pandas baseline: median {median_c * 1000:.0f} ms over 3 runs")
    print(
        f"row-wise pandas baseline: median {median_b:.1f} s "
        f"(timed on {rows:,} rows, scaled to {len(panel):,})"
    )
    print(
        f"speed-up: {median_c / median_v:,.0f}x over per-country, "
        f"{median_b / median_v:,.0f}x over row-wise"
    )
    print(
        f"peak memory while scoring: {peak / 2**20:.1f} MiB "
        f"({peak / panel.memory_usage(deep=True).sum():.1f}x the input panel)"
    )


if __name__ == "__main__":
    main()
