"""Read evidence files from disk: the embedded default base and any user folders or files."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from fragwatch.errors import EvidenceError, FragwatchError, location
from fragwatch.evidence.base import Evidence
from fragwatch.evidence.library import EVENTS_PARQUET
from fragwatch.evidence.matching import apply_matches, match_incidents
from fragwatch.evidence.schema import (
    EVENT_COLUMNS,
    OBSERVATION_COLUMNS,
    SOURCE_COLUMNS,
    TableRef,
    validate_events,
    validate_observations,
    validate_sources,
)
from fragwatch.textcols import stripped
from fragwatch.textio import decode_utf8

TABLE_FILES = {"sources": "sources.csv", "observations": "observations.csv", "events": "events.csv"}
TEXTS_DIR = "texts"


def default_evidence_dir() -> Path:
    """The evidence base shipped inside the package."""
    return Path(str(resources.files("fragwatch.evidence") / "data"))


def read_table(
    path: Path, error: type[FragwatchError] = EvidenceError
) -> tuple[pd.DataFrame, TableRef]:
    """Read one CSV as text cells, keeping the line each row starts on.

    The csv module (not pandas) reads the file so that blank lines and quoted cells spanning
    lines still give exact line numbers in every later error message.
    """
    name = str(path)
    if not path.exists():
        raise error("no such file", where=name)
    if path.is_dir():
        raise error("is a folder, expected a CSV file", where=name)
    text = decode_utf8(path.read_bytes(), name, error)
    if not text.strip():
        raise error("file is empty (expected a header line)", where=name)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    previous_end = 0
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if record:  # a blank line
                records.append(record)
                lines.append(start)
    except csv.Error as exc:
        problem = (
            "a quoted cell starting on this line is never closed"
            if "end of data" in str(exc)
            else f"not valid CSV ({exc})"
        )
        raise error(problem, where=f"{name}:{previous_end + 1}") from None
    header = [cell.strip().lstrip("\ufeff") for cell in records[0]]
    seen = set()
    for column in header:
        if column in seen:
            raise error(f"duplicate column '{column}'", where=f"{name}:{lines[0]}")
        seen.add(column)
    for record, line in zip(records[1:], lines[1:], strict=True):
        if len(record) != len(header):
            raise error(
                f"{len(record)} fields where the header has {len(header)}"
                " (a comma in an unquoted cell?)",
                where=f"{name}:{line}",
            )
    table = pd.DataFrame(records[1:], columns=header, dtype=object)
    return table, TableRef(file=name, lines=tuple(lines[1:]))


def sniff_kind(table: pd.DataFrame, ref: TableRef) -> str:
    """Tell sources, observations and events files apart by their id column."""
    for kind, columns in (
        ("sources", SOURCE_COLUMNS),
        ("observations", OBSERVATION_COLUMNS),
        ("events", EVENT_COLUMNS),
    ):
        if columns[0] in table.columns:
            return kind
    raise EvidenceError(
        "not an evidence table: its header has none of source_id, obs_id, event_id",
        where=location(ref.file, 1),
    )


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=str) for c in columns})


@dataclass(frozen=True)
class ShippedBase:
    """The shipped folder and the open-data layer of some countries, read and checked: what
    every load with the default base starts from, and the same for every command (so it can be
    stored once, see ``evidence.basecache``). Folders given to ``load_evidence`` are added to it
    exactly as if they had been read after it."""

    sources: list[tuple[pd.DataFrame, TableRef]]  # each part validated
    observations: list[tuple[pd.DataFrame, TableRef]]
    events: list[tuple[pd.DataFrame, TableRef]]
    open_sources: pd.DataFrame
    open_observations: pd.DataFrame
    texts: dict[str, str]


def shipped_base(countries: Collection[str] | None = None) -> ShippedBase:
    """Read and check the shipped base; ``countries`` limits the open-data layer to them."""
    from fragwatch.evidence.opendata import open_layer

    sources_parts, obs_parts, ev_parts, _ = _gather([default_evidence_dir()])
    texts_dirs: dict[str, Path] = {}
    validated = _validated_sources([], sources_parts, texts_dirs)
    own_sources = _sources_frame(validated)
    open_sources, open_observations = open_layer(
        None if countries is None else frozenset(countries)
    )
    sources = pd.concat([own_sources, open_sources])
    return ShippedBase(
        sources=[(table, ref) for table, ref, _ in validated],
        observations=[(validate_observations(t, sources, r), r) for t, r in obs_parts],
        events=[(validate_events(t, sources, r), r) for t, r in ev_parts],
        open_sources=open_sources,
        open_observations=open_observations,
        texts=_read_texts(own_sources, texts_dirs),
    )


def load_evidence(
    paths: list[Path],
    *,
    include_default: bool = True,
    countries: Collection[str] | None = None,
    base: ShippedBase | None = None,
) -> Evidence:
    """Load and validate evidence from the default base plus folders or single CSV files.

    Every table is validated before anything is returned: one bad row fails the whole load.
    The default base includes the open-data layer (see ``evidence.opendata``); ``countries``
    limits that layer to the countries a command will assess (None: every country). ``base``
    is that default base already read for the same countries; without it, it comes from the
    stored copy of ``evidence.basecache`` (made from the files when there is none).
    """
    if include_default and base is None:
        from fragwatch.evidence.basecache import cached_parts

        base = cached_parts(countries)
    sources_parts, obs_parts, ev_parts, parquet_parts = _gather(list(paths))
    texts_dirs: dict[str, Path] = {}
    validated = _validated_sources(base.sources if base else [], sources_parts, texts_dirs)
    sources = _sources_frame(validated)
    if base is not None:
        sources = pd.concat([sources, base.open_sources])
    known_obs = base.observations if base else []
    known_ev = base.events if base else []
    observations = _concat_checked(
        [t for t, _ in known_obs] + [validate_observations(t, sources, r) for t, r in obs_parts],
        "obs_id",
        [*known_obs, *obs_parts],
    )
    if base is not None:
        observations = _with_open_layer(
            observations, [*known_obs, *obs_parts], base.open_observations, base.open_sources
        )
    events = _concat_checked(
        [t for t, _ in known_ev] + [validate_events(t, sources, r) for t, r in ev_parts],
        "event_id",
        [*known_ev, *ev_parts],
    )
    if observations is None:
        observations = validate_observations(
            _empty(OBSERVATION_COLUMNS), sources, TableRef("(none)")
        )
    if events is None:
        events = validate_events(_empty(EVENT_COLUMNS), sources, TableRef("(none)"))
    texts = _read_texts(sources, texts_dirs, base.texts if base else {})
    if parquet_parts:  # imported data sets: read by question (see evidence.store)
        from fragwatch.evidence.store import ImportedEvents

        imported = ImportedEvents.of([path for path, _ in parquet_parts], sources, events)
        events = apply_matches(events, imported.shared.matches())
        return Evidence(sources, observations, events, texts=texts)._with(imported)
    # An imported event that a report also describes joins the report's incident (one count).
    events = match_incidents(events, sources)
    return Evidence(sources, observations, events, texts=texts)


def _gather(folders: list[Path]) -> tuple[list, list, list, list]:
    """The tables of each folder or file, by kind, in the order given."""
    sources_parts, obs_parts, ev_parts, parquet_parts = [], [], [], []
    for folder in folders:
        found = _tables_in(folder)
        for kind, (table, ref, base) in found.items():
            if kind == "sources":
                sources_parts.append((table, ref, base))
            elif kind == "observations":
                obs_parts.append((table, ref))
            elif kind == "events":
                ev_parts.append((table, ref))
            else:  # events.parquet: an imported data set, read and checked as typed columns
                parquet_parts.append((table, ref))
    return sources_parts, obs_parts, ev_parts, parquet_parts


def _tables_in(path: Path) -> dict[str, tuple[pd.DataFrame, TableRef, Path]]:
    if not path.exists():
        raise EvidenceError("no such file or folder", where=str(path))
    if path.is_file():
        if path.suffix.lower() == ".parquet":
            return {EVENTS_PARQUET: (path, TableRef(str(path)), path.parent)}
        table, ref = read_table(path)
        return {sniff_kind(table, ref): (table, ref, path.parent)}
    found: dict = {}
    for kind, filename in TABLE_FILES.items():
        file = path / filename
        if file.exists():
            table, ref = read_table(file)
            found[kind] = (table, ref, path)
    if (path / EVENTS_PARQUET).is_file():
        found[EVENTS_PARQUET] = (path / EVENTS_PARQUET, TableRef(str(path / EVENTS_PARQUET)), path)
    if not found:
        raise EvidenceError(
            "folder holds none of sources.csv, observations.csv, events.csv, events.parquet",
            where=str(path),
        )
    return found


def _validated_sources(
    known: list[tuple[pd.DataFrame, TableRef]], parts: list, texts_dirs: dict[str, Path]
) -> list[tuple[pd.DataFrame, TableRef, Path | None]]:
    """``known`` (already validated) followed by each part validated, every source id
    defined once; ``texts_dirs`` gets the texts folder of each new part's sources."""
    out: list[tuple[pd.DataFrame, TableRef, Path | None]] = [(t, r, None) for t, r in known]
    seen: dict[str, str] = {i: r.file for t, r in known for i in t.index}
    for table, ref, base in parts:
        validated = validate_sources(table, ref)
        for pos, source_id in enumerate(validated.index):
            if source_id in seen:
                raise EvidenceError(
                    f"source id '{source_id}' is already defined in {seen[source_id]}",
                    where=location(ref.file, ref.line_of(pos), "source_id"),
                )
            seen[source_id] = ref.file
            texts_dirs[source_id] = base / TEXTS_DIR
        out.append((validated, ref, base))
    return out


