"""Import one downloaded file into the evidence library: WDI, UCDP GED or ACLED.

The steps are the same for every data set: hash the file (the same file, imported with the same
options, is already there: nothing to do); convert it into a hidden folder beside the library's
batches (sources.csv plus observations.csv or events.parquet); load the whole evidence with the
new folder (observations) or work out how its events meet the report events (event data sets,
whose rows were checked while converting); then rename the folder into place.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from fragwatch.errors import EvidenceError, UsageError, location
from fragwatch.evidence.base import Evidence
from fragwatch.evidence.batches import (
    MANIFEST,
    BatchResult,
    batch_name,
    existing,
    file_sha256,
    fingerprint,
    write_batch,
)
from fragwatch.evidence.files import load_evidence
from fragwatch.evidence.library import EVENTS_PARQUET, library_folders
from fragwatch.evidence.loaders.countries import is_iso3
from fragwatch.evidence.loaders.summary import EventSummary, summarise_events
from fragwatch.evidence.schema import OBSERVATION_COLUMNS, SOURCE_COLUMNS
from fragwatch.evidence.store import record_batch


@dataclass
class ImportResult:
    """What an import did: its batch, the countries and dates it holds, report matches."""

    dataset: str
    batch: BatchResult
    counts: dict
    summary: EventSummary = field(default_factory=EventSummary)
    warnings: list[str] = field(default_factory=list)  # one located line each
    kept: dict[str, list[str]] = field(default_factory=dict)  # selections an earlier import had


def _write_sources(folder: Path, source: dict[str, str]) -> None:
    with (folder / "sources.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, SOURCE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerow({c: source.get(c, "") for c in SOURCE_COLUMNS})


def _run(
    key: str,
    dataset: str,
    path: Path,
    library: Path,
    options: dict,
    fill: Callable[[Path, str, str, dict], dict],  # (folder, id, sha256, options) -> counts
    *,
    monthly: bool,
    events: bool,
) -> ImportResult:
    """Hash, convert into a hidden folder, check it, rename it into place.

    Importing a file that is already in the library with other options replaces its batch, but
    never narrows it: a --country (or --indicator) selection is widened to include what the
    earlier import brought, so no row it brought is lost.
    """
    if not path.is_file():
        raise EvidenceError("no such file" if not path.exists() else "not a file", where=str(path))
    sha = file_sha256(path)
    # The same content under another file name is the same file: find its batch.
    same = sorted(library.glob(f"{key}-*-{sha[:10]}")) if library.is_dir() else []
    name = same[0].name if same else batch_name(key, path, sha)
    requested = set(options.get("countries", []))
    options, kept = _widened(library / name, options)
    wanted = fingerprint(sha, options)
    source_id = f"{key}-{sha[:10]}"
    found = existing(library, name, wanted)
    if found is not None:
        result = ImportResult(dataset, found, found.manifest)
        if monthly:
            reports = _reports(library, exclude=found.folder)
            result.summary = summarise_events(found.folder, reports, monthly=True)
        return result
    summary: dict[str, EventSummary] = {}

    def build(folder: Path) -> dict:
        counts = fill(folder, source_id, sha, options)
        if events:
            # The rows were checked while converting; what is left is how they meet reports.
            reports = _reports(library, exclude=library / name)
            summary["events"] = summarise_events(folder, reports, monthly=monthly)
            found = summary["events"]  # recorded: what every command would work out again
            record_batch(folder, found.matches, found.reports)
        else:
            # Small tables: load everything with the new folder, as every command will, so a
            # bad row or an id clash fails here and not in tomorrow's assessment.
            folders = [f for f in library_folders(library) if f != library / name]
            loaded = load_evidence([*folders, folder])
            summary["events"] = _observation_summary(loaded.observations, source_id)
        absent = sorted(requested - set(summary["events"].countries))
        if absent and absent == sorted(requested):
            # Most likely a typo: say so rather than re-write the batch with nothing new.
            raise EvidenceError(
                f"no rows of {', '.join(absent)} in this file: nothing changed", where=str(path)
            )
        if absent:
            counts["absent"] = absent
        return counts

    manifest = {"fingerprint": wanted, "dataset": dataset, "file": path.name, "sha256": sha}
    batch = write_batch(library, name, {**manifest, "options": options}, build)
    warnings = batch.manifest.get("warnings", [])
    return ImportResult(dataset, batch, batch.manifest, summary["events"], warnings, kept)


# Options that select part of a file; an empty list means all of it.
SELECTIONS = ("countries", "indicators")


def _widened(folder: Path, options: dict) -> tuple[dict, dict[str, list[str]]]:
    """``options`` with each selection widened by the batch already imported from the file.

    Returns the options and, per selection, the values kept only because the earlier import
    had them (a selection of "all" keeps all: nothing to widen).
    """
    try:
        before = json.loads((folder / MANIFEST).read_text("utf-8")).get("options", {})
    except (OSError, ValueError):
        return options, {}
    widened, kept = dict(options), {}
    for key in SELECTIONS:
        if key not in options or key not in before:
            continue
        old, new = list(before[key]), list(options[key])
        if not new:
            continue  # all of the file: includes the earlier selection
        if not old:
            widened[key] = []
            kept[key] = ["all"]
            continue
        widened[key] = sorted(set(old) | set(new))
        if set(old) - set(new):
            kept[key] = sorted(set(old) - set(new))
    return widened, kept


def _selected(options: dict, key: str) -> frozenset[str] | None:
    return frozenset(options[key]) or None


def _reports(library: Path, exclude: Path) -> Evidence:
    """The embedded base and the library's batches other than imported event data sets."""
    folders = [
        f for f in library_folders(library) if f != exclude and not (f / EVENTS_PARQUET).is_file()
    ]
    return load_evidence(folders)


