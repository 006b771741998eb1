"""Import one downloaded file into the evidence library: WDI, UCDP GED or ACLED.

The steps are the same for every data set: hash the file (the same file, imported with the same
options, is already there: nothing to do); convert it into a hidden folder beside the library's
batches (sources.csv plus observations.csv or events.parquet); load the whole evidence with the
new folder (observations) or work out how its events meet the report events (event data sets,
whose rows were checked while converting); then rename the folder into place.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from fragwatch.errors import EvidenceError, UsageError
from fragwatch.evidence.base import Evidence
from fragwatch.evidence.batches import (
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
    fill: Callable[[Path, str, str], dict],  # (folder, source id, file sha256) -> counts
    *,
    monthly: bool,
    events: bool,
) -> ImportResult:
    """Hash, convert into a hidden folder, check it, rename it into place."""
    if not path.is_file():
        raise EvidenceError("no such file" if not path.exists() else "not a file", where=str(path))
    sha = file_sha256(path)
    # The same content under another file name is the same file: find its batch.
    same = sorted(library.glob(f"{key}-*-{sha[:10]}")) if library.is_dir() else []
    name = same[0].name if same else batch_name(key, path, sha)
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
        counts = fill(folder, source_id, sha)
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
        return counts

    manifest = {"fingerprint": wanted, "dataset": dataset, "file": path.name, "sha256": sha}
    batch = write_batch(library, name, {**manifest, "options": options}, build)
    return ImportResult(dataset, batch, batch.manifest, summary["events"])


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


def import_acled(
    path: Path,
    library: Path,
    *,
    countries: tuple[str, ...] = (),
    downloaded: date | None = None,
    monthly: bool = False,
) -> ImportResult:
    from fragwatch.evidence.loaders import acled
    from fragwatch.evidence.loaders.events import import_events
    from fragwatch.evidence.loaders.export import Export

    wanted = _countries_option(countries)

    def fill(folder: Path, source_id: str, sha: str) -> dict:
        export = Export.open(path, acled.DATASET, acled.REQUIRED)
        if "timestamp" not in export.header and downloaded is None:
            raise UsageError(
                f"{path} has no timestamp column: give the download date", where="--downloaded"
            )
        options = acled.AcledOptions(sha[:10], source_id, wanted, downloaded)
        done = import_events(
            export,
            lambda offset, batch: acled.convert_block(export, options, offset, batch),
            folder / EVENTS_PARQUET,
            "event_id_cnty",
        )
        published = downloaded or _latest_published(folder)
        _write_sources(
            folder,
            {
                "source_id": source_id,
                "title": f"ACLED export {path.name}"
                + (f" ({', '.join(sorted(wanted))})" if wanted else ""),
                "publisher": "ACLED (Armed Conflict Location & Event Data)",
                "published": published,
                "published_note": (
                    "download date" if downloaded else "the latest row timestamp in the file"
                )
                + f"; file {path.name}, sha256 {sha}",
                "url": acled.URL,
                "kind": "dataset",
            },
        )
        return {"read": done.read, "imported": done.imported}

    options = {"countries": sorted(wanted or []), "downloaded": str(downloaded or "")}
    return _run("acled", "ACLED", path, library, options, fill, monthly=monthly, events=True)


def import_ucdp(
    path: Path,
    library: Path,
    *,
    countries: tuple[str, ...] = (),
    version: str | None = None,
    released: date | None = None,
    monthly: bool = False,
) -> ImportResult:
    from fragwatch.evidence.loaders import ucdp
    from fragwatch.evidence.loaders.events import import_events
    from fragwatch.evidence.loaders.export import Export

    wanted = _countries_option(countries)
    version = version or ucdp_version(path)
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

    def fill(folder: Path, source_id: str, sha: str) -> dict:
        export = Export.open(path, ucdp.DATASET, [])
        export = Export.open(path, ucdp.DATASET, ucdp.required_columns(export.header))
        options = ucdp.UcdpOptions(f"{version}-{sha[:10]}", source_id, wanted, released)
        done = import_events(
            export,
            lambda offset, batch: ucdp.convert_block(export, options, offset, batch),
            folder / EVENTS_PARQUET,
            "id",
        )
        _write_sources(
            folder,
            {
                "source_id": source_id,
                "title": f"UCDP Georeferenced Event Dataset (GED) version {version}, {path.name}"
                + (f" ({', '.join(sorted(wanted))})" if wanted else ""),
                "publisher": "Uppsala Conflict Data Program",
                "published": released.isoformat(),
                "published_note": f"release date of GED {version}; file {path.name}, sha256 {sha}",
                "url": ucdp.URL,
                "kind": "dataset",
            },
        )
        return {"read": done.read, "imported": done.imported}

    options = {"countries": sorted(wanted or []), "version": version, "released": str(released)}
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

    def fill(folder: Path, source_id: str, sha: str) -> dict:
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
