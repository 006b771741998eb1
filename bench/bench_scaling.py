"""Benchmark: scoring time against the number of countries (10, 50, 200, 1000 x 360 months).

Writes docs/scaling.png (time and time per row against countries) and prints a table. Growth
should be linear: time per row roughly constant.

    .venv/bin/python bench/bench_scaling.py [--repeat 5] [--chart docs/scaling.png]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench_scoring import make_case
from fragwatch.scoring.model import FragilityModel

SIZES = (10, 50, 200, 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--months", type=int, default=360)
    parser.add_argument("--chart", type=Path, default=Path("docs/scaling.png"))
    args = parser.parse_args()

    results = []
    for countries in SIZES:
        panel, framework = make_case(countries, args.months)
        model = FragilityModel(framework).fit(panel)
        model.score(panel)  # warm-up
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            model.score(panel)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        results.append((countries, len(panel), median))
        print(
            f"{countries:>5} countries x {args.months} months = {len(panel):>7,} rows: "
            f"median {median * 1000:8.1f} ms, {median / len(panel) * 1e6:.3f} us/row"
        )
    per_row = [t / rows for _, rows, t in results]
    print(f"time per row, largest / smallest size: {per_row[-1] / per_row[0]:.2f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    xs = [c for c, _, _ in results]
    left.plot(xs, [t * 1000 for _, _, t in results], "o-")
    left.set(
        xlabel="countries (x 360 months x 20 indicators)",
        ylabel="median time (ms)",
        title="Scoring time",
    )
    right.plot(xs, [p * 1e6 for p in per_row], "o-")
    right.set(
        xlabel="countries",
        ylabel="microseconds per row",
        title="Time per row",
        ylim=(0, max(per_row) * 1e6 * 1.3),
    )
    right.set_xscale("log")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    args.chart.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.chart, dpi=110)
    print(f"chart: {args.chart}")


if __name__ == "__main__":
    main()
