"""``fragwatch validate``: does the score warn? A world backtest against UCDP outcomes.

Read-only: it prints the metrics, the advice beside the current weights and band edges, and on
request a chart; the model configuration is never written.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from fragwatch.errors import UsageError

FIRST_YEAR = 1991  # onset needs two calm years before, and UCDP starts in 1989


@click.command()
@click.option(
    "--from",
    "start",
    type=int,
    default=2000,
    show_default=True,
    help="First forecast year (scores as of its 31 December).",
)
@click.option(
    "--to",
    "end",
    type=int,
    default=None,
    help="Last forecast year (default: the last whose outcome is published).",
)
@click.option(
    "--outcome",
    type=click.Choice(["onset", "escalation", "incidence"]),
    default="onset",
    show_default=True,
    help="What is forecast: a new conflict, deaths doubling, or any conflict.",
)
@click.option(
    "--horizon",
    type=int,
    default=12,
    show_default=True,
    help="Months ahead (a multiple of 12: the outcomes are country-years).",
)
@click.option(
    "--splits",
    type=click.IntRange(2, 10),
    default=5,
    show_default=True,
    help="Time-ordered folds over years for the fitted contenders.",
)
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(path_type=Path),
    help="Write a PNG: calibration plot and skill by year.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def validate(obj, start, end, outcome, horizon, splits, chart_path, as_json):
    """Score every country at the end of every year and compare with UCDP outcomes ahead."""
    from fragwatch.evidence.battle_deaths import state_based_deaths
    from fragwatch.scoring.validation import folds_fit
    from fragwatch.scoring.validation import validate as run

    if horizon <= 0 or horizon % 12:
        raise UsageError(
            f"{horizon} is not a whole number of years in months (12, 24, 36):"
            " the outcomes are country-years",
            where="--horizon",
        )
    years_ahead = horizon // 12
    deaths = state_based_deaths()
    last_outcome = int(deaths.columns.max())
    latest = last_outcome - years_ahead
    end = latest if end is None else end
    if start < FIRST_YEAR:
        raise UsageError(
            f"{start} is too early: UCDP starts in 1989 and an onset needs two years before it;"
            f" use {FIRST_YEAR} or later",
            where="--from",
        )
    if end > latest:
        raise UsageError(
            f"{end} is too late: UCDP outcomes end in {last_outcome}, so with a {horizon}-month"
            f" horizon the last forecast year is {latest}",
            where="--to",
        )
    if start > end:
        raise UsageError(f"{start} is after --to {end}", where="--from")
    n_years = end - start + 1
    if not folds_fit(n_years, splits, years_ahead):
        raise UsageError(
            f"{n_years} forecast years are too few for {splits} time-ordered folds with a"
            f" {years_ahead}-year gap; widen --from/--to or lower --splits",
            where="--from",
        )
    if chart_path is not None and chart_path.suffix.lower() != ".png":
        raise UsageError("a chart file must end in .png", where="--chart")

    evidence, spec = obj.evidence(None), obj.spec()
    countries = sorted(set(evidence.countries) & set(deaths.index))
    if not countries:
        raise UsageError(
            f"none of the {len(evidence.countries)} countries with evidence has UCDP outcomes;"
            " validate needs the embedded open data or evidence for UCDP countries",
            where="--evidence",
        )
    regions = {c: sub_region(c) for c in countries}
    try:
        result = run(
            evidence,
            spec,
            deaths,
            countries,
            list(range(start, end + 1)),
            outcome=outcome,
            horizon_years=years_ahead,
            splits=splits,
            regions=regions,
        )
    except ValueError as exc:
        raise UsageError(str(exc), where="--from") from None
    if chart_path is not None:
        from fragwatch.commands.validate_chart import validation_chart

        validation_chart(result, chart_path)
    if as_json:
        click.echo(json.dumps(to_record(result), indent=2, ensure_ascii=False))
        return
    click.echo(text(result, spec))
    if chart_path is not None:
        click.echo(f"chart written to {chart_path}")


def sub_region(iso3: str) -> str:
    """The UN M49 sub-region of a country (Sub-Saharan Africa, Western Asia, ...), '' if none."""
    from fragwatch.evidence.regions import _table

    return _table().get(iso3, ("", {}))[1].get("sub-region", "")


def _num(x: float, digits: int = 2) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _pct(x: float) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:.0%}"


def text(result, spec) -> str:
    from fragwatch.scoring.validation import MAX_LEAD_YEARS, WARN_TOP

    sample = result.sample
    k = result.horizon_years
    what = {
        "onset": "an onset (25+ battle deaths after two calm years)",
        "escalation": "an escalation (battle deaths at least doubling, to 100 or more)",
        "incidence": "conflict (25+ battle deaths)",
    }[result.outcome]
    lines = [
        f"validation {result.years[0]}..{result.years[-1]}: scores as of each 31 December,"
        f" target {what} within {12 * k} months (UCDP v25.1, state-based)",
        f"{len(sample)} country-years with a score and a known outcome"
        f" ({sample['country'].nunique()} countries), {int(sample['y'].sum())} positive;"
        f" {result.withheld['rows']} withheld (too little fresh evidence),"
        f" {result.withheld['positives']} of them positive",
        "",
        "out of sample (test years of the time-ordered folds; the same rows for every line):",
        f"  {'':<34} {'AUC':>5} {'AP':>5} {'Brier':>6} {'top10':>6} {'top30':>6}",
    ]
    for row in result.contenders.itertuples():
        lines.append(
            f"  {row.label:<34} {_num(row.auc):>5} {_num(row.ap):>5} {_num(row.brier, 3):>6}"
            f" {_pct(row.p10):>6} {_pct(row.p30):>6}"
        )
    tested = sum(f["test"][1] - f["test"][0] + 1 for f in result.folds if f["usable"])
    lines.append(
        f"  ({len(result.folds)} folds over years, gap {k} year(s); {tested} test years."
        f" Scores' Brier: link to a probability fitted on the training years;"
        f" score/100 as is: {_num(result.contenders.loc['score', 'brier_as_is'], 3)})"
    )
    lines += ["", "every country-year of the sample (nothing fitted):"]
    for row in result.all_rows.itertuples():
        lines.append(
            f"  {row.label:<34} {_num(row.auc):>5} {_num(row.ap):>5} {_num(row.brier, 3):>6}"
            f" {_pct(row.p10):>6} {_pct(row.p30):>6}"
        )
    onsets = result.onsets
    warned = onsets[onsets["warned"]]
    lines += [
        "",
        f"onsets {result.years[0] + 1}..{result.years[-1] + k}: {len(onsets)};"
        f" warned (world top {WARN_TOP} in the {12 * k} months before) {len(warned)}"
        + (
            f", lead time median {warned['lead_years'].median():.0f} year(s)"
            f" (range {warned['lead_years'].min():.0f}-{warned['lead_years'].max():.0f})"
            if len(warned)
            else ""
        ),
    ]
    for r in onsets.itertuples():
        capped = "+" if r.lead_years >= MAX_LEAD_YEARS else ""
        lead = f"warned, lead {r.lead_years:.0f}{capped} years" if r.warned else "missed"
        lines.append(f"  {r.year} {r.country} ({r.region}) {r.deaths:,.0f} deaths: {lead}")
    lines += ["", "skill by year (sample rows; AUC of score, without history, baseline):"]
    for year, r in result.by_year.iterrows():
        lines.append(
            f"  {year} rows {int(r.rows):>3} pos {int(r.positives):>3}  AUC {_num(r.auc_score)}"
            f" / {_num(r.auc_score_nohist)} / {_num(r.auc_baseline)}  top30 {_pct(r.p30_score)}"
        )
    lines += ["", "skill by region:"]
    for region, r in result.by_region.iterrows():
        lines.append(
            f"  {region or '-':<32} rows {int(r.rows):>4} pos {int(r.positives):>3}"
            f"  AUC {_num(r.auc_score)} / {_num(r.auc_score_nohist)} / {_num(r.auc_baseline)}"
            f"  positives in world top 30: {_pct(r.warned_share)}"
        )
    lines += [
        "",
        "indicators (beside the current weights; advice only, model.toml is unchanged):",
        f"  {'indicator':<26} {'weight':>6} {'expert':>7} {'fitted':>7} {'known':>6}"
        f" {'AUC':>5} {'AUC lost without':>17}",
    ]
    for code, r in result.indicators.iterrows():
        lost = round(r.auc_loss_without, 3) + 0.0  # no "-0.000"
        lines.append(
            f"  {code:<26} {r.weight:>6g} {_pct(r.expert_share):>7} {_pct(r.fitted_share):>7}"
            f" {_pct(r.known):>6} {_num(r.auc):>5} {_num(lost, 3):>17}"
        )
    lines += ["", "bands (configured edges; outcome rate among the sample rows in each):"]
    for band, r in result.bands.iterrows():
        lines.append(
            f"  {band:<10} from {r['from']:>4g}  rows {int(r.rows):>4}  positives"
            f" {int(r.positives):>3}  rate {_pct(r.rate):>4}"
            f"  share of all positives {_pct(r.share_of_positives)}"
        )
    lines.append(
        f"  the world's 30th score is {_num(result.top30_edge, 1)} in a median year:"
        " a band edge there would flag about 30 countries a year"
    )
    lines += ["", "advice:"] + [f"  - {a}" for a in result.advice]
    return "\n".join(lines)


def to_record(result) -> dict:
    def records(table) -> list:
        return json.loads(table.to_json(orient="records", double_precision=4))

    def frame(table, index_name) -> list:
        return records(table.reset_index(names=index_name))

    return {
        "outcome": result.outcome,
        "horizon_months": 12 * result.horizon_years,
        "from": result.years[0],
        "to": result.years[-1],
        "rows": len(result.sample),
        "positives": int(result.sample["y"].sum()),
        "withheld": result.withheld,
        "folds": result.folds,
        "out_of_sample": frame(result.contenders, "key"),
        "all_rows": frame(result.all_rows, "key"),
        "onsets": records(result.onsets),
        "by_year": frame(result.by_year, "year"),
        "by_region": frame(result.by_region, "region"),
        "indicators": frame(result.indicators, "code"),
        "bands": frame(result.bands, "band"),
        "top30_edge": None if math.isnan(result.top30_edge) else round(result.top30_edge, 2),
        "warned_positives": round(result.warned_positives, 4),
        "calibration": records(result.calibration),
        "advice": result.advice,
    }