def _observation_summary(observations: pd.DataFrame, source_id: str) -> EventSummary:
    rows = observations[observations["source_id"] == source_id]
    if rows.empty:
        return EventSummary()
    return EventSummary(
        countries=sorted(rows["country"].unique().tolist()),
        first=str(rows.loc[rows["period_start"].idxmin(), "period"]),
        last=str(rows.loc[rows["period_end"].idxmax(), "period"]),
    )


def _countries_option(countries: tuple[str, ...] | list[str]) -> frozenset[str] | None:
    wanted = frozenset(c.strip().upper() for c in countries)
    for code in sorted(wanted):
        if not is_iso3(code):
            raise UsageError(f"'{code}' is not an ISO3 country code", where="--country")
    return wanted or None


SHOWN_WARNINGS = 5  # located warning lines printed (and kept in batch.json) per import


def _events_into(
    folder: Path,
    path: Path,
    encoding: str | None,
    open_export: Callable,  # Download -> Export, its header checked
    convert: Callable,  # (export, offset, batch) -> EventBlock
    id_column: str,
    countries: frozenset[str] | None,
) -> tuple[object, dict]:
    """Read the download (zip or not, any encoding) into folder/events.parquet.

    Returns the Export (its header) and what batch.json records; the scratch copy is gone after.
    """
    from fragwatch.evidence.loaders.download import SCRATCH, open_download
    from fragwatch.evidence.loaders.events import import_events

    try:
        download = open_download(path, folder, encoding)
        export = open_export(download)
        if encoding is None and download.encoding == "utf-8":
            export.encoding_hint = "; or name its encoding with --encoding (e.g. cp1252)"
        done = import_events(
            export,
            lambda offset, batch: convert(export, offset, batch),
            folder / EVENTS_PARQUET,
            id_column,
        )
        counts = _event_counts(download, export, done, countries)  # reads lines: file still here
    finally:
        (folder / SCRATCH).unlink(missing_ok=True)
    return export, counts


def _event_counts(download, export, done, countries: frozenset[str] | None) -> dict:
    """What batch.json records: counts, how the file was read, the located repairs."""
    if done.imported == 0:
        raise EvidenceError(
            f"none of its {done.read:,} records is of "
            + ", ".join(sorted(countries or []))
            + ": nothing imported",
            where=download.name,
        )
    shown = done.warnings[:SHOWN_WARNINGS]
    at = export.lines_of([position for position, _, _ in shown])  # one pass over the file
    lines = [
        f"{location(export.name, at[position], column)}: {message}"
        for position, column, message in shown
    ]
    if len(done.warnings) > SHOWN_WARNINGS:
        more = len(done.warnings) - SHOWN_WARNINGS
        lines.append(
            f"{export.name}: {more:,} more record{'s' * (more != 1)} repaired the same way"
        )
    counts = {"read": done.read, "imported": done.imported, "encoding": download.encoding}
    if download.member:
        counts["member"] = download.member
    if export.hashtags:
        counts["hxl"] = True
    if lines:
        counts["warnings"] = lines
        counts["repaired"] = len(done.warnings)
    return counts


