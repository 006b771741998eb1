"""The ``fragwatch`` command. The one place that turns errors into messages and exit codes."""

from __future__ import annotations

import gc
import json
import math
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click
import pandas as pd

from fragwatch import jsonout
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

    def evidence(self, countries: list[str] | None = None):
        """The evidence; ``countries`` limits the open-data layer to them (None: all)."""
        from fragwatch.evidence.files import load_evidence, shipped_base
        from fragwatch.evidence.library import library_folders

        # Embedded base, then the local library (imports, accepted candidates), then --evidence.
        paths = [*library_folders(), *self.evidence_paths]
        if self.include_default and not paths:  # the shipped base alone: its stored copy
            from fragwatch.evidence.basecache import cached_base

            # Made from the files (not from the stored parts, which only a library needs).
            return cached_base(
                countries,
                lambda: load_evidence([], countries=countries, base=shipped_base(countries)),
            )
        return load_evidence(paths, include_default=self.include_default, countries=countries)

    def wanted(self, requested: tuple[str, ...]) -> list[str] | None:
        """The countries a command is about: those asked for, else the watched countries in
        fragwatch.toml (when there is one), else None (every country with evidence)."""
        if requested:
            return [c.upper() for c in requested]
        from fragwatch.settings import config_dir

        path = config_dir(self.config_dir) / "fragwatch.toml"
        if self.settings_path is None and not path.exists():
            return None
        from fragwatch.settings.watched import watched_in_file

        # Read from the file alone when nothing overrides it (no pydantic-settings at start).
        found = watched_in_file(path) if self.settings_path is None else None
        if found is None:
            found = self.settings().countries
        return list(found) or None

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
        watched = list(settings.countries) or None

        def evidence():  # the open-data layer of the watched countries only
            return self.evidence(watched)

        known = evidence().countries  # validates the evidence at start, not in a job
        unknown = [c for c in settings.countries if c not in known]
        if unknown:
            raise ConfigError(
                f"no evidence for watched country '{unknown[0]}'",
                where="settings: field 'countries'",
            )
        from fragwatch.settings import config_dir
        from fragwatch.settings.alerts import load_grouping

        grouping = load_grouping(config_dir(self.config_dir))
        return settings, build_service(settings, spec, rules, evidence, grouping)


def parse_date(value: str | None, option: str, default: date | None = None) -> pd.Timestamp:
    if value is None:
        return pd.Timestamp(default or date.today())
    try:
        return pd.Timestamp(date.fromisoformat(value))
    except ValueError:
        raise UsageError(f"'{value}' is not a date (YYYY-MM-DD)", where=option) from None


# How far past today an assessment date may go: far enough to see evidence go stale, not a typo.
FUTURE_LIMIT = pd.DateOffset(years=1)


def check_as_of(when: pd.Timestamp, evidence, option: str) -> None:
    """Refuse a date before any evidence was published, or more than a year ahead.

    Either would be assessed quietly as 'withheld' (nothing known yet, or everything stale):
    a typo year such as 1800 or 2099 deserves an error, not an empty score.
    """
    # The first figure known, not the first source: a data set's release brings figures
    # first published years before it (the open-data layer is known from 1990).
    first = evidence.first_published()
    if first is not None and when < first:
        raise UsageError(
            f"{when.date()} is before the earliest evidence (published {first.date()}):"
            " nothing was known yet",
            where=option,
        )
    latest = pd.Timestamp(date.today()) + FUTURE_LIMIT
    if when > latest:
        raise UsageError(
            f"{when.date()} is more than a year in the future (after {latest.date()});"
            " no evidence is published after today",
            where=option,
        )


def pick_countries(evidence, wanted: list[str] | tuple[str, ...] | None) -> list[str]:
    """``wanted`` (see ``Context.wanted``) checked against the evidence; None: every country."""
    known = evidence.countries
    if not wanted:
        if not known:
            raise UsageError("the evidence holds no country", where="--country")
        return known
    wanted = [c.upper() for c in wanted]
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise UsageError(
            f"no evidence for country '{unknown[0]}'"
            f" ({len(known)} countries have evidence, e.g. {', '.join(known[:8])}, ...)"
            if len(known) > 12
            else f"no evidence for country '{unknown[0]}'; known: {', '.join(known)}",
            where="--country",
        )
    return wanted