def _sources_frame(validated: list) -> pd.DataFrame:
    if not validated:
        return validate_sources(_empty(SOURCE_COLUMNS), TableRef("(none)"))
    return pd.concat([table for table, _, _ in validated])


def _concat_checked(frames: list[pd.DataFrame], id_col: str, parts: list) -> pd.DataFrame | None:
    if not frames:
        return None
    frames = _same_dtypes(frames)
    # One hash pass over every id (the open-data layer alone has 150,000); only when some id
    # repeats is its first repetition located, for the error message.
    ids = pd.Index(np.concatenate([f.index.to_numpy(dtype=object) for f in frames]))
    repeated = ids.duplicated(keep="first")
    if repeated.any():
        at = int(np.argmax(repeated))
        dup = ids[at]
        sizes = np.cumsum([len(f) for f in frames])
        part = int(np.searchsorted(sizes, at, side="right"))
        pos = at - (int(sizes[part - 1]) if part else 0)
        first_at = int(np.flatnonzero(ids.to_numpy(dtype=object) == dup)[0])
        first = int(np.searchsorted(sizes, first_at, side="right"))
        raise EvidenceError(
            f"id '{dup}' is already defined in {parts[first][1].file}",
            where=location(parts[part][1].file, parts[part][1].line_of(pos), id_col),
        )
    return pd.concat(frames)