def import_acled(
    path: Path,
    library: Path,
    *,
    countries: tuple[str, ...] = (),
    downloaded: date | None = None,
    published: str | None = None,
    encoding: str | None = None,
    monthly: bool = False,
) -> ImportResult:
    from fragwatch.evidence.loaders import acled
    from fragwatch.evidence.loaders.download import check_encoding
    from fragwatch.evidence.loaders.export import Export

    wanted = _countries_option(countries)
    lag_days = published_lag(published)
    check_encoding(encoding)

    def fill(folder: Path, source_id: str, sha: str, options: dict) -> dict:
        selected = _selected(options, "countries")
        layout: dict[str, str] = {}

        def open_export(download) -> Export:
            export = Export.open(download.path, acled.DATASET, [], display=download.name)
            layout["name"] = acled.read_layout(export)
            if "timestamp" not in export.header and downloaded is None and lag_days is None:
                raise UsageError(
                    f"{download.name} has no timestamp column: give the download date"
                    " (or --published event+N)",
                    where="--downloaded",
                )
            return export

        settings = acled.AcledOptions(sha[:10], source_id, selected, downloaded, lag_days)
        export, counts = _events_into(
            folder,
            path,
            encoding,
            open_export,
            lambda export, offset, batch: acled.convert_block(export, settings, offset, batch),
            "event_id_cnty",
            selected,
        )
        counts["layout"] = layout["name"]
        rule = (
            f"{lag_days} days after each event (never after its timestamp or the download)"
            if lag_days is not None
            else "each row's timestamp (its last edit)"
            if "timestamp" in export.header
            else "the download date"
        )
        _write_sources(
            folder,
            {
                "source_id": source_id,
                "title": f"ACLED export {path.name}"
                + (f" ({', '.join(sorted(selected))})" if selected else ""),
                "publisher": "ACLED (Armed Conflict Location & Event Data)",
                "published": downloaded or _latest_published(folder),
                "published_note": (
                    "download date" if downloaded else "the latest row publication date"
                )
                + f"; rows published at {rule}; file {path.name}, sha256 {sha}",
                "url": acled.URL,
                "kind": "dataset",
            },
        )
        return counts

    options = {
        "countries": sorted(wanted or []),
        "downloaded": str(downloaded or ""),
        "published": "" if lag_days is None else f"event+{lag_days}",
        "encoding": encoding or "",
    }
    return _run("acled", "ACLED", path, library, options, fill, monthly=monthly, events=True)


def published_lag(rule: str | None) -> int | None:
    """None for 'timestamp' (the default), N for 'event+N' ('event+7', 'event+7 days')."""
    import re

    if rule is None or rule.strip().lower() == "timestamp":
        return None
    found = re.fullmatch(r"event\s*\+\s*(\d{1,4})\s*(?:d|days?)?", rule.strip().lower())
    if not found:
        raise UsageError(
            f"'{rule}' is not a publication rule: 'timestamp' or 'event+N' (N days)",
            where="--published",
        )
    return int(found[1])


def import_ucdp(
    path: Path,
    library: Path,
    *,
    countries: tuple[str, ...] = (),
    version: str | None = None,
    released: date | None = None,
    encoding: str | None = None,
    monthly: bool = False,
) -> ImportResult:
    from fragwatch.evidence.loaders import ucdp
    from fragwatch.evidence.loaders.download import check_encoding, csv_member
    from fragwatch.evidence.loaders.export import Export

    if not path.is_file():  # before the file name is read for a version
        raise EvidenceError("no such file" if not path.exists() else "not a file", where=str(path))
    wanted = _countries_option(countries)
    check_encoding(encoding)
    if version is None and path.is_file():
        member = csv_member(path)
        version = ucdp_version(path) or (ucdp_version(Path(member)) if member else None)
    if version is None:
        raise UsageError(
            f"the file name {path.name} does not say the GED version: give it", where="--version"
        )
    released = released or ucdp_release(version)
    if released is None:
        raise UsageError(
            f"no release date known for GED {version} (annual versions YY.1 are dated 30 June):"
            " give it",
            where="--released",
        )

    def fill(folder: Path, source_id: str, sha: str, options: dict) -> dict:
        selected = _selected(options, "countries")

        def open_export(download) -> Export:
            export = Export.open(download.path, ucdp.DATASET, [], display=download.name)
            export.require(ucdp.required_columns(export.header))
            return export

        settings = ucdp.UcdpOptions(f"{version}-{sha[:10]}", source_id, selected, released)
        _, counts = _events_into(
            folder,
            path,
            encoding,
            open_export,
            lambda export, offset, batch: ucdp.convert_block(export, settings, offset, batch),
            "id",
            selected,
        )
        _write_sources(
            folder,
            {
                "source_id": source_id,
                "title": f"UCDP Georeferenced Event Dataset (GED) version {version}, {path.name}"
                + (f" ({', '.join(sorted(selected))})" if selected else ""),
                "publisher": "Uppsala Conflict Data Program",
                "published": released.isoformat(),
                "published_note": f"release date of GED {version}; file {path.name}, sha256 {sha}",
                "url": ucdp.URL,
                "kind": "dataset",
            },
        )
        return counts

    options = {
        "countries": sorted(wanted or []),
        "version": version,
        "released": str(released),
        "encoding": encoding or "",
    }
    return _run("ucdp-ged", "UCDP GED", path, library, options, fill, monthly=monthly, events=True)


