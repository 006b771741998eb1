"""A chart comparing scenarios side by side: baseline and scenario score, with the 90% interval.

matplotlib is imported here only, and only when a chart is asked for; the Agg backend draws
without a display.
"""

from __future__ import annotations

import math
from pathlib import Path

from fragwatch.scenarios.run import ScenarioResult


def draw_comparison(
    results: list[ScenarioResult], bands: tuple[tuple[str, float], ...], path: Path
) -> None:
    """Write a PNG: per country, one pair of bars per scenario at its last as-of date."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    countries = sorted({p.country for r in results for p in r.points})
    fig = Figure(figsize=(max(5.0, 1.2 * len(results) + 2), 3.4 * len(countries)), dpi=110)
    axes = fig.subplots(len(countries), 1, squeeze=False)[:, 0]
    edges = [edge for _, edge in bands] + [100.0]
    shades = ["#e8f5e9", "#fffde7", "#fff3e0", "#ffebee", "#f8d7da", "#f3e5f5"]
    for ax, country in zip(axes, countries, strict=True):
        for (name, low), high, shade in zip(bands, edges[1:], shades, strict=False):
            ax.axhspan(low, high, color=shade, zorder=0)
            ax.text(len(results) - 0.45, (low + high) / 2, name, va="center", fontsize=7)
        labels, labelled = [], False
        for x, r in enumerate(results):
            p = [p for p in r.points if p.country == country][-1]
            labels.append(f"{r.scenario.name}\n{p.as_of.date()}")
            base = 0.0 if math.isnan(p.base_score) else p.base_score
            after = 0.0 if math.isnan(p.score) else p.score
            ax.bar(x - 0.18, base, width=0.34, color="#90a4ae", zorder=2,
                   label="baseline" if x == 0 else None)  # fmt: skip
            ax.bar(x + 0.18, after, width=0.34, color="#c62828", zorder=2,
                   label="scenario" if x == 0 else None)  # fmt: skip
            d = p.draws
            if d is not None and not math.isnan(d.low):
                ax.errorbar(
                    x + 0.18, d.median, yerr=[[d.median - d.low], [d.high - d.median]],
                    fmt="o", color="black", ms=3, capsize=4, zorder=3,
                    label=None if labelled else "median, 90% interval of the draws",
                )  # fmt: skip
                labelled = True
        ax.set_xticks(range(len(results)), labels, fontsize=7)
        ax.set_xlim(-0.6, len(results) - 0.4 + 0.6)
        ax.set_ylim(0, 100)
        ax.set_ylabel("fragility score")
        ax.set_title(f"{country}: scenarios against the baseline", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, format="png")
