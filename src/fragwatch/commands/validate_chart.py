"""The PNG of ``fragwatch validate``: a calibration plot and skill by year, drawn offline."""

from __future__ import annotations

from pathlib import Path

from fragwatch.commands.analysis_charts import _figure, _save

LABELS = {
    "score": "score (link fitted on training years)",
    "score_raw": "score / 100 as is",
    "baseline": "last year's battle deaths",
    "fitted": "fitted model (ceiling)",
}
COLOURS = {"score": "#1f3b73", "score_raw": "#8ecae6", "baseline": "#c1121f", "fitted": "#2a9d8f"}


def validation_chart(result, path: Path) -> None:
    plt = _figure()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    cal = result.calibration
    top = max(0.05, float(cal[["predicted", "observed"]].max().max()) * 1.05)
    left.plot([0, top], [0, top], color="#999999", lw=0.8, ls=":", label="perfect calibration")
    for key, label in LABELS.items():
        part = cal[cal["contender"] == key]
        left.plot(part["predicted"], part["observed"], marker="o", ms=3.5, lw=1.4,
                  color=COLOURS[key], label=label)  # fmt: skip
    left.set_xlim(0, top)
    left.set_ylim(0, top)
    left.set_xlabel("predicted probability (mean of a decile bin)")
    left.set_ylabel("observed frequency")
    left.set_title(f"Calibration on the test years ({result.outcome})", fontsize=9)
    left.legend(fontsize=7, loc="upper left")

    by_year = result.by_year
    years = by_year.index.astype(int)
    right.axhline(0.5, color="#999999", lw=0.8, ls=":")
    right.plot(years, by_year["auc_score"], marker="o", ms=3, color=COLOURS["score"],
               label="score, with conflict history")  # fmt: skip
    right.plot(years, by_year["auc_score_nohist"], marker="s", ms=3, color="#f4a261",
               label="score, without conflict history")  # fmt: skip
    right.plot(years, by_year["auc_baseline"], marker="^", ms=3, color=COLOURS["baseline"],
               label="last year's battle deaths")  # fmt: skip
    right.set_ylim(0, 1)
    right.set_xlabel("forecast year (score as of 31 December)")
    right.set_ylabel("AUC")
    right.set_title(
        f"Skill by year: {result.outcome} within {12 * result.horizon_years} months", fontsize=9
    )
    right.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    _save(fig, path)
