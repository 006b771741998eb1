"""``fragwatch backtest`` (and the other analysis commands): read-only, nothing is stored."""

from __future__ import annotations

import math
from pathlib import Path

import click

from fragwatch import jsonout
from fragwatch.errors import UsageError


def ledger_options(command):
    """The options every command scored against an event ledger takes (see ``ledger_inputs``)."""
    options = [
        click.option("--from", "start", required=True, help="First month (YYYY-MM-DD)."),
        click.option("--to", "end", required=True, help="Last month (YYYY-MM-DD)."),
        click.option(
            "--events",
            "events_path",
            required=True,
            type=click.Path(path_type=Path),
            help="Event ledger CSV (date, kind, fatalities, ...); a bare NAME reads"
            " CONFIG_DIR/ledgers/NAME.csv.",
        ),
        click.option(
            "--country", default=None, help="ISO3 code (default: the only or first country)."
        ),
        click.option(
            "--horizon",
            type=click.IntRange(1, 60),
            default=12,
            show_default=True,
            help="Months ahead: a month is a positive when an event follows within this many"
            " months.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command()
@ledger_options
@click.option("--rule", "rule_names", multiple=True, help="Only these alert rules (repeatable).")
@click.option("--chart", "chart_path", type=click.Path(path_type=Path), help="Write a PNG chart.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def backtest(obj, start, end, events_path, country, horizon, rule_names, chart_path, as_json):
    """Replay monthly point-in-time assessments and alerts; score them against an event ledger."""
    from fragwatch.atomicfile import check_output_path
    from fragwatch.scoring.backtest import SIGNAL_KINDS, replay, score_backtest

    if chart_path:
        check_output_path(chart_path, UsageError, "--chart")  # before any work
    dates, ledger, evidence, spec, chosen = ledger_inputs(obj, start, end, events_path, country)
    rules = [r for r in obj.rules(spec) if r.kind in SIGNAL_KINDS]
    known = {r.name for r in rules}
    for name in rule_names:
        if name not in known:
            raise UsageError(
                f"no signal rule '{name}'; known: {', '.join(sorted(known))}", where="--rule"
            )
    run = replay(evidence, spec, rules, chosen, dates)
    metrics = score_backtest(run, ledger, horizon, list(rule_names) or None)
    if chart_path:
        from fragwatch.commands.analysis_charts import backtest_chart

        backtest_chart(run, metrics, spec.model.bands, chart_path, list(rule_names) or None)
    if as_json:
        record = {
            "country": chosen,
            "from": dates[0].date().isoformat(),
            "to": dates[-1].date().isoformat(),
            "rules": list(rule_names) or sorted(known),
            **metrics.to_dict(),
            "firings": [
                {"rule": n.rule, "subject": n.subject, "at": n.at.date().isoformat()}
                for n in run.notifications.itertuples()
                if n.kind == "firing"
            ],
        }
        click.echo(jsonout.dumps(record, indent=2, ensure_ascii=False))
        return
    click.echo(_text(run, metrics, list(rule_names) or sorted(known)))
    if chart_path:
        click.echo(f"chart written to {chart_path}")


def ledger_inputs(obj, start: str, end: str, events_path: Path, country: str | None):
    """What a backtest or a calibration works on: the month ends from --from to --to, the
    ledger, the evidence, the model spec and the chosen country."""
    from fragwatch.cli import parse_date, pick_countries
    from fragwatch.evidence.ledger import read_ledger
    from fragwatch.scoring.backtest import month_ends

    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if first > last:
        raise UsageError(f"{first.date()} is after --to {last.date()}", where="--from")
    dates = month_ends(first, last)
    if len(dates) < 2:
        raise UsageError("the period must span at least two month ends", where="--to")
    wanted = obj.wanted((country,) if country else ())
    evidence, spec = obj.evidence(wanted), obj.spec()
    ledger = read_ledger(_ledger_path(obj, events_path), evidence)
    chosen = pick_countries(evidence, wanted)[0]
    return dates, ledger, evidence, spec, chosen


def _ledger_path(obj, path: Path) -> Path:
    """The path as given, or for a bare name that is no file, CONFIG_DIR/ledgers/NAME.csv."""
    if path.exists() or len(path.parts) != 1:
        return path
    from fragwatch.settings import config_dir

    named = (
        config_dir(obj.config_dir)
        / "ledgers"
        / (path.name if path.suffix == ".csv" else f"{path.name}.csv")
    )
    return named if named.exists() else path


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.0%}"


def _num(x: float, digits: int = 2) -> str:
    return "-" if math.isnan(x) else f"{x:.{digits}f}"


def _text(run, m, rules: list[str]) -> str:
    dates = run.scores.index
    fired = run.notifications[run.notifications["kind"] == "firing"]
    counts = fired["rule"].value_counts()
    lines = [
        f"backtest {run.country} {dates[0].date()} .. {dates[-1].date()}: {len(dates)} months"
        f" ({int(run.scores['score'].notna().sum())} scored, the rest withheld)",
        f"target: a ledger event within the next {m.horizon_months} months",
        "alerts replayed (firings): "
        + (", ".join(f"{r} {int(counts.get(r, 0))}" for r in rules) or "none"),
        f"events in period: {len(m.events)}",
    ]
    for e in m.events.itertuples():
        lead = "-" if math.isnan(e.lead_days) else f"{e.lead_days / 30.44:.0f} months"
        dead = "" if math.isnan(e.fatalities) else f", {e.fatalities:g} dead"
        lines.append(
            f"  {e.date.date()} {e.kind}{dead}: {'warned' if e.hit else 'missed'}, lead {lead}"
        )
    hits = int(m.events["hit"].sum()) if len(m.events) else 0
    lines += [
        f"hit rate {_pct(m.hit_rate)} ({hits} of {len(m.events)})",
        f"false alarms {m.false_alarms} ({m.false_alarms_per_year:.2f} per year)",
        f"AUC {_num(m.auc)}, Brier {_num(m.brier, 3)} (constant base rate: "
        f"{_num(m.brier_base_rate, 3)}) over {m.months_scored} months, {m.positives} positive",
    ]
    return "\n".join(lines)


@click.command()
@click.option("--country", default=None, help="ISO3 code (default: the only or first country).")
@click.option("--as-of", "as_of", default=None, help="Assessment date (YYYY-MM-DD; default today).")
@click.option(
    "--samples",
    type=click.IntRange(64, 1_000_000),
    default=2048,
    show_default=True,
    help="Base samples N (the score is evaluated N x (2 + varying inputs) times).",
)
@click.option("--seed", type=int, default=None, help="Random seed (default: [uncertainty] seed).")
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(path_type=Path),
    help="Write a PNG chart (S1/ST per input, rank stability of the top contributors).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def sensitivity(obj, country, as_of, samples, seed, chart_path, as_json):
    """Sobol sensitivity (S1, ST) of the score to each indicator value and weight."""
    from fragwatch.cli import check_as_of, parse_date, pick_countries
    from fragwatch.scoring.assessment import assess
    from fragwatch.scoring.sensitivity import assessment_sensitivity

    if chart_path:
        from fragwatch.atomicfile import check_output_path

        check_output_path(chart_path, UsageError, "--chart")  # before any work
    when = parse_date(as_of, "--as-of")
    wanted = obj.wanted((country,) if country else ())
    evidence, spec = obj.evidence(wanted), obj.spec()
    check_as_of(when, evidence, "--as-of")
    chosen = pick_countries(evidence, wanted)[0]
    (found,) = assess(evidence, spec, [chosen], when)
    head = f"sensitivity {chosen} as of {found.as_of.date()}"
    if math.isnan(found.score):  # withheld: there is no score whose variance to apportion
        if as_json:
            click.echo(jsonout.dumps({"country": chosen, "as_of": str(found.as_of.date()),
                                   "score": None, "indices": []}, indent=2))  # fmt: skip
        else:
            click.echo(
                f"{head}: score withheld (coverage {found.coverage:.0%}), nothing to apportion"
            )
        if chart_path:  # stderr under --json, so that stdout stays one JSON document
            click.echo(f"chart not written to {chart_path}: the score is withheld", err=as_json)
        return
    result = assessment_sensitivity(spec, found, samples=samples, seed=seed)
    if chart_path:
        from fragwatch.commands.analysis_charts import sensitivity_chart

        names = spec.model.framework_.indicators["name"].to_dict()
        title = f"Sobol indices of the {chosen} score {found.score:.1f} as of {found.as_of.date()}"
        sensitivity_chart(result, names, title, chart_path)
    if as_json:
        record = {"country": chosen, "as_of": str(found.as_of.date()), "score": found.score}
        click.echo(jsonout.dumps({**record, **result.to_dict()}, indent=2, ensure_ascii=False))
        return
    lines = [
        f"{head}: score {found.score:.1f}, variance {result.variance:.3f}"
        f" over {result.samples} base samples",
        f"{'input':<40} {'S1':>6} {'ST':>6}",
    ]
    # Rounded before printing (+ 0.0 turns -0.0 into 0.0): sampling noise of a null input
    # would otherwise show as "-0.000".
    lines += [
        f"{name:<40} {round(s1, 3) + 0.0:>6.3f} {round(st, 3) + 0.0:>6.3f}"
        for name, s1, st in result.ranked()
    ]
    lines.append("rank stability (share of draws in which each stays in the top 3):")
    lines += [f"  {c}: {share:.0%}" for c, share in zip(result.top, result.stability, strict=True)]
    if chart_path:
        lines.append(f"chart written to {chart_path}")
    click.echo("\n".join(lines))
