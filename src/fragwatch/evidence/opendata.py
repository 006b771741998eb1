"""The open-data layer: published country-year tables shipped with the package, as evidence.

``data/open/datasets.toml`` declares each release (vintage) of a table and the columns read
from it. Every non-empty cell of a declared column becomes one observation whose quote is the
data line it was read from, verbatim, and whose source is the release. The tables are ours to
ship and checked when they are built (and by the tests), so they are read here as typed columns
rather than through the text validation a user's file gets. Parsing the world's lines takes
about half a second, so the parsed table is kept in a pre-parsed columnar copy keyed by the
shipped files' digests (``evidence.opencache``) and read from there by later commands.

Vintages: a release is known from its publication date. A row the release brings for the first
time (no earlier release of that quantity has the country-year) is dated when that year's
figure was first published (``first_release_days`` after the year ends; never after the
release itself), so a replay as of 2012 can see the 2010 figure even when the oldest release
shipped is from 2018; it reads that release's (revised) value, and says so in the note. A row
an earlier release already had is dated by its own release, so an assessment uses the newest
vintage published by its as-of date.
"""

from __future__ import annotations

import csv
import gzip
import io
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

OPEN_DIR = "open"
DECLARATIONS = "datasets.toml"


@dataclass(frozen=True)
class Series:
    column: str
    quantity: str
    unit: str
    low_column: str | None = None
    high_column: str | None = None


@dataclass(frozen=True)
class Dataset:
    id: str
    file: str
    title: str
    publisher: str
    short: str  # how a person cites the release: "World Bank WDI, 2026 release"
    published: pd.Timestamp
    first_release_days: int
    licence: str
    url: str
    origin: str
    sha256: str
    series: tuple[Series, ...]


def open_data_dir() -> Path:
    return Path(str(resources.files("fragwatch.evidence") / "data" / OPEN_DIR))


@cache
def datasets(folder: Path | None = None) -> tuple[Dataset, ...]:
    """The declared releases, oldest first."""
    folder = folder or open_data_dir()
    raw = tomllib.loads((folder / DECLARATIONS).read_text(encoding="utf-8"))["dataset"]
    out = [
        Dataset(
            **{k: v for k, v in d.items() if k not in ("series", "published")},
            published=pd.Timestamp(d["published"]),
            series=tuple(Series(**s) for s in d["series"]),
        )
        for d in raw
    ]
    return tuple(sorted(out, key=lambda d: d.published))


def read_lines(dataset: Dataset, folder: Path | None = None) -> str:
    """The shipped text of one release (header and data lines, verbatim)."""
    folder = folder or open_data_dir()
    return gzip.decompress((folder / dataset.file).read_bytes()).decode("utf-8")


def sources_table(found: tuple[Dataset, ...]) -> pd.DataFrame:
    """One source row per release (kind 'dataset'), in the validated sources layout."""
    table = pd.DataFrame(
        {
            "source_id": [d.id for d in found],
            "title": [d.title for d in found],
            "publisher": [d.publisher for d in found],
            "published": [d.published for d in found],
            "published_note": [
                f"release date of this vintage; each row's own date is when its year's figure"
                f" was first published ({d.first_release_days} days after the year), if"
                f" earlier. Licence {d.licence}. Taken from {d.origin}"
                for d in found
            ],
            "url": [d.url for d in found],
            "kind": "dataset",
            "file": "",
            "text_from": "",
            "text_to": "",
            "origin": [f"{OPEN_DIR}/{d.file}" for d in found],
            "citation": [d.short for d in found],
            "licence": [d.licence for d in found],
        }
    )
    table.index = pd.Index(
        table["source_id"].to_numpy(dtype=object), dtype=object, name="source_id"
    )
    return table


EARLY_NOTE = "first published about this date; the value is as this release revised it"


def _text_where(mask: np.ndarray, text: str) -> np.ndarray:
    out = np.full(len(mask), "", dtype=object)
    out[mask] = text
    return out


def _objects(values: object) -> pd.Series:
    # Object dtype on purpose: inferring pandas' Arrow strings for 150,000 cells costs more
    # than the whole layer otherwise does (see textcols).
    return pd.Series(np.asarray(values, dtype=object), dtype=object, copy=False)


def _cells(
    dataset: Dataset, folder: Path | None, countries: frozenset[str] | None
) -> dict[str, np.ndarray]:
    """Per non-empty declared cell: country, year, quantity, value, low, high, quote (arrays)."""
    text = read_lines(dataset, folder)
    lines = np.asarray(text.splitlines(), dtype=object)[1:]
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])))
    # The country code is the first column of every shipped table (iso3, iso3_origin).
    table = pd.read_csv(
        io.StringIO(text), keep_default_na=False, na_values=[""], dtype={header[0]: object}
    )
    if countries is not None:
        table = table[table[header[0]].isin(countries).to_numpy()]
        lines = lines[table.index.to_numpy()]
    country = table[header[0]].to_numpy(object)
    year = table["year"].to_numpy(np.int64)
    parts: dict[str, list] = {
        k: [] for k in ("country", "year", "quantity", "value", "low", "high", "unit", "quote")
    }
    for s in dataset.series:
        values = table[s.column].to_numpy(float)
        has = np.flatnonzero(~np.isnan(values))
        nothing = np.full(len(has), np.nan)
        parts["country"].append(country[has])
        parts["year"].append(year[has])
        parts["quantity"].append(np.full(len(has), s.quantity, dtype=object))
        parts["value"].append(values[has])
        parts["low"].append(table[s.low_column].to_numpy(float)[has] if s.low_column else nothing)
        parts["high"].append(
            table[s.high_column].to_numpy(float)[has] if s.high_column else nothing
        )
        parts["unit"].append(np.full(len(has), s.unit, dtype=object))
        parts["quote"].append(lines[has])
    out = {k: np.concatenate(v) for k, v in parts.items()}
    n = len(out["year"])
    out["source_id"] = np.full(n, dataset.id, dtype=object)
    out["origin"] = np.full(n, f"{OPEN_DIR}/{dataset.file}", dtype=object)
    out["release"] = np.full(n, dataset.published.to_datetime64(), dtype="datetime64[us]")
    out["first_release_days"] = np.full(n, dataset.first_release_days, dtype=np.int64)
    return out


