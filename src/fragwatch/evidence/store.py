"""Imported event batches read by question, not whole: rows by country and publication date.

An imported data set (events.parquet, up to millions of rows) is not loaded with the rest of the
evidence. ``load_evidence`` gives the ``Evidence`` an ``ImportedEvents``: the batches and a
selection (countries, published by a date, event ids) that ``Evidence.known_by`` and
``for_countries`` narrow, and that is read only when a command asks for the events themselves,
and then only its rows (``read_events_parquet(rows=...)``: the row groups that hold them).

What a command needs to know about a batch without reading it is recorded at import, beside it
(``index.json``): for each country, how many rows and the first publication date. A selection
that the index shows to be empty reads nothing; otherwise the two key columns (country,
published) are read to find the rows. Also recorded at import: which of the batch's incidents
join a report incident (``matches.parquet``, see ``evidence.matching``), with a fingerprint of
the report events they were matched against. While the reports are the same, the record is
used; otherwise (another report added since, or ``--evidence`` with events) the matching is
worked out again from the batches' candidate rows, as the import did.

Row selection is done with pyarrow on Parquet row groups rather than with a query engine:
pyarrow is already here, the selections are by equality on one column and a date bound, and
everything that follows (validation, indicators) works on the rows as Arrow and numpy arrays.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from fragwatch.evidence.matching import apply_matches, compatible_kinds, find_matches

INDEX = "index.json"
MATCHES = "matches.parquet"
MATCH_COLUMNS = ["imported_incident", "report_incident", "report_kind"]
CANDIDATE_COLUMNS = ["event_id", "country", "date", "kind", "fatalities", "incident_id"]
# Bump when what is recorded beside a batch changes meaning: older records are then ignored.
RECORD_VERSION = 1


@dataclass
class EventBatch:
    """One imported events.parquet; its index and key columns are read once, when needed."""

    path: Path
    _index: dict | None = field(default=None, repr=False)
    _keys: tuple | None = field(default=None, repr=False)
    _ids: np.ndarray | None = field(default=None, repr=False)
    _sha256: bytes | None = field(default=None, repr=False)
    _source_ids: set[str] | None = field(default=None, repr=False)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def sha256(self) -> bytes:
        """The SHA-256 of the batch's file: from the record while it is the recorded file,
        else read and hashed (the whole file, but no row is parsed)."""
        if self._sha256 is None:
            found = _read_json(self.folder / INDEX)
            recorded = found.get("sha256")
            if found.get("file") == _stamp(self.path) and isinstance(recorded, str):
                self._sha256 = bytes.fromhex(recorded)
            else:
                self._sha256 = _file_sha256(self.path)
        return self._sha256

    def index(self) -> dict:
        """{country: [rows, first published (ISO date)]} from the record, else from the keys."""
        if self._index is None:
            found = _read_json(self.folder / INDEX)
            if found.get("version") == RECORD_VERSION and found.get("file") == _stamp(self.path):
                self._index = found["countries"]
            else:
                self._index = index_of(*self.keys())
        return self._index

    def keys(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(country code of each row, the countries, published of each row as datetime64[D])."""
        if self._keys is None:
            import pyarrow.compute as pc
            import pyarrow.parquet as pq

            table = pq.read_table(self.path, columns=["country", "published"])
            encoded = pc.dictionary_encode(table.column("country").combine_chunks())
            code = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
            names = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
            published = table.column("published").to_numpy().astype("datetime64[D]")
            self._keys = (code, names, published)
        return self._keys

    def ids(self) -> np.ndarray:
        if self._ids is None:
            import pyarrow.parquet as pq

            column = pq.read_table(self.path, columns=["event_id"]).column("event_id")
            self._ids = column.to_numpy(zero_copy_only=False).astype(object)
        return self._ids

    def source_ids(self) -> set[str]:
        """The distinct sources the batch's rows cite (one column read; an import has one)."""
        if self._source_ids is None:
            import pyarrow.compute as pc
            import pyarrow.parquet as pq

            column = pq.read_table(self.path, columns=["source_id"]).column("source_id")
            self._source_ids = set(pc.unique(column).drop_null().to_pylist())
        return self._source_ids

    def rows(self, selection: Selection) -> np.ndarray:
        """Positions (ascending) of the rows in the selection."""
        index = self.index()
        countries = index if selection.countries is None else selection.countries & set(index)
        cutoff = selection.published_by
        if cutoff is not None:
            day = np.datetime64(cutoff.date(), "D")
            countries = [c for c in countries if np.datetime64(index[c][1], "D") <= day]
        if not countries:
            return np.zeros(0, dtype=np.int64)
        keep = np.ones(sum(index[c][0] for c in index), dtype=bool)
        if selection.countries is not None or cutoff is not None:
            code, names, published = self.keys()
            if selection.countries is not None:
                keep &= np.isin(code, np.flatnonzero(np.isin(names, list(countries))))
            if cutoff is not None:
                keep &= published <= np.datetime64(cutoff.date(), "D")
        if selection.ids is not None:
            keep &= pd.Series(self.ids()).isin(selection.ids).to_numpy()
        return np.flatnonzero(keep)