class LazyGroup(click.Group):
    """A group whose commands named in ``lazy`` ("module:attribute" in fragwatch.commands) are
    imported when first asked for."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            import importlib

            module, attribute = self.lazy[name].split(":")
            found = getattr(importlib.import_module(f"fragwatch.commands.{module}"), attribute)
            self.add_command(found, name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    "--country",
    "countries",
    multiple=True,
    help="ISO3 code (repeatable; default: the watched countries in fragwatch.toml).",
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
    wanted = obj.wanted(countries)
    evidence, spec = obj.evidence(wanted), obj.spec()
    check_as_of(when, evidence, "--as-of")
    results = run_assess(evidence, spec, pick_countries(evidence, wanted), when)
    intervals = _intervals(spec, results, optional_rules(obj, spec))
    if as_json:
        click.echo(
            jsonout.dumps(
                [
                    with_interval(a.to_dict(), spec, i)
                    for a, i in zip(results, intervals, strict=True)
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    from fragwatch import render

    for a, interval in zip(results, intervals, strict=True):
        click.echo(render.headline(a))
        click.echo(interval_text(spec, interval))
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
    wanted = obj.wanted(countries)
    evidence, spec = obj.evidence(wanted), obj.spec()
    check_as_of(when, evidence, "--as-of")
    check_as_of(before, evidence, "--since")
    chosen = pick_countries(evidence, wanted)
    rules = optional_rules(obj, spec)
    now = run_assess(evidence, spec, chosen, when)
    then = run_assess(evidence, spec, chosen, before)
    out = []
    for a, b, interval in zip(now, then, _intervals(spec, now, rules), strict=True):
        change = attribute_change(b, a)
        if as_json:
            record = with_interval(a.to_dict(), spec, interval)
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
            click.echo(f"{head}\n{interval_text(spec, interval)}\n{rest}")
    if as_json:
        click.echo(jsonout.dumps(out, indent=2, ensure_ascii=False))


def _intervals(spec, assessments: list, rules: list) -> list[tuple]:
    """Each assessment's interval and the share of its draws each alert rule fires in (rules
    the Monte Carlo cannot judge left out), from one Monte Carlo for all of them."""
    from fragwatch.scoring.uncertainty import alert_share, assessment_intervals

    seed = spec.uncertainty.seed
    out = []
    for a, (found, draws) in zip(assessments, assessment_intervals(spec, assessments), strict=True):
        shares = [(r.name, alert_share(r, a, draws, seed=seed)) for r in rules]
        out.append((found, [(name, share) for name, share in shares if share is not None]))
    return out


def optional_rules(obj: Context, spec) -> list:
    """The alert rules for robust marking; `assess` and `explain` still run without alerts.toml."""
    from fragwatch.settings import config_dir
    from fragwatch.settings.alerts import ALERTS_FILE

    if not (config_dir(obj.config_dir) / ALERTS_FILE).exists():
        return []
    return obj.rules(spec)


def with_interval(record: dict, spec, interval: tuple) -> dict:
    """The assessment's record plus its interval and each score rule's share of firing draws
    (``interval``: one item of ``_intervals``)."""
    found, shares = interval
    record["interval"] = found.to_dict()
    record["interval"]["weight_noise"] = spec.uncertainty.weight_noise
    record["alert_draw_shares"] = {
        name: {"share": round(share, 4), "robust": share >= spec.uncertainty.robust_share}
        for name, share in shares
    }
    return record


def interval_text(spec, interval: tuple) -> str:
    from fragwatch import render

    found, shares = interval
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

    if csv_path:
        from fragwatch.atomicfile import check_output_path

        check_output_path(csv_path, UsageError, "--csv")  # before any work
    first = parse_date(start, "--from", default=date(2002, 1, 1))
    last = parse_date(end, "--to")
    if first > last:
        raise UsageError(f"{first.date()} is after --to {last.date()}", where="--from")
    dates = pd.date_range(first, last, freq=FREQUENCIES[freq])
    if dates.empty:
        raise UsageError(f"no {freq} end between {first.date()} and {last.date()}", where="--from")
    wanted = obj.wanted(countries)
    evidence, spec = obj.evidence(wanted), obj.spec()
    check_as_of(last, evidence, "--to")  # a span that starts before the evidence is fine
    _, scores = score_history(evidence, spec, pick_countries(evidence, wanted), dates)
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

    if out_path:
        from fragwatch.atomicfile import check_output_path
        from fragwatch.errors import PanelError

        check_output_path(out_path, PanelError, str(out_path))  # before any work
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
        click.echo(jsonout.dumps(jsonout.records(result.reset_index()), indent=2))
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
    click.echo(jsonout.dumps(settings.masked(), indent=2))


@cli.group(cls=LazyGroup)
def evidence():
    """Validate and browse the evidence base."""


@evidence.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def evidence_validate(obj: Context, paths):
    """Check evidence files (default: the embedded base): rows, references, verbatim quotes."""
    from fragwatch.evidence.files import load_evidence
    from fragwatch.evidence.quotes import quote_problems, require_verbatim_quotes, shipped_rows

    found = load_evidence(
        list(paths) or obj.evidence_paths, include_default=obj.include_default or not paths
    )
    checked = require_verbatim_quotes(found)
    unverifiable = quote_problems(found)
    click.echo(
        f"ok: {len(found.sources)} sources, {len(found.observations)} observations, "
        f"{len(found.events)} events; {checked} quotes found verbatim in their source text"
        + (f", {len(unverifiable)} not checkable (no stored text)" if len(unverifiable) else "")
        + (
            f"; {shipped_rows(found):,} open-data figures quote the data line they were read from"
            if shipped_rows(found)
            else ""
        )
    )


@evidence.command("list")
@click.option("--country", help="ISO3 code (default: the watched countries).")
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

    wanted = obj.wanted((country,) if country else ())
    found = obj.evidence(wanted)
    rows = filter_rows(
        found,
        country=country.upper() if country else None,
        quantity=quantity,
        kind=kind,
        source_id=source_id,
        start=parse_date(start, "--from") if start else None,
        end=parse_date(end, "--to") if end else None,
    )
    if wanted and not country:  # the watched countries (the open-data layer has 227)
        rows = rows[rows["country"].isin(wanted)]
    if as_json:
        click.echo(jsonout.dumps(jsonout.records(rows, date_format="iso"), indent=2))
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
    """The commands kept in ``fragwatch.commands``, imported only when one of them runs (or
    ``--help`` lists them): a command pays for its own imports, not for every other's."""
    lazy = {
        "serve": "service:serve",
        "run-once": "service:run_once",
        "alerts": "alerts:alerts",
        "outbox": "outbox:outbox",
        "scenario": "scenario:scenario",
        "report": "report:report",
        "fetch": "data:fetch_group",
        "import": "data:import_group",
        "extract": "extract:extract",
        "backtest": "analysis:backtest",
        "sensitivity": "analysis:sensitivity",
        "calibrate": "calibration:calibrate",
        "rank": "rank:rank",
        "validate": "validate:validate",
        "review": "feeds:review",
        "users": "users:users",
        "web": "web:web",
    }
    cli.lazy.update(lazy)
    evidence.lazy["add"] = "extract:add"


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
    except Exception as exc:
        # A database failing under a command (disk full, a page damaged since it was opened):
        # its reason on one line, not SQLAlchemy's message with the statement and parameters.
        if not type(exc).__module__.startswith("sqlalchemy"):
            raise
        from fragwatch.store.dialect import mask_password
        from fragwatch.store.errors import StoreError

        reason = mask_password(str(getattr(exc, "orig", None) or exc))
        error = StoreError(f"database error: {reason}", where="store")
        click.echo(f"fragwatch: error: {error.one_line()}", err=True)
        return error.exit_code
    return 0


def entry() -> None:
    """The installed ``fragwatch`` command (and ``python -m fragwatch.cli``): run, then exit.

    The process ends right after the command. Python's last garbage collection at exit walks
    every object still alive (pandas' modules, the loaded evidence) looking for cycles, only
    to free memory the operating system takes back anyway: about 50 ms of a 0.4 s ``assess``.
    Frozen objects are left out of that walk. Nothing relies on it: commands close their
    files and connections themselves, and the standard streams are still flushed at exit.
    ``main`` itself (called in-process by tests and workers) does not freeze.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
