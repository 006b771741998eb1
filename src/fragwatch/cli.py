"""The ``fragwatch`` command. The one place that turns errors into messages and exit codes."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click
import pandas as pd

from fragwatch.errors import FragwatchError, UsageError

FREQUENCIES = {"year": "YE", "quarter": "QE", "month": "ME"}


@dataclass
class Context:
    config_dir: Path | None
    model_path: Path | None
    evidence_paths: list[Path] = field(default_factory=list)
    include_default: bool = True
    settings_path: Path | None = None

    def settings(self):
        from fragwatch.settings import config_dir
        from fragwatch.settings.service import load_settings

        return load_settings(config_dir(self.config_dir), self.settings_path)

    def evidence(self):
        from fragwatch.evidence.files import load_evidence
        from fragwatch.evidence.library import library_folders

        # Embedded base, then the local library (imports, accepted candidates), then --evidence.
        paths = [*library_folders(), *self.evidence_paths]
        return load_evidence(paths, include_default=self.include_default)

    def spec(self):
        from fragwatch.settings import config_dir, load_model_spec

        return load_model_spec(self.model_path or config_dir(self.config_dir) / "model.toml")

    def rules(self, spec):
        from fragwatch.settings import config_dir
        from fragwatch.settings.alerts import load_alert_rules

        return load_alert_rules(config_dir(self.config_dir), set(spec.indicators))

    def service(self):
        """Settings and a ready ``Service``; every config file is checked before the store opens."""
        from fragwatch.errors import ConfigError
        from fragwatch.scheduler.wiring import build_service

        settings, spec = self.settings(), self.spec()
        rules = self.rules(spec)
        known = self.evidence().countries  # validates the evidence at start, not in a job
        unknown = [c for c in settings.countries if c not in known]
        if unknown:
            raise ConfigError(
                f"no evidence for watched country '{unknown[0]}'; known: {', '.join(known)}",
                where="settings: field 'countries'",
            )
        return settings, build_service(settings, spec, rules, self.evidence)


def parse_date(value: str | None, option: str, default: date | None = None) -> pd.Timestamp:
    if value is None:
        return pd.Timestamp(default or date.today())
    try:
        return pd.Timestamp(date.fromisoformat(value))
    except ValueError:
        raise UsageError(f"'{value}' is not a date (YYYY-MM-DD)", where=option) from None


def pick_countries(evidence, requested: tuple[str, ...]) -> list[str]:
    known = evidence.countries
    if not requested:
        if not known:
            raise UsageError("the evidence holds no country", where="--country")
        return known
    wanted = [c.upper() for c in requested]
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise UsageError(
            f"no evidence for country '{unknown[0]}'; known: {', '.join(known)}", where="--country"
        )
    return wanted


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fragwatch")
@click.option(
    "--config-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder with model.toml (default: $FRAGWATCH_CONFIG_DIR or ./config).",
)
@click.option("--model", "model_path", type=click.Path(path_type=Path), help="A model.toml file.")
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(path_type=Path),
    help="A fragwatch.toml settings file (default: CONFIG_DIR/fragwatch.toml if present).",
)
@click.option(
    "--evidence",
    "evidence_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra evidence folder or CSV, layered on the embedded base (repeatable).",
)
@click.option("--no-default-evidence", is_flag=True, help="Do not load the embedded evidence base.")
@click.pass_context
def cli(ctx, config_dir, model_path, settings_path, evidence_paths, no_default_evidence):
    """fragwatch: early-warning indicators and a transparent fragility score."""
    ctx.obj = Context(
        config_dir, model_path, list(evidence_paths), not no_default_evidence, settings_path
    )


country_option = click.option(
    "--country", "countries", multiple=True, help="ISO3 code (repeatable; default: all)."
)
as_of_option = click.option("--as-of", help="Assess with evidence published by this date.")


@cli.command()
@country_option
@as_of_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def assess(obj: Context, countries, as_of, as_json):
    """Score, band, coverage and per-indicator contributions."""
    from fragwatch.scoring.assessment import assess as run_assess

    when = parse_date(as_of, "--as-of")
    evidence, spec = obj.evidence(), obj.spec()
    results = run_assess(evidence, spec, pick_countries(evidence, countries), when)
    rules = optional_rules(obj, spec)
    if as_json:
        click.echo(
            json.dumps(
                [with_interval(a.to_dict(), spec, a, rules) for a in results],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    from fragwatch import render

    for a in results:
        click.echo(render.headline(a))
        click.echo(interval_text(spec, a, rules))
        click.echo(render.contributions_table(a))
        note = render.stale_note(a)
        if note:
            click.echo(note)
        click.echo()


@cli.command()
@country_option
@as_of_option
@click.option("--since", help="Compare with this date (default: one year before --as-of).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def explain(obj: Context, countries, as_of, since, as_json):
    """Every indicator: raw value, normalised, weight, contribution, change, evidence."""
    from fragwatch import render
    from fragwatch.scoring.assessment import assess as run_assess
    from fragwatch.scoring.explain import attribute_change

    when = parse_date(as_of, "--as-of")
    before = parse_date(since, "--since", default=(when - pd.DateOffset(years=1)).date())
    if before >= when:
        raise UsageError(f"{before.date()} is not before --as-of {when.date()}", where="--since")
    evidence, spec = obj.evidence(), obj.spec()
    chosen = pick_countries(evidence, countries)
    rules = optional_rules(obj, spec)
    now = run_assess(evidence, spec, chosen, when)
    then = run_assess(evidence, spec, chosen, before)
    out = []
    for a, b in zip(now, then, strict=True):
        change = attribute_change(b, a)
        if as_json:
            record = with_interval(a.to_dict(), spec, a, rules)
            record["since"] = b.to_dict()
            record["change"] = json.loads(
                change.reset_index(names="code").to_json(orient="records")
            )
            record["citations"] = json.loads(
                evidence.citations(a.evidence_ids).to_json(orient="records", date_format="iso")
            )
            out.append(record)
        else:
            head, _, rest = render.explanation(a, evidence, change, b).partition("\n")
            click.echo(f"{head}\n{interval_text(spec, a, rules)}\n{rest}")
    if as_json:
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))


def _interval(spec, a, rules):
    from fragwatch.scoring.uncertainty import alert_share, assessment_interval

    found, draws = assessment_interval(spec, a)
    seed = spec.uncertainty.seed
    shares = [(r.name, alert_share(r, a, draws, seed=seed)) for r in rules]
    return found, [(name, share) for name, share in shares if share is not None]


def optional_rules(obj: Context, spec) -> list:
    """The alert rules for robust marking; `assess` and `explain` still run without alerts.toml."""
    from fragwatch.settings import config_dir
    from fragwatch.settings.alerts import ALERTS_FILE

    if not (config_dir(obj.config_dir) / ALERTS_FILE).exists():
        return []
    return obj.rules(spec)


def with_interval(record: dict, spec, a, rules) -> dict:
    """The assessment's record plus its interval and each score rule's share of firing draws."""
    found, shares = _interval(spec, a, rules)
    record["interval"] = found.to_dict()
    record["interval"]["weight_noise"] = spec.uncertainty.weight_noise
    record["alert_draw_shares"] = {
        name: {"share": round(share, 4), "robust": share >= spec.uncertainty.robust_share}
        for name, share in shares
    }
    return record


def interval_text(spec, a, rules) -> str:
    from fragwatch import render

    found, shares = _interval(spec, a, rules)
    u = spec.uncertainty
    return render.interval_line(found, shares, u.weight_noise, u.robust_share)


@cli.command()
@country_option
@click.option("--from", "start", help="First date (default: 2002-01-01).")
@click.option("--to", "end", help="Last date (default: today).")
@click.option("--freq", type=click.Choice(list(FREQUENCIES)), default="year", show_default=True)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Also write a CSV.")
@click.pass_obj
def history(obj: Context, countries, start, end, freq, csv_path):
    """The point-in-time score series: each date uses only evidence published by then."""
    from fragwatch.scoring.assessment import score_history

    first = parse_date(start, "--from", default=date(2002, 1, 1))
    last = parse_date(end, "--to")
    if first > last:
        raise UsageError(f"{first.date()} is after --to {last.date()}", where="--from")
    dates = pd.date_range(first, last, freq=FREQUENCIES[freq])
    if dates.empty:
        raise UsageError(f"no {freq} end between {first.date()} and {last.date()}", where="--from")
    evidence, spec = obj.evidence(), obj.spec()
    _, scores = score_history(evidence, spec, pick_countries(evidence, countries), dates)
    table = scores.summary().join(scores.contributions.round(2))
    table["score"] = table["score"].round(2)
    table["coverage"] = table["coverage"].round(3)
    if csv_path:
        write_csv(table, csv_path)
    shown = scores.summary().assign(
        score=scores.score.map(lambda s: "withheld" if math.isnan(s) else f"{s:.1f}"),
        coverage=scores.coverage.map(lambda c: f"{c:.0%}"),
    )
    contributions = scores.contributions
    shown["top driver"] = (
        contributions.fillna(-1.0).idxmax(axis=1).where(contributions.notna().any(axis=1), "-")
    )
    shown.index = shown.index.set_levels(shown.index.levels[1].strftime("%Y-%m-%d"), level="as_of")
    click.echo(shown.to_string())


def write_csv(table: pd.DataFrame, path: Path) -> None:
    from fragwatch.atomicfile import write_atomically

    write_atomically(path, table.to_csv, UsageError, where="--csv")


@cli.command("score-panel")
@click.argument("panel_path", metavar="PANEL", type=click.Path(path_type=Path))
@click.option(
    "--framework",
    "framework_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Framework CSV (code,parent,direction,weight,lo,hi) or a model.toml.",
)
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Write .csv or .parquet.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON records.")
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 1),
    help="Withhold scores below this coverage (default: the model's, else 0).",
)
@click.option("--unit-column", default="unit", show_default=True)
@click.option("--period-column", default="period", show_default=True)
def score_panel_cmd(
    panel_path, framework_path, out_path, as_json, min_coverage, unit_column, period_column
):
    """Score your own indicator table (CSV or Parquet) with the transparent method."""
    from fragwatch.panelio import read_framework, read_panel, write_table
    from fragwatch.scoring.model import FragilityModel

    if framework_path.suffix.lower() == ".toml":
        from fragwatch.settings import load_model_spec

        model = load_model_spec(framework_path).model
    else:
        table, _ = read_framework(framework_path)
        model = FragilityModel(table).fit()
    if min_coverage is not None:
        model = model.clone().set_params(min_coverage=min_coverage).fit()
    panel = read_panel(panel_path, model.framework_, unit_column, period_column)
    scores = model.score(panel)
    result = scores.summary().join(scores.contributions.add_prefix("points_"))
    if out_path:
        write_table(result, out_path)
    if as_json:
        click.echo(result.reset_index().to_json(orient="records", indent=2))
    elif not out_path or len(result) <= 40:
        shown = result.round(2)
        with pd.option_context("display.max_rows", 40, "display.width", 200):
            click.echo(shown.to_string() if len(shown) <= 40 else shown.head(20).to_string())
    if not as_json:
        withheld = int(scores.score.isna().sum())
        click.echo(
            f"{len(result)} rows scored, {withheld} withheld"
            + (f"; written to {out_path}" if out_path else "")
        )


@cli.group()
def config():
    """Check the configuration."""


@config.command("check")
@click.pass_obj
def config_check(obj: Context):
    """Validate every config file and print the effective settings (secrets masked)."""
    spec = obj.spec()
    rules = obj.rules(spec)
    settings = obj.settings()
    click.echo(
        f"ok: model '{spec.name}' ({len(spec.indicators)} indicators, digest {spec.digest[:12]})"
    )
    click.echo(f"ok: {len(rules)} alert rules ({', '.join(r.name for r in rules)})")
    click.echo(json.dumps(settings.masked(), indent=2))


@cli.group()
def evidence():
    """Validate and browse the evidence base."""


@evidence.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def evidence_validate(obj: Context, paths):
    """Check evidence files (default: the embedded base): rows, references, verbatim quotes."""
    from fragwatch.evidence.files import load_evidence
    from fragwatch.evidence.quotes import quote_problems, require_verbatim_quotes

    found = load_evidence(
        list(paths) or obj.evidence_paths, include_default=obj.include_default or not paths
    )
    checked = require_verbatim_quotes(found)
    unverifiable = quote_problems(found)
    click.echo(
        f"ok: {len(found.sources)} sources, {len(found.observations)} observations, "
        f"{len(found.events)} events; {checked} quotes found verbatim in their source text"
        + (f", {len(unverifiable)} not checkable (no stored text)" if len(unverifiable) else "")
    )


@evidence.command("list")
@click.option("--country", help="ISO3 code.")
@click.option("--quantity", help="Only observations of this quantity.")
@click.option("--kind", help="Only events of this kind.")
@click.option("--source", "source_id", help="Only rows citing this source id.")
@click.option("--from", "start", help="Only rows dated (period or event) on/after this date.")
@click.option("--to", "end", help="Only rows dated on/before this date.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def evidence_list(obj: Context, country, quantity, kind, source_id, start, end, as_json):
    """List observations and events, filtered."""
    from fragwatch.evidence.query import filter_rows

    found = obj.evidence()
    rows = filter_rows(
        found,
        country=country,
        quantity=quantity,
        kind=kind,
        source_id=source_id,
        start=parse_date(start, "--from") if start else None,
        end=parse_date(end, "--to") if end else None,
    )
    if as_json:
        click.echo(rows.to_json(orient="records", date_format="iso", force_ascii=False, indent=2))
        return
    if rows.empty:
        click.echo("no evidence matches")
        return
    shown = rows[["id", "country", "what", "when", "figure", "source_id", "published"]].copy()
    shown["published"] = shown["published"].dt.strftime("%Y-%m-%d")
    with pd.option_context("display.max_rows", None, "display.width", 200):
        click.echo(shown.to_string(index=False))
    click.echo(f"{len(rows)} row(s)")


@cli.command("indicators")
@click.pass_obj
def indicators_cmd(obj: Context):
    """The indicators the model uses, with weights, goalposts and definitions."""
    spec = obj.spec()
    ind = spec.model.framework_.indicators
    weights = spec.model.effective_weights()
    for code, row in ind.iterrows():
        indicator = spec.indicators[code]
        click.echo(
            f"{code}: {indicator.name} ({row['parent']}, {indicator.transform}, "
            f"direction {int(row['direction']):+d}, goalposts {row['lo']:g}..{row['hi']:g} "
            f"{indicator.unit}, share of score when all known {weights[code]:.1%})"
        )
        click.echo(f"    {indicator.definition}")


def _register_commands() -> None:
    # The service and officer commands live in their own modules; they import their heavy
    # dependencies (SQLAlchemy, APScheduler) only when run, so `assess` starts fast.
    from fragwatch.commands import (
        alerts,
        analysis,
        calibration,
        data,
        extract,
        outbox,
        report,
        scenario,
        service,
        users,
        web,
    )

    for command in (
        service.serve,
        service.run_once,
        alerts.alerts,
        outbox.outbox,
        scenario.scenario,
        report.report,
        data.fetch_group,
        data.import_group,
        extract.extract,
        analysis.backtest,
        analysis.sensitivity,
        calibration.calibrate,
        users.users,
        web.web,
    ):
        cli.add_command(command)
    evidence.add_command(extract.add)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: every user error ends as one line on stderr and a non-zero exit code."""
    try:
        cli.main(args=argv, prog_name="fragwatch", standalone_mode=False)
    except FragwatchError as exc:
        click.echo(f"fragwatch: error: {exc.one_line()}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("fragwatch: aborted", err=True)
        return 130
    except click.ClickException as exc:
        prefix = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            prefix = f"{exc.ctx.command_path}: "
        click.echo(f"fragwatch: error: {prefix}{' '.join(exc.format_message().split())}", err=True)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