def observations_table(
    found: tuple[Dataset, ...],
    folder: Path | None = None,
    countries: frozenset[str] | None = None,
) -> pd.DataFrame:
    """Every declared cell of every release (of ``countries``, None: all), in the validated
    observations layout."""
    pieces = [_cells(d, folder, countries) for d in found]
    rows = {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}
    year, release = rows["year"], rows["release"]
    # Releases are oldest first: the first release holding a country-year brings it first.
    quantity_code = pd.factorize(rows["quantity"])[0].astype(np.int64)
    country_code = pd.factorize(rows["country"])[0].astype(np.int64)
    key = (quantity_code * 100_000 + country_code) * 10_000 + year
    first = ~pd.Series(key).duplicated(keep="first").to_numpy()
    year_start = (year - 1970).astype("datetime64[Y]").astype("datetime64[us]")
    year_end = (year - 1970 + 1).astype("datetime64[Y]").astype("datetime64[us]") - np.timedelta64(
        1, "D"
    )
    first_known = year_end + rows["first_release_days"].astype("timedelta64[D]")
    early = first & (first_known < release)
    published = np.where(early, first_known, release)
    first_year = int(year.min()) if len(year) else 0
    year_text = np.array([str(y) for y in range(first_year, int(year.max()) + 1)] if len(year)
                         else [], dtype=object)  # fmt: skip
    period = year_text[year - first_year]
    obs_id = [
        f"{source}:{country}:{quantity}:{y}"
        for source, country, quantity, y in zip(
            rows["source_id"], rows["country"], rows["quantity"], period, strict=True
        )
    ]
    value, low, high = rows["value"], rows["low"], rows["high"]
    # A range that does not hold the best estimate is kept as published but not used as a
    # range (the interval's draws need low <= value <= high).
    ranged = (low <= value) & (value <= high)
    out = pd.DataFrame(
        {
            "obs_id": _objects(obs_id),
            "country": _objects(rows["country"]),
            "quantity": _objects(rows["quantity"]),
            "period": _objects(period),
            "value": value,
            "low": np.where(ranged, low, np.nan),
            "high": np.where(ranged, high, np.nan),
            "unit": _objects(rows["unit"]),
            "source_id": _objects(rows["source_id"]),
            "quote": _objects(rows["quote"]),
            "published": published.astype("datetime64[ns]"),
            "note": _objects(_text_where(early, EARLY_NOTE)),
            "point": value,
            "period_start": year_start.astype("datetime64[ns]"),
            "period_end": year_end.astype("datetime64[ns]"),
            "origin": _objects(rows["origin"]),
        }
    )
    out.index = pd.Index(out["obs_id"].to_numpy(dtype=object), dtype=object, name="obs_id")
    return out


@cache
def open_layer(countries: frozenset[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sources, observations) of the shipped open-data layer, read once per process.

    ``countries`` keeps only those countries' rows (None: every country): a command about a
    few countries does not build 150,000 rows it will never read.
    """
    found = datasets()
    return sources_table(found), _observations(found, countries)


def _observations(found: tuple[Dataset, ...], countries: frozenset[str] | None) -> pd.DataFrame:
    """The observations from the pre-parsed copy whose key matches the shipped files (see
    evidence.opencache); without one, parsed from the lines and stored for the next command."""
    from fragwatch.evidence.opencache import layer_key, read_cached, write_cached

    try:
        key = layer_key(open_data_dir(), [d.file for d in found], Path(__file__))
    except OSError:
        return _unique(observations_table(found, countries=countries))
    cached = read_cached(key, countries)
    if cached is not None:  # stored only after the check below
        return cached
    everything = _unique(observations_table(found))
    write_cached(key, everything)
    if countries is None:
        return everything
    return everything[everything["country"].isin(countries).to_numpy()]


@cache
def open_countries() -> tuple[str, ...]:
    """Every country code the open-data layer has a row for."""
    codes: set[str] = set()
    for dataset in datasets():
        text = read_lines(dataset)
        codes.update(line.split(",", 1)[0].strip('"') for line in text.splitlines()[1:])
    return tuple(sorted(codes))


def _unique(observations: pd.DataFrame) -> pd.DataFrame:
    """The layer, once its ids are checked unique (two series of a release declared with one
    quantity, or a country-year twice in a file, would repeat one). Loading evidence relies on
    it: a report's ids are checked against the layer's, not the layer's against each other."""
    if not observations.index.is_unique:
        from fragwatch.errors import EvidenceError

        repeated = observations.index[observations.index.duplicated()][0]
        raise EvidenceError(f"id '{repeated}' is repeated", where="open-data layer")
    return observations
