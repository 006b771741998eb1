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


def _readable(name: str, names: dict[str, str]) -> str:
    """'migrant_returns value' -> 'Migrant returns (value)' (the framework's indicator name)."""
    code, _, part = name.rpartition(" ")
    return f"{names.get(code, code)} ({part})"


def sensitivity_chart(result, names: dict[str, str], title: str, path: Path) -> None:
    """Sobol S1 and ST per input (sorted by ST) above the top contributors' rank stability.

    ``result`` is a ``scoring.sensitivity.Sensitivity``; ``names`` maps indicator codes to
    readable names; ``title`` heads the indices panel (country, as-of date, score).
    """
    from fragwatch.scoring.sensitivity import TOP

    plt = _figure()
    ranked = result.ranked()
    n, m = len(ranked), len(result.top)
    fig, (upper, lower) = plt.subplots(
        2,
        1,
        figsize=(9, 2.2 + 0.26 * n + 0.3 * m),
        gridspec_kw={"height_ratios": [n + 1, m + 2.2]},
    )
    y = np.arange(n)
    s1 = np.array([row[1] for row in ranked])
    st = np.array([row[2] for row in ranked])
    height = 0.4
    upper.barh(y - height / 2, st, height, color="#1f3b73", label="total (ST)")
    upper.barh(y + height / 2, s1, height, color="#8fb3e0", label="first-order (S1)")
    top = float(max(st.max(), s1.max(), 0.0))
    room = min(1.0, max(0.1, top * 1.2))  # the bars use the width, value labels still fit
    for yy, value in zip(y, st, strict=True):
        upper.text(
            max(value, 0.0) + room * 0.01,
            yy - height / 2,
            f"{round(value, 3) + 0.0:.3f}",  # + 0.0: no "-0.000" from sampling noise
            va="center",
            fontsize=7,
            color="#1f3b73",
        )
    upper.set_yticks(y, [_readable(row[0], names) for row in ranked], fontsize=8)
    upper.invert_yaxis()  # largest ST at the top
    upper.set_ylim(n - 0.4, -0.6)
    upper.set_xlim(min(0.0, float(s1.min()), float(st.min())), room * 1.08)
    upper.axvline(0, color="#888888", lw=0.6)
    upper.grid(axis="x", color="#dddddd", lw=0.6)
    upper.set_axisbelow(True)
    upper.set_xlabel(
        f"share of the score variance ({result.variance:.3f}) over {result.samples} base samples",
        fontsize=8,
    )
    upper.tick_params(axis="x", labelsize=8)
    upper.legend(fontsize=8, loc="lower right")
    upper.set_title(title, fontsize=10)

    shares = np.asarray(result.stability, float) * 100
    ry = np.arange(m)
    lower.barh(ry, shares, 0.6, color="#2a9d8f")
    lower.set_yticks(ry, [names.get(c, c) for c in result.top], fontsize=8)
    lower.invert_yaxis()  # the largest contributor at the top
    lower.set_xlim(0, 100)
    lower.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=8)
    lower.grid(axis="x", color="#dddddd", lw=0.6)
    lower.set_axisbelow(True)
    for yy, share in zip(ry, shares, strict=True):
        inside = share >= 12
        lower.text(
            share - 1 if inside else share + 1,
            yy,
            f"{share:.0f}%",
            va="center",
            ha="right" if inside else "left",
            fontsize=8,
            color="white" if inside else "#333333",
        )
    lower.set_xlabel("share of draws", fontsize=8)
    lower.set_title(
        f"Rank stability: how often each current top contributor stays in the top {TOP}",
        fontsize=9,
    )
    fig.tight_layout()
    _save(fig, path)
