"""``fragwatch scenario check|run``: what-if scenarios from TOML files, next to the baseline.

A run reads the evidence, the model and the alert rules, and prints; it never opens the store,
never writes alert state or the outbox, and never sends mail.
"""

from __future__ import annotations

from pathlib import Path

import click

from fragwatch import jsonout
from fragwatch.errors import ConfigError, UsageError

MAX_DRAWS = 200_000


@click.group()
def scenario():
    """What-if scenarios (config/scenarios/*.toml) against the baseline."""


def _inputs(obj):
    from fragwatch.scenarios.vocabulary import vocabulary

    # The watched countries' open data (every country's would make the run cost 30x more);
    # a scenario names its countries (`countries = [...]`) among them.
    evidence, spec = obj.evidence(obj.wanted(())), obj.spec()
    return evidence, spec, vocabulary(spec, evidence)


def _resolve(obj, paths: tuple[Path, ...]) -> list[Path]:
    """Paths as given; a bare name that is no file names CONFIG_DIR/scenarios/NAME.toml; no
    path at all means the whole CONFIG_DIR/scenarios folder."""
    from fragwatch.settings import config_dir
    from fragwatch.settings.scenarios import SCENARIOS_DIR

    folder = config_dir(obj.config_dir) / SCENARIOS_DIR
    if not paths:
        return [folder]
    out = []
    for path in paths:
        if not path.exists() and len(path.parts) == 1:
            named = folder / (path.name if path.suffix == ".toml" else f"{path.name}.toml")
            if not named.exists():
                raise ConfigError(f"no such file, nor {named}", where=str(path))
            path = named
        out.append(path)
    return out


def _split(obj, paths: tuple[Path, ...]) -> tuple[list[Path], list[Path]]:
    """Files (composed in order) or folders (each scenario in them on its own), not both."""
    paths = _resolve(obj, paths)
    folders = [p for p in paths if p.is_dir()]
    files = [p for p in paths if not p.is_dir()]
    if folders and files:
        raise UsageError(
            "give scenario files (composed in order) or folders (each scenario on its own),"
            " not both",
            where="PATH",
        )
    return files, folders


@scenario.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]...")
@click.pass_obj
def check(obj, paths):
    """Validate scenario files against the model and the evidence.

    PATH is a scenario file, a folder (every *.toml in it), or a bare NAME for
    CONFIG_DIR/scenarios/NAME.toml; no PATH checks the whole CONFIG_DIR/scenarios folder.
    """
    from fragwatch.scenarios.spec import compose
    from fragwatch.settings.scenarios import check_composition, load_scenario, scenario_files

    files, folders = _split(obj, paths)
    _, _, vocab = _inputs(obj)
    for folder in folders:
        files.extend(scenario_files(folder))
    loaded = []
    for path in files:
        s = load_scenario(path, vocab)
        check_composition(s, vocab)
        loaded.append(s)
        click.echo(f"ok: {s.name} ({path.name}): {_contents(s)}")
    if len(loaded) > 1 and not folders:
        composed = compose(loaded)
        check_composition(composed, vocab)
        click.echo(f"ok: composed in order: {composed.name}")


def _contents(s) -> str:
    def count(n: int, what: str) -> str:
        return f"{n} {what}{'' if n == 1 else 's'}"

    random = sum(x.random for x in s.shocks)
    parts = [
        count(len(s.shocks), "shock") + (f" ({random} random)" if random else ""),
        count(len(s.events), "event"),
        count(len(s.observations), "observation"),
        count(len(s.weights), "weight override"),
        count(len(s.goalposts), "goalpost override"),
    ]
    return ", ".join(p for p in parts if not p.startswith("0 ")) or "changes nothing"


@scenario.command("run")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]...")
@click.option("--as-of", help="Assess at this date (default: each scenario's as_of, else today).")
@click.option(
    "--draws",
    type=click.IntRange(1, MAX_DRAWS),
    default=10_000,
    show_default=True,
    help="Monte Carlo draws for scenarios with distributions.",
)
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), help="Seed for reproducible draws.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--chart", "chart_path", type=click.Path(path_type=Path), help="Write a PNG chart.")
@click.pass_obj
def run(obj, paths, as_of, draws, seed, as_json, chart_path):
    """Baseline and scenario: score, band, contribution changes, alerts, and intervals.

    PATH is a scenario file, a folder, or a bare NAME for CONFIG_DIR/scenarios/NAME.toml.
    Several files compose in order (later ones win); a folder (no PATH: CONFIG_DIR/scenarios)
    runs each of its scenarios on its own and prints one comparison table.
    """
    import pandas as pd

    from fragwatch.cli import parse_date
    from fragwatch.scenarios import render
    from fragwatch.scenarios.run import run_scenario
    from fragwatch.settings import config_dir

    if chart_path is not None:
        from fragwatch.atomicfile import check_output_path

        check_output_path(chart_path, UsageError, "--chart")  # before any work
    from fragwatch.settings.scenarios import load_scenarios, scenario_files

    files, folders = _split(obj, paths)
    if chart_path is not None and not chart_path.parent.is_dir():
        raise UsageError(f"folder {chart_path.parent} does not exist", where="--chart")
    evidence, spec, vocab = _inputs(obj)
    if folders:
        scenarios = [load_scenarios([p], vocab) for f in folders for p in scenario_files(f)]
    else:
        scenarios = [load_scenarios(files, vocab)]
    # Alert rules are used when they exist; a scenario run without them still runs.
    rules_file = config_dir(obj.config_dir) / "alerts.toml"
    rules = obj.rules(spec) if rules_file.exists() else None
    if seed is None:
        import secrets

        seed = secrets.randbits(32)  # printed with the results, so the run can be repeated
    override = parse_date(as_of, "--as-of") if as_of else None
    today = parse_date(None, "--as-of")
    results = []
    for s in scenarios:
        dates = (
            pd.DatetimeIndex([override])
            if override is not None
            else s.as_of.dates()
            if s.as_of is not None
            else pd.DatetimeIndex([today])
        )
        results.append(run_scenario(s, evidence, spec, vocab, rules, dates, draws=draws, seed=seed))
    if chart_path is not None:
        from fragwatch.atomicfile import write_atomically
        from fragwatch.scenarios.chart import draw_comparison

        write_atomically(
            chart_path,
            lambda path: draw_comparison(results, spec.model.bands, path),
            UsageError,
            where="--chart",
        )
    if as_json:
        click.echo(jsonout.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False))
    elif folders:
        click.echo(render.render_comparison(results), nl=False)
    else:
        click.echo(render.render_result(results[0]), nl=False)
    if chart_path is not None and not as_json:
        click.echo(f"chart written to {chart_path}")
