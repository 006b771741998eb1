"""The Evidence container: three validated tables and point-in-time views of them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from fragwatch.evidence.digest import LARGE, update_with_rows
from fragwatch.evidence.schema import EVENT_COLUMNS, OBSERVATION_COLUMNS, SOURCE_COLUMNS

if TYPE_CHECKING:
    from fragwatch.evidence.store import ImportedEvents

# Between the evidence's own tables and the parts of its known imported rows in the digest.
BATCHES_MARK = b"\x1cimported batches\x1d"


class _Events:
    """The ``events`` field: the evidence's own rows, followed by the imported rows of its
    selection, read on first use (see ``evidence.store``) and kept."""

    def __get__(self, obj, owner=None) -> pd.DataFrame:
        if obj is None:
            raise AttributeError("events")  # no default: the field is required
        found = obj.__dict__.get("_events_all")
        if found is None:
            own, imported = obj.__dict__["_events_own"], obj.__dict__.get("imported")
            found = own if imported is None else imported.merged(own)
            obj.__dict__["_events_all"] = found
        return found

    def __set__(self, obj, value: pd.DataFrame) -> None:
        obj.__dict__["_events_own"] = value
        obj.__dict__.pop("_events_all", None)


@dataclass(frozen=True)
class Evidence:
    """Validated sources, observations and events.

    ``observations`` carries parsed columns ``point``, ``period_start``, ``period_end`` and
    ``published`` (datetime); ``events`` carries ``date_start``, ``date_end`` and ``published``.
    ``texts`` maps a source id to the text its quotes must appear in (when the text is known).
    ``imported``: event batches not read yet (see ``evidence.store``); ``events`` includes
    their rows, read when first asked for. ``known_by`` and ``for_countries`` narrow what
    will be read, so a view of a few countries or an early date reads little or nothing.
    """

    sources: pd.DataFrame
    observations: pd.DataFrame
    events: pd.DataFrame = _Events()  # type: ignore[assignment]
    texts: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # Work derived from these tables and kept with them (e.g. the rows of each quantity as
    # arrays, the view for a set of countries): every indicator of a run reads the same.
    # Not an init field: dataclasses.replace(evidence, ...) starts with an empty memo rather
    # than sharing one derived from other tables.
    memo: dict = field(default_factory=dict, compare=False, repr=False, init=False)
    imported: ImportedEvents | None = field(default=None, init=False, compare=False, repr=False)
    # The batches this view's events draw on, with its selection, whether read yet or not:
    # what the digest identifies the imported rows by (``imported`` is dropped once read).
    batches: ImportedEvents | None = field(default=None, init=False, compare=False, repr=False)

    def _with(
        self, imported: ImportedEvents | None, batches: ImportedEvents | None = None
    ) -> Evidence:
        object.__setattr__(self, "imported", imported)
        object.__setattr__(self, "batches", imported if batches is None else batches)
        return self

    def _batches_narrowed(self, **selection) -> ImportedEvents | None:
        return None if self.batches is None else self.batches.narrow(**selection)

    def _own_events(self) -> pd.DataFrame:
        """The events held in memory: all of them once read, else the evidence's own."""
        return self.__dict__.get("_events_all", self.__dict__["_events_own"])

    def _narrowed(self, **selection) -> ImportedEvents | None:
        if self.imported is None or "_events_all" in self.__dict__:
            return None
        return self.imported.narrow(**selection)

    def known_by(self, as_of: pd.Timestamp | str) -> Evidence:
        """Only what had been published by ``as_of`` (inclusive): no look-ahead."""
        cutoff = pd.Timestamp(as_of)
        # A data set's rows carry their own dates (a release also brings figures that were
        # first published years before it; see evidence.opendata), so its source stays.
        events = self._own_events()
        return Evidence(
            sources=_rows(
                self.sources,
                (self.sources["published"] <= cutoff) | (self.sources["kind"] == "dataset"),
            ),
            observations=_rows(self.observations, self.observations["published"] <= cutoff),
            events=_rows(events, events["published"] <= cutoff),
            texts=self.texts,
        )._with(self._narrowed(published_by=cutoff), self._batches_narrowed(published_by=cutoff))

    def for_grid(self, countries: list[str], last: pd.Timestamp) -> Evidence:
        """What a panel of these countries up to ``last`` can read: the same evidence, with
        only the imported rows of these countries published by then (the others are never
        known to such a panel); without imported batches, the evidence itself."""
        imported = self._narrowed(countries=list(countries), published_by=pd.Timestamp(last))
        if imported is None:
            return self
        own = self._own_events()
        return Evidence(self.sources, self.observations, own, self.texts)._with(imported)

    def counted_events(self) -> pd.DataFrame:
        """The events as indicators count them: imported rows without their description,
        quote and note (most of a batch's bytes), which only the cited rows need and
        ``citations`` reads. Once every event is read, simply the events."""
        imported = self._narrowed()
        if imported is None:
            return self.events
        if "counted_events" not in self.memo:  # every event indicator of a run reads the same
            self.memo["counted_events"] = imported.merged(self._own_events(), with_text=False)
        return self.memo["counted_events"]

    def report_event_sources(self, ids: list[str]) -> pd.Series:
        """The source of each event among ``ids`` that may be a report's: the evidence's own
        events, and imported rows only when a batch cites a source that is not a data set
        (an import's never does), so that usually no imported row is read for this."""
        ids = list(ids)
        imported = self._narrowed(ids=ids)
        if imported is None:
            events = self.events
        elif imported.from_data_sets_only():
            events = self._own_events()
        else:
            events = _ids_view(self, imported).events
        return events["source_id"].reindex(_present(events.index, ids))

    def first_published(self) -> pd.Timestamp | None:
        """When the first figure or event was published (None: no evidence). Imported batches
        answer from their index: no imported row is read."""
        published = pd.concat([self.observations["published"], self._own_events()["published"]])
        dates = [published.min()] if len(published) else []
        imported = self._narrowed()
        if imported is not None:
            dates += imported.first_published()
        return min(dates) if dates else None

    @property
    def countries(self) -> list[str]:
        found = pd.concat([self.observations["country"], self._own_events()["country"]])
        names = set(found.unique().tolist())
        imported = self._narrowed()
        return sorted(names | imported.countries() if imported is not None else names)

    def for_countries(self, countries: list[str]) -> Evidence:
        """The rows of these countries (the same object for the same countries, so that what
        one indicator derives from it, the next one reuses)."""
        key = ("for_countries", frozenset(countries))
        if key not in self.memo:
            events = self._own_events()
            self.memo[key] = Evidence(
                sources=self.sources,
                # Every row (a world ranking) is the table itself, not a copy.
                observations=_rows(self.observations, self.observations["country"].isin(countries)),
                events=_rows(events, events["country"].isin(countries)),
                texts=self.texts,
            )._with(
                self._narrowed(countries=list(countries)),
                self._batches_narrowed(countries=list(countries)),
            )
        return self.memo[key]

    def digest(self) -> str:
        """A content hash of the evidence as its files give it, stable under row order.

        Imported batches are not hashed row by row: the rows of a batch this evidence knows
        are identified by the SHA-256 of the batch's file and the positions of those rows in it
        (``ImportedEvents.digest_parts``), so the digest reads no imported row. Without a known
        imported row the digest is exactly that of the evidence's own tables.
        """
        hasher = hashlib.sha256()
        events = self.events if self.batches is None else self._events_not_imported()
        for table, columns in (
            (self.sources, SOURCE_COLUMNS),
            (self.observations, OBSERVATION_COLUMNS),
            (events, EVENT_COLUMNS),
        ):
            if len(table) >= LARGE:  # imported data sets: the same bytes, column-wise
                update_with_rows(hasher, table, columns)
                hasher.update(b"\x1d")
                continue
            # Each row's cells as text (parsed dates and numbers print the same way every time).
            rows = sorted("\x1f".join(map(str, row)) for row in table[columns].to_numpy(object))
            for row in rows:
                hasher.update(row.encode())
                hasher.update(b"\x1e")
            hasher.update(b"\x1d")
        parts = self.batches.digest_parts() if self.batches is not None else []
        if parts:
            hasher.update(BATCHES_MARK)
            for part in parts:
                hasher.update(part)
        return hasher.hexdigest()

    def _events_not_imported(self) -> pd.DataFrame:
        """The events in memory that are not rows of an imported batch (all of them until the
        batches are read; after, those whose origin is not a batch file)."""
        events = self._own_events()
        prefixes = self.batches.origin_prefixes() if self.batches is not None else ()
        if not prefixes or not len(events):
            return events
        imported = events["origin"].astype(str).str.startswith(prefixes)
        return events if not imported.any() else events[~imported.to_numpy(dtype=bool)]

    def citations(self, ids: list[str]) -> pd.DataFrame:
        """Rows of evidence (observations or events) with their quote and source, by id:
        the cited observations in the order of ``ids``, then the cited events."""
        ids = list(ids)
        obs = self._cited("observations", lambda: _cited_observations(self.observations))
        imported = self._narrowed(ids=ids)  # only the cited rows are read
        if imported is not None:
            ev = _cited_events(_ids_view(self, imported).events)
            rows = pd.concat([_take(obs, ids), _take(ev, ids)])
            return rows.join(self._cited_sources(), on="source_id").reset_index(drop=True)
        # Built once for this evidence (an alert run quotes a few hundred movers, the text
        # and the HTML part of a mail the same ones): every row in the citation layout with
        # its source and each id's position, so that a call is a look-up.
        table, obs_at, ev_at = self._cited("table", lambda: self._cited_table(obs))
        key = ("citations", tuple(ids))
        found = self.memo.get(key)
        if found is None:
            positions = [obs_at[i] for i in ids if i in obs_at]
            positions += [ev_at[i] for i in ids if i in ev_at]
            found = table.take(positions).reset_index(drop=True)
            if len(self.memo) < _MEMO_ROOM:
                self.memo[key] = found
        return found.copy(deep=False)  # copy on write: a caller's change stays its own

    def _cited(self, what: str, build):
        key = ("citations", what)
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]

    def _cited_table(
        self, obs: pd.DataFrame
    ) -> tuple[pd.DataFrame, dict[str, int], dict[str, int]]:
        """Every observation, then every event, in the citation layout with its source
        (concatenated as the rows of one call are, so every column has the same type), and
        the position of each observation's and each event's id."""
        ev = _cited_events(self.events)
        rows = pd.concat([obs, ev]).join(self._cited_sources(), on="source_id")
        for part in (obs, ev):  # as reindexing by id would, refuse an ambiguous id
            if not part.index.is_unique:
                raise ValueError("cannot reindex on an axis with duplicate labels")
        width = len(obs)
        obs_at = dict(zip(obs.index.tolist(), range(width), strict=True))
        ev_at = dict(zip(ev.index.tolist(), range(width, width + len(ev)), strict=True))
        return rows, obs_at, ev_at

    def _cited_sources(self) -> pd.DataFrame:
        src = self.sources[["title", "publisher", "url"]].rename(columns={"title": "source_title"})
        # How a person cites a data set's release ("World Bank WDI, 2026 release"); reports
        # are cited by their title.
        src["citation"] = (
            self.sources["citation"].fillna("")
            if "citation" in self.sources
            else pd.Series("", index=src.index, dtype=object)
        )
        return src


