"""``fragwatch rank``: every country (or a region's) scored as of one date, most fragile first."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from fragwatch.errors import UsageError


@click.command()
@click.option("--as-of", help="Rank with evidence published by this date (default: today).")
@click.option("--region", help="Only this UN M49 region, sub-region or intermediate region.")
@click.option("--country", "countries", multiple=True, help="Only these ISO3 codes (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Also write a CSV.")
@click.pass_obj
def rank(obj, as_of, region, countries, as_json, csv_path):
    """Every country scored as of a date, sorted: band, interval, coverage by layer, top
    driver and change over a year."""
    from fragwatch.cli import parse_date, pick_countries, write_csv
    from fragwatch.evidence.regions import countries_in
    from fragwatch.scoring.ranking import rank_countries

    if region and countries:
        raise UsageError("give --region or --country, not both", where="--region")
    when = parse_date(as_of, "--as-of")
    wanted = countries_in(region) if region else [c.upper() for c in countries] or None
    evidence, spec = obj.evidence(wanted), obj.spec()
    if region:  # a region's countries without any evidence are left out, not an error
        chosen = [c for c in wanted if c in set(evidence.countries)]
    else:
        chosen = pick_countries(evidence, wanted)
    table = rank_countries(evidence, spec, chosen, when)
    if csv_path:
        write_csv(table.set_index("rank"), csv_path)
    if as_json:
        records = json.loads(table.to_json(orient="records", double_precision=4))
        click.echo(json.dumps({"as_of": str(when.date()), "countries": records}, indent=2))
        return
    click.echo(_text(table, when, region))
    if csv_path:
        click.echo(f"CSV written to {csv_path}")


def _text(table, when, region: str | None) -> str:
    from fragwatch.evidence.regions import country_name

    def num(x: float, fmt: str = ".1f") -> str:
        return "-" if math.isnan(x) else format(x, fmt)

    scored = int((table["rank"] > 0).sum())
    where = f" in {region}" if region else ""
    lines = [
        f"{scored} of {len(table)} countries{where} scored as of {when.date()}"
        " (withheld: too little fresh evidence)",
        f"{'#':>4} {'country':<28} {'score':>5} {'band':<9} {'90% interval':>13} "
        f"{'coverage':>8} {'open':>5} {'rep.':>5} {'1y change':>9}  top driver",
    ]
    for r in table.itertuples():
        name = f"{r.country} {country_name(r.country)}"[:28]
        interval = "-" if math.isnan(r.low) else f"{r.low:.1f}-{r.high:.1f}"
        lines.append(
            f"{(str(r.rank) if r.rank else '-'):>4} {name:<28} "
            f"{num(r.score):>5} {(r.band if r.rank else 'withheld'):<9} {interval:>13} "
            f"{r.coverage:>8.0%} {r.coverage_open:>5.0%} {r.coverage_report:>5.0%} "
            f"{num(r.change, '+.1f'):>9}  {r.top_driver or '-'}"
        )
    return "\n".join(lines)