def import_wdi(
    path: Path,
    library: Path,
    *,
    countries: tuple[str, ...] = (),
    indicators: tuple[str, ...] = (),
    released: date | None = None,
    unit: str | None = None,
) -> ImportResult:
    from fragwatch.evidence.loaders import wdi
    from fragwatch.evidence.units import UNITS

    wanted = _countries_option(countries)
    codes = frozenset(i.strip() for i in indicators) or None
    if unit is not None and unit.lower() not in UNITS:
        raise UsageError(
            f"unknown unit '{unit}'; known units: {', '.join(sorted(UNITS))}", where="--unit"
        )

    def fill(folder: Path, source_id: str, sha: str, options: dict) -> dict:
        wanted, codes = _selected(options, "countries"), _selected(options, "indicators")
        download = wdi.read_wdi(path)
        release = released or download.released
        if release is None:
            raise UsageError(
                f"{path.name} does not give its release date (Last Updated Date): give it",
                where="--released",
            )
        rows = wdi.observations(
            download,
            released=release,
            source_id=source_id,
            token=sha[:6],
            countries=wanted,
            indicators=codes,
            unit=unit,
        )
        if rows.empty:
            raise EvidenceError(
                "no figures to import"
                + (" for the chosen --country/--indicator" if wanted or codes else ""),
                where=str(path),
            )
        series = sorted(set(download.figures["code"]) & set(codes or download.figures["code"]))
        _write_sources(
            folder,
            {
                "source_id": source_id,
                "title": f"World Development Indicators, release of {release}: "
                + ", ".join(series[:5])
                + (f" and {len(series) - 5} more" if len(series) > 5 else "")
                + f" ({download.layout} {path.name})",
                "publisher": "World Bank",
                "published": release.isoformat(),
                "published_note": f"the release's last updated date; file {path.name},"
                f" sha256 {sha}",
                "url": f"https://data.worldbank.org/indicator/{series[0]}"
                if len(series) == 1
                else "https://datacatalog.worldbank.org/search/dataset/0037712",
                "kind": "dataset",
            },
        )
        rows.to_csv(folder / "observations.csv", index=False, columns=OBSERVATION_COLUMNS)
        return {"read": len(download.figures), "imported": len(rows)}

    options = {
        "countries": sorted(wanted or []),
        "indicators": sorted(codes or []),
        "released": str(released or ""),
        "unit": unit or "",
    }
    return _run("wdi", "WDI", path, library, options, fill, monthly=False, events=False)


def _latest_published(folder: Path) -> str:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    published = pq.read_table(folder / EVENTS_PARQUET, columns=["published"])["published"]
    latest = pc.max(published).as_py()
    return latest.isoformat() if latest else date.today().isoformat()


def ucdp_version(path: Path) -> str | None:
    """'24.1' from GEDEvent_v24_1.csv or ged241.csv, None if the name does not say."""
    import re

    found = re.search(r"v(\d{2})[._](\d+)(?:[._](\d+))?", path.stem, re.IGNORECASE)
    if found:
        return ".".join(g for g in found.groups() if g is not None)
    found = re.search(r"ged(\d{2})(\d)\b", path.stem, re.IGNORECASE)
    return f"{found[1]}.{found[2]}" if found else None


def ucdp_release(version: str) -> date | None:
    """The approximate release date of an annual GED version YY.1 (UCDP publishes in June)."""
    import re

    found = re.fullmatch(r"(\d{2})\.1", version)
    return date(2000 + int(found[1]), 6, 30) if found else None