# Results of ``citations`` kept per evidence: a long-running desk asks for many id lists.
_MEMO_ROOM = 4096
_CITED = ["id", "what", "quote", "source_id", "published", "kind", "value", "unit", "period",
          "fatalities"]  # fmt: skip


def _cited_observations(obs: pd.DataFrame) -> pd.DataFrame:
    obs = obs.assign(id=obs["obs_id"], what=obs["quantity"] + " " + obs["period"])
    return obs.assign(kind="observation", fatalities=float("nan"))[_CITED]


def _cited_events(ev: pd.DataFrame) -> pd.DataFrame:
    ev = ev.assign(id=ev["event_id"], what=ev["kind"] + " " + ev["date"])
    return ev.assign(kind="event", value=float("nan"), unit="", period=ev["date"])[_CITED]


def _present(index: pd.Index, ids: list[str]) -> list[str]:
    return [i for i in ids if i in index]


def _take(table: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    return table.reindex(_present(table.index, ids))


def _ids_view(evidence: Evidence, imported: ImportedEvents) -> Evidence:
    return Evidence(
        evidence.sources, evidence.observations, evidence._own_events(), evidence.texts
    )._with(imported)


def _rows(table: pd.DataFrame, keep: pd.Series) -> pd.DataFrame:
    """The rows to keep. All of them (as of today, usually), or a leading run, is a view rather
    than a copy of a large table; pandas copies on write, so the caller still cannot change the
    original."""
    mask = keep.to_numpy(dtype=bool)
    kept = int(mask.sum())
    if kept == len(mask):
        return table
    if mask[:kept].all():
        return table.iloc[:kept]
    return table[keep]