@dataclass(frozen=True)
class Selection:
    countries: frozenset[str] | None = None
    published_by: pd.Timestamp | None = None
    ids: frozenset[str] | None = None


class _Shared:
    """What every narrowed view of one load shares: batches, sources, the report events and
    the matches, worked out once."""

    def __init__(self, batches: list[EventBatch], sources: pd.DataFrame, events: pd.DataFrame):
        self.batches = batches
        self.sources = sources
        self.events = events  # the evidence's own (CSV) events, before matching
        self._matches: pd.DataFrame | None = None

    def matches(self) -> pd.DataFrame:
        """The matches of the whole evidence, as ``match_incidents`` on everything finds them."""
        if self._matches is None:
            recorded = _recorded_matches(self.batches, self.sources, self.events)
            if recorded is not None:
                own = find_matches(self.events, self.sources)
                self._matches = pd.concat([own, recorded], ignore_index=True)
            else:
                self._matches = find_matches(
                    pd.concat([self.events, *self._candidates()], ignore_index=True), self.sources
                )
        return self._matches

    def _candidates(self) -> list[pd.DataFrame]:
        """Batch rows that could match a report row: in a report country, of a kind a report
        kind may be described by (the filter ``find_matches`` applies first)."""
        from fragwatch.evidence.parquet import read_events_parquet

        reports = _report_rows(self.events, self.sources)
        countries = set(reports["country"])
        kinds = compatible_kinds()
        wanted = set(kinds[kinds["report_kind"].isin(set(reports["kind"]))]["imported_kind"])
        parts = []
        for batch in self.batches:
            rows = batch.rows(Selection(countries=frozenset(countries)))
            if len(rows):
                frame = read_events_parquet(batch.path, self.sources, with_text=False, rows=rows)
                parts.append(frame[frame["kind"].isin(wanted)])
        return parts


