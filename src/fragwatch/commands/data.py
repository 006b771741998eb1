"""``fragwatch fetch wdi`` and ``fragwatch import wdi|ucdp|acled``: open data into the library.

Every import writes one batch folder into the evidence library ($FRAGWATCH_EVIDENCE_DIR or
var/evidence), whole or not at all; importing the same file again changes nothing. The loaders
(pyarrow, wbgapi) are imported only when these commands run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from fragwatch.errors import UsageError

countries_option = click.option(
    "--country",
    "countries",
    multiple=True,
    metavar="ISO3",
    help="Import only this country (repeatable; default: every country in the file).",
)
encoding_option = click.option(
    "--encoding",
    help="The file's text encoding, e.g. cp1252 (default: UTF-8, else a guess that is reported).",
)


def _check_monthly(_ctx, _param, path: Path | None) -> Path | None:
    """The --monthly output is checked before the import: a bad one must not follow a commit."""
    if path is not None:
        from fragwatch.atomicfile import check_output_path
        from fragwatch.panelio import output_format

        check_output_path(path, UsageError, "--monthly")
        output_format(path, UsageError, "--monthly")
    return path


monthly_option = click.option(
    "--monthly",
    "monthly_path",
    type=click.Path(path_type=Path, dir_okay=False),
    callback=_check_monthly,
    help="Also write incidents and fatalities by country, month and kind (.csv or .parquet).",
)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"'{value}' is not a date (YYYY-MM-DD)", where=option) from None


def _library() -> Path:
    from fragwatch.evidence.library import library_dir

    return library_dir()


def _warn(result, path: Path) -> None:
    """How the file was read when it was a guess, and every record kept with a repair."""
    encoding = result.counts.get("encoding", "")
    if encoding.endswith("(detected)"):
        click.echo(
            f"fragwatch: warning: {path}: not UTF-8; read as {encoding.split()[0]} (a guess:"
            " check the names in the events, or give --encoding)",
            err=True,
        )
    for line in result.warnings:
        click.echo(f"fragwatch: warning: {line}", err=True)
    absent = result.counts.get("absent")
    if absent:
        click.echo(
            f"fragwatch: warning: {path}: no rows of {', '.join(absent)} (check --country)",
            err=True,
        )


def _report(result, path: Path, what: str, monthly_path: Path | None = None) -> None:
    counts, summary = result.counts, result.summary
    if result.batch.status != "unchanged":
        _warn(result, path)
    if result.batch.status == "unchanged":
        click.echo(f"already imported: {path} is in {result.batch.folder}; nothing changed")
    else:
        verb = {"created": "imported", "replaced": "re-imported"}[result.batch.status]
        skipped = counts["read"] - counts["imported"]
        left_out = f"; {skipped:,} row{'s' * (skipped != 1)} of other countries left out"
        click.echo(
            f"{verb} {counts['imported']:,} {what} from {path} ({result.dataset})"
            + (left_out if skipped and what == "events" else "")
        )
        if summary.countries:
            countries = summary.countries
            shown = ", ".join(countries[:12]) + (
                f" and {len(countries) - 12} more" if len(countries) > 12 else ""
            )
            click.echo(f"  countries: {shown}; dated {summary.first} to {summary.last}")
        click.echo(f"  into {result.batch.folder}")
        for key, values in result.kept.items():
            click.echo(
                f"  kept from the earlier import of this file: {key} {', '.join(values)}"
                f" (now {', '.join(counts['options'][key]) or 'all'})"
            )
        matched = summary.matched
        if len(matched):
            shown = ", ".join(f"{e} -> {i}" for e, i in matched.head(5).itertuples(index=False)) + (
                f" and {len(matched) - 5} more" if len(matched) > 5 else ""
            )
            click.echo(f"  {len(matched)} also described by reports, counted once: {shown}")
    if monthly_path is not None and summary.monthly is not None:
        from fragwatch.panelio import write_table

        write_table(summary.monthly.set_index(["country", "month", "kind"]), monthly_path)
        click.echo(f"  monthly table: {len(summary.monthly):,} rows written to {monthly_path}")


@click.group("import")
def import_group():
    """Import a downloaded WDI, UCDP GED or ACLED file into the evidence library."""


@import_group.command("acled")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@countries_option
@click.option("--downloaded", help="Download date (default: the latest row timestamp).")
@click.option(
    "--published",
    metavar="RULE",
    help="When each row counts as published: 'timestamp' (its last edit; the default) or"
    " 'event+N' (N days after the event, never after its timestamp).",
)
@encoding_option
@monthly_option
def import_acled_cmd(path, countries, downloaded, published, encoding, monthly_path):
    """An ACLED export (CSV or zip, from the export tool or the API)."""
    from fragwatch.evidence.imports import import_acled

    result = import_acled(
        path,
        _library(),
        countries=countries,
        downloaded=_date(downloaded, "--downloaded"),
        published=published,
        encoding=encoding,
        monthly=monthly_path is not None,
    )
    _report(result, path, "events", monthly_path)


@import_group.command("ucdp")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@countries_option
@click.option("--version", "version", help="GED version, e.g. 24.1 (default: from the file name).")
@click.option("--released", help="Release date (default: 30 June of the year, for YY.1).")
@encoding_option
@monthly_option
def import_ucdp_cmd(path, countries, version, released, encoding, monthly_path):
    """A UCDP GED event file (GEDEvent_v24_1.csv, or the zip it comes in)."""
    from fragwatch.evidence.imports import import_ucdp

    result = import_ucdp(
        path,
        _library(),
        countries=countries,
        version=version,
        released=_date(released, "--released"),
        encoding=encoding,
        monthly=monthly_path is not None,
    )
    _report(result, path, "events", monthly_path)


@import_group.command("wdi")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@countries_option
@click.option(
    "--indicator",
    "indicators",
    multiple=True,
    metavar="CODE",
    help="Import only this series (repeatable).",
)
@click.option("--released", help="Release date, if the file does not give it.")
@click.option("--unit", help="Unit of series fragwatch does not know (e.g. count).")
def import_wdi_cmd(path, countries, indicators, released, unit):
    """A WDI bulk CSV (API_<code>_DS2_*.csv) or an API v2 JSON response."""
    from fragwatch.evidence.imports import import_wdi

    result = import_wdi(
        path,
        _library(),
        countries=countries,
        indicators=indicators,
        released=_date(released, "--released"),
        unit=unit,
    )
    _report(result, path, "observations")


@click.group("fetch")
def fetch_group():
    """Download open data (online) and import it; offline, use the last saved download."""


@fetch_group.command("wdi")
@click.option("--indicator", required=True, metavar="CODE", help="WDI series code.")
@click.option("--country", required=True, metavar="ISO3", help="Country code.")
@click.option("--unit", help="Unit of a series fragwatch does not know (e.g. count).")
@click.option("--timeout", default=20.0, show_default=True, help="Seconds to wait for the API.")
def fetch_wdi_cmd(indicator, country, unit, timeout):
    """One WDI series for one country, through the World Bank API (wbgapi)."""
    from fragwatch.evidence.imports import import_wdi
    from fragwatch.evidence.loaders.wdi_fetch import fetch_or_saved

    code, iso3 = indicator.strip().upper(), country.strip().upper()
    saved, warning = fetch_or_saved(code, iso3, timeout=timeout)
    if warning:
        click.echo(f"fragwatch: warning: {warning}", err=True)
    result = import_wdi(saved, _library(), countries=(iso3,), indicators=(code,), unit=unit)
    _report(result, saved, "observations")


# `fetch reports` (report feeds and the review queue) lives with the feed commands.
from fragwatch.commands.feeds import fetch_reports_cmd  # noqa: E402

fetch_group.add_command(fetch_reports_cmd)
