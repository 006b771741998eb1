"""PNG charts of the analysis commands, drawn offline with matplotlib's Agg backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _figure():
    import matplotlib

    matplotlib.use("Agg")  # never a window, whatever MPLBACKEND says
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    from fragwatch.atomicfile import write_atomically
    from fragwatch.errors import UsageError

    def write(handle) -> None:
        fig.savefig(handle, format="png", dpi=110)

    try:
        write_atomically(path, write, UsageError, where="--chart")
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def backtest_chart(run, metrics, bands, path: Path, rules: list[str] | None) -> None:
    """Score over time, band edges, alarm months shaded, ledger events as vertical lines."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    dates = run.scores.index
    ax.plot(dates, run.scores["score"], color="#1f3b73", lw=1.8, label="score (point-in-time)")
    for name, edge in bands:
        if edge > 0:
            ax.axhline(edge, color="#bbbbbb", lw=0.6, ls=":")
            ax.text(dates[0], edge + 0.8, name, fontsize=7, color="#777777")
    alarm = run.firing[rules or list(run.firing.columns)].any(axis=1).to_numpy()
    ax.fill_between(
        dates, 0, 100, where=alarm, step="mid", color="#f4a261", alpha=0.25, label="alert firing"
    )
    for i, e in enumerate(metrics.events.itertuples()):
        ax.axvline(e.date, color="#c1121f", lw=1.2, label="ledger event" if i == 0 else None)
    ax.set_ylim(0, 100)
    ax.set_ylabel("score (0-100)")
    ax.set_title(
        f"Backtest {run.country}: hit rate {metrics.hit_rate:.0%}, AUC "
        + ("-" if np.isnan(metrics.auc) else f"{metrics.auc:.2f}")
        + f" ({len(metrics.events)} events, {metrics.horizon_months}-month horizon)",
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="upper center", ncol=3)
    fig.tight_layout()
    _save(fig, path)