@dataclass(frozen=True)
class ImportedEvents:
    """Imported batches and the rows of them a view of the evidence holds (not yet read)."""

    shared: _Shared
    selection: Selection = Selection()

    @classmethod
    def of(cls, paths: list[Path], sources: pd.DataFrame, events: pd.DataFrame) -> ImportedEvents:
        return cls(_Shared([EventBatch(p) for p in paths], sources, events))

    def narrow(
        self,
        *,
        countries: list[str] | None = None,
        published_by: pd.Timestamp | None = None,
        ids: list[str] | None = None,
    ) -> ImportedEvents:
        s = self.selection
        if countries is not None:
            wanted = frozenset(countries)
            s = replace(s, countries=wanted if s.countries is None else s.countries & wanted)
        if published_by is not None:
            cutoff = pd.Timestamp(published_by)
            s = replace(s, published_by=min(cutoff, s.published_by or cutoff))
        if ids is not None:
            wanted = frozenset(ids)
            s = replace(s, ids=wanted if s.ids is None else s.ids & wanted)
        return ImportedEvents(self.shared, s)

    def countries(self) -> set[str]:
        """Countries with at least one row in the selection (from the index: nothing read)."""
        found: set[str] = set()
        s = self.selection
        for batch in self.shared.batches:
            index = batch.index()
            names = index if s.countries is None else s.countries & set(index)
            if s.published_by is not None:
                day = np.datetime64(s.published_by.date(), "D")
                names = {c for c in names if np.datetime64(index[c][1], "D") <= day}
            if s.ids is not None:
                code, countries, _ = batch.keys()
                names = set(countries[np.unique(code[batch.rows(s)])])
            found |= set(names)
        return found

    def from_data_sets_only(self) -> bool:
        """Whether every source the batches' rows cite is of kind 'dataset' (as an import
        writes it), so that none of their rows is a report's."""
        kinds = self.shared.sources["kind"]
        cited = set().union(*(batch.source_ids() for batch in self.shared.batches))
        return all(kinds.get(source) == "dataset" for source in cited)

    def first_published(self) -> list[pd.Timestamp]:
        """The first publication date of each batch's selected rows (from the index when only
        countries narrow the selection; else from the rows' key columns)."""
        found = []
        for batch in self.shared.batches:
            s = self.selection
            if s.published_by is None and s.ids is None:
                index = batch.index()
                names = index if s.countries is None else s.countries & set(index)
                if names:
                    found.append(pd.Timestamp(min(index[c][1] for c in names)))
                continue
            rows = batch.rows(s)
            if len(rows):
                found.append(pd.Timestamp(batch.keys()[2][rows].min()))
        return found

    def digest_parts(self) -> list[bytes]:
        """What the evidence digest takes for the selected rows, one part per batch that has
        any: the SHA-256 of the batch's file and of the positions of the rows (the bytes of a
        file fix the rows at each position, their validation and matching). Sorted, so the
        order of the batches does not matter; no row is read, only the key columns."""
        parts = []
        for batch in self.shared.batches:
            rows = batch.rows(self.selection)
            if len(rows):
                at = hashlib.sha256(np.asarray(rows, dtype="<i8").tobytes()).digest()
                parts.append(batch.sha256() + at)
        return sorted(parts)

    def origin_prefixes(self) -> tuple[str, ...]:
        """How the origin of a batch's row begins (``read_events_parquet``: file, colon, row)."""
        return tuple(f"{batch.path}:" for batch in self.shared.batches)

    def merged(self, events: pd.DataFrame, *, with_text: bool = True) -> pd.DataFrame:
        """``events`` (the evidence's own, matched) followed by the selected imported rows
        (``with_text=False``: their description, quote and note left empty, not read)."""
        parts = self.read(with_text=with_text)
        if not parts:
            return events
        from fragwatch.errors import EvidenceError
        from fragwatch.evidence.files import _same_dtypes

        seen = set(events.index)
        for part in parts:
            clash = part.index.isin(list(seen))
            if clash.any():
                row = part.iloc[int(clash.argmax())]
                raise EvidenceError(
                    f"id '{row.name}' is already defined in another file", where=row["origin"]
                )
            seen.update(part.index)
        return pd.concat(_same_dtypes([events, *parts]))

    def read(self, *, with_text: bool = True) -> list[pd.DataFrame]:
        """The selected rows of each batch (validated, matched), batch by batch; none if empty."""
        from fragwatch.evidence.parquet import read_events_parquet

        parts = []
        for batch in self.shared.batches:
            rows = batch.rows(self.selection)
            if len(rows):
                frame = read_events_parquet(
                    batch.path, self.shared.sources, with_text=with_text, rows=rows
                )
                parts.append(apply_matches(frame, self.shared.matches()))
        return parts


# --- recorded at import ------------------------------------------------------------------------


def index_of(code: np.ndarray, names: np.ndarray, published: np.ndarray) -> dict:
    """{country: [rows, first published]} of a batch's key columns."""
    found = {}
    order = np.lexsort((published, code))
    code, published = code[order], published[order]
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else []
    sizes = np.diff(np.r_[first, len(code)]) if len(code) else []
    for start, size in zip(first, sizes, strict=True):
        if code[start] >= 0:
            found[str(names[code[start]])] = [int(size), str(published[start])]
    return found


