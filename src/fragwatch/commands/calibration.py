"""``fragwatch calibrate``: weights fitted on an event ledger, shown beside the expert weights.

Read-only: it prints advice (and on request writes it as a scenario file to try); the model
configuration is never written.
"""

from __future__ import annotations

import math
from pathlib import Path

import click

from fragwatch import jsonout
from fragwatch.commands.analysis import ledger_options
from fragwatch.errors import UsageError


@click.command()
@ledger_options
@click.option(
    "--splits",
    type=click.IntRange(2, 20),
    default=5,
    show_default=True,
    help="Time-ordered cross-validation splits.",
)
@click.option(
    "--c",
    "C",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Inverse L2 regularisation strength of the logistic regression (smaller: weights"
    " pulled harder towards zero).",
)
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(path_type=Path),
    help="Also write the fitted weights as a scenario file, to try with `fragwatch scenario run`.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def calibrate(obj, start, end, events_path, country, horizon, splits, C, scenario_path, as_json):
    """Fit non-negative indicator weights on an event ledger; advice only, nothing is changed."""
    import numpy as np
    import pandas as pd

    from fragwatch.commands.analysis import ledger_inputs
    from fragwatch.scoring.assessment import score_history
    from fragwatch.scoring.backtest import target
    from fragwatch.scoring.calibration import calibrate as fit
    from fragwatch.scoring.calibration import splits_fit

    if scenario_path is not None and scenario_path.suffix != ".toml":  # before the fit
        raise UsageError("a scenario file must end in .toml", where="--scenario")
    if scenario_path is not None:
        from fragwatch.atomicfile import check_output_path

        check_output_path(scenario_path, UsageError, "--scenario")
    dates, ledger, evidence, spec, chosen = ledger_inputs(obj, start, end, events_path, country)
    _, scores = score_history(evidence, spec, [chosen], dates)
    normalised = scores.normalised.xs(chosen, level=0)
    score = scores.score.xs(chosen, level=0)
    mine = ledger[ledger["country"].isin(["", chosen])]
    y = target(dates, pd.DatetimeIndex(mine["date"]), horizon)
    known = ~np.isnan(y) & score.notna().to_numpy()
    labels = set(np.unique(y[known]).tolist())
    if labels != {0.0, 1.0}:
        span = f"from {dates[0].date()} to {dates[-1].date()}"
        if not labels:  # every outcome lies beyond --to, or every score is withheld
            raise UsageError(
                f"no month {span} has both a score and an outcome known within {horizon}"
                " months before --to",
                where="--horizon",
            )
        which = "every" if labels == {1.0} else "no"
        raise UsageError(
            f"{which} month {span} with a score is followed by a ledger event within"
            f" {horizon} months; a fit needs months of both kinds",
            where="--events",
        )
    if not splits_fit(int(known.sum()), splits, horizon):
        raise UsageError(
            f"{int(known.sum())} months with a score and a known outcome are too few for"
            f" {splits} splits with a {horizon}-month gap; widen --from/--to or lower --splits",
            where="--splits",
        )
    result = fit(normalised, score, y, spec.model.framework_, horizon=horizon, splits=splits, C=C)
    if scenario_path is not None:
        _write_scenario(scenario_path, result, chosen, dates[-1])
    if as_json:
        record = {
            "country": chosen,
            "from": dates[0].date().isoformat(),
            "to": dates[-1].date().isoformat(),
            **result.to_dict(),
        }
        click.echo(jsonout.dumps(record, indent=2, ensure_ascii=False))
        return
    click.echo(_text(result, chosen, dates))
    if scenario_path is not None:
        click.echo(f"scenario written to {scenario_path}; try it: fragwatch scenario run"
                   f" {scenario_path}")  # fmt: skip


def _share(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.1%}"


def _num(x: float, digits: int) -> str:
    return "-" if math.isnan(x) else f"{x:.{digits}f}"


def _text(result, country: str, dates) -> str:
    lines = [
        f"calibration {country} {dates[0].date()} .. {dates[-1].date()}:"
        f" {result.months} months with a score and a known outcome, {result.positives} of them"
        f" followed by a ledger event within {result.horizon_months} months",
        f"fit: logistic regression on the normalised indicators (C={result.C:g}),"
        " weights kept non-negative",
        f"{'indicator':<26} {'dimension':<10} {'expert':>7} {'fitted':>7}",
    ]
    for code, row in result.weights.iterrows():
        lines.append(
            f"{code:<26} {row.dimension:<10} {_share(row.expert_share):>7}"
            f" {_share(row.fitted_share):>7}"
        )
    if not result.suggests:
        lines.append(
            "no indicator is positively associated with the events over this period:"
            " nothing to suggest"
        )
    usable = sum(f.usable for f in result.folds)
    lines += [
        f"out of sample: {len(result.folds)} time-ordered splits with a {result.horizon_months}"
        f"-month gap, {usable} with both outcomes to fit on; {result.test_months} test months,"
        f" {result.test_positives} positive",
        f"  {'':<34} {'AUC':>5} {'Brier':>6}",
    ]
    for row in result.out_of_sample.itertuples():
        lines.append(f"  {row.label:<34} {_num(row.auc, 2):>5} {_num(row.brier, 3):>6}")
    lines.append("advice only: the configured weights are unchanged")
    return "\n".join(lines)


def _write_scenario(path: Path, result, country: str, as_of) -> None:
    """The fitted weights as a scenario file (scenario [weights] override indicator and
    dimension weights), so an analyst can see what they would do before changing anything."""
    from fragwatch.atomicfile import write_atomically

    if not result.suggests:
        raise UsageError("no fitted weight is positive: no scenario to write", where="--scenario")
    lines = [
        "# Weights fitted by `fragwatch calibrate` on an event ledger. Advice to try, not to adopt",
        "# blindly: read the out-of-sample scores it printed first.",
        f'name = "calibrated-weights-{country.lower()}"',
        f'description = "Indicator weights fitted on the ledger up to {as_of.date()}'
        f' (logistic regression, C={result.C:g}, horizon {result.horizon_months} months)."',
        f'countries = ["{country}"]',
        "",
        "[weights]",
    ]
    lines += [f"{code} = {weight:g}" for code, weight in result.suggested_weights().items()]
    text = "\n".join(lines) + "\n"

    def write(partial: Path) -> None:
        partial.write_text(text, encoding="utf-8")

    write_atomically(path, write, UsageError, where="--scenario")