def _with_open_layer(
    observations: pd.DataFrame | None, parts: list, layer: pd.DataFrame, releases: pd.DataFrame
) -> pd.DataFrame:
    """The files' observations followed by the open-data layer's.

    The layer's ids are unique (checked when it is parsed) and each begins with its release's
    id and a colon, so only a file's id with such a beginning can repeat one: those few are
    looked up in the layer instead of hashing its 150,000 ids again with the files' ones.
    """
    if observations is None:
        return layer
    ids = observations.index.to_numpy(dtype=object)
    prefixes = tuple(f"{release}:" for release in releases.index)
    suspects = [pos for pos, i in enumerate(ids) if i.startswith(prefixes)]
    taken = layer.index.isin(ids[suspects]) if suspects else None
    if taken is not None and taken.any():
        dup = layer.index[int(np.argmax(taken))]
        pos = int(np.flatnonzero(ids == dup)[0])
        sizes = np.cumsum([len(t) for t, _ in parts])
        part = int(np.searchsorted(sizes, pos, side="right"))
        ref, row = parts[part][1], pos - (int(sizes[part - 1]) if part else 0)
        origin = releases.at[layer.at[dup, "source_id"], "origin"]
        raise EvidenceError(
            f"id '{dup}' is already defined in the open-data layer ({origin})",
            where=location(ref.file, ref.line_of(row), "obs_id"),
        )
    return pd.concat(_same_dtypes([observations, layer]))


def _same_dtypes(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """One text dtype per column, the largest table's: text kept in Arrow by a Parquet batch
    stays there and small CSV tables join it; the open-data layer's Python strings stay Python
    strings (pandas would otherwise turn 150,000 or a million strings from one into the
    other)."""
    largest = max(frames, key=len)
    out = []
    for f in frames:
        if f is largest:
            out.append(f)
            continue
        change = {
            c: largest[c].dtype
            for c in f.columns
            if c in largest
            and f[c].dtype != largest[c].dtype
            and (f[c].dtype == object or isinstance(f[c].dtype, pd.StringDtype))
            and (largest[c].dtype == object or isinstance(largest[c].dtype, pd.StringDtype))
        }
        out.append(f.astype(change) if change else f)
    return out


def _read_texts(
    sources: pd.DataFrame, texts_dirs: dict[str, Path], known: dict[str, str] | None = None
) -> dict[str, str]:
    """The text each source's quotes must appear in: its file, cut to its section (``known``:
    those already read, by source id).

    A source that names a text file must have it, and its section markers must be found:
    otherwise its quotes could not be checked, which is an error, not a silent skip.
    """
    texts: dict[str, str] = {}
    named = sources[stripped(sources["file"]) != ""]
    for source_id, row in named.iterrows():
        if known and source_id in known:
            texts[source_id] = known[source_id]
            continue
        path = texts_dirs[source_id] / row["file"]
        where = f"{row['origin']}: field 'file'"
        if not path.is_file():
            raise EvidenceError(f"text file {path} does not exist", where=where)
        text = decode_utf8(path.read_bytes(), str(path), EvidenceError)
        start, end = 0, len(text)
        for marker, field in ((row["text_from"], "text_from"), (row["text_to"], "text_to")):
            if marker and marker not in text:
                raise EvidenceError(
                    f"marker '{marker}' is not found in {path.name}",
                    where=f"{row['origin']}: field '{field}'",
                )
        if row["text_from"]:
            start = text.index(row["text_from"])
        if row["text_to"]:
            end = text.index(row["text_to"])
        texts[source_id] = text[start:end]
    return texts