def record_batch(folder: Path, matches: pd.DataFrame | None, reports: pd.DataFrame | None) -> None:
    """Write the batch's index, and its matches (``find_matches`` output) against the report
    rows ``reports`` (those the import matched it against), beside its events.parquet."""
    from fragwatch.evidence.library import EVENTS_PARQUET

    batch = EventBatch(folder / EVENTS_PARQUET)
    stamp = _stamp(batch.path)
    index = index_of(*batch.keys())
    record = {"version": RECORD_VERSION, "file": stamp, "countries": index}
    record["sha256"] = _file_sha256(batch.path).hex()
    (folder / INDEX).write_text(json.dumps(record) + "\n", "utf-8")
    if matches is not None and reports is not None:
        _write_matches(folder, matches[MATCH_COLUMNS], _fingerprint(reports), stamp)


def _write_matches(folder: Path, matches: pd.DataFrame, fingerprint: str, stamp: list) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({c: pa.array(matches[c].astype(str).tolist(), pa.string()) for c in matches})
    meta = {"version": RECORD_VERSION, "reports": fingerprint, "file": stamp}
    table = table.replace_schema_metadata({"fragwatch": json.dumps(meta)})
    pq.write_table(table, folder / MATCHES)


def _recorded_matches(
    batches: list[EventBatch], sources: pd.DataFrame, events: pd.DataFrame
) -> pd.DataFrame | None:
    """The batches' recorded matches, if they are what matching everything would give now:
    recorded against these report events, for these files, and no two batches (nor a batch
    and a CSV event) from one publisher competing for the same report incident."""
    import pyarrow.parquet as pq

    publishers = [_publisher(b, sources) for b in batches]
    dataset_rows = events["source_id"].map(sources["kind"]).to_numpy(dtype=object) == "dataset"
    own = set(events.loc[dataset_rows, "source_id"].map(sources["publisher"]))
    if None in publishers or len(set(publishers)) < len(publishers) or own & set(publishers):
        return None
    fingerprint = _fingerprint(_report_rows(events, sources))
    parts = []
    for batch in batches:
        try:
            table = pq.read_table(batch.folder / MATCHES)
            meta = json.loads(table.schema.metadata[b"fragwatch"])
        except (OSError, ValueError, KeyError, TypeError, ImportError):
            return None
        if meta != {"version": RECORD_VERSION, "reports": fingerprint, "file": _stamp(batch.path)}:
            return None
        parts.append(table.to_pandas().astype(object))
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in MATCH_COLUMNS})
    return pd.concat([empty, *parts], ignore_index=True)


def _publisher(batch: EventBatch, sources: pd.DataFrame) -> str | None:
    """The publisher of the batch's source (one source per imported batch)."""
    ids = batch.folder / "sources.csv"
    try:
        import csv

        with ids.open(encoding="utf-8", newline="") as handle:
            own = [row["source_id"] for row in csv.DictReader(handle)]
    except (OSError, KeyError, UnicodeDecodeError):
        return None
    if len(own) != 1 or own[0] not in sources.index:
        return None
    return str(sources.at[own[0], "publisher"])


def _report_rows(events: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    kind = events["source_id"].map(sources["kind"]).to_numpy(dtype=object)
    return events[kind != "dataset"]


def _fingerprint(reports: pd.DataFrame) -> str:
    """A hash of what the matching reads of the report events, and of the kinds table."""
    columns = ["event_id", "country", "kind", "date_start", "date_end", "fatalities"]
    rows = reports[[*columns, "incident_id"]].reset_index(drop=True).sort_values("event_id")
    text = rows.astype(str).to_csv(index=False) + compatible_kinds().to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _stamp(path: Path) -> list:
    """The file as recorded: its size and modification time (a replaced file differs)."""
    try:
        info = path.stat()
    except OSError:
        return []
    return [info.st_size, info.st_mtime_ns]


def _file_sha256(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def _read_json(path: Path) -> dict:
    try:
        found = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
