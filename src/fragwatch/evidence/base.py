"""The Evidence container: three validated tables and point-in-time views of them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd

from fragwatch.evidence.digest import LARGE, update_with_rows
from fragwatch.evidence.schema import EVENT_COLUMNS, OBSERVATION_COLUMNS, SOURCE_COLUMNS


@dataclass(frozen=True)
class Evidence:
    """Validated sources, observations and events.

    ``observations`` carries parsed columns ``point``, ``period_start``, ``period_end`` and
    ``published`` (datetime); ``events`` carries ``date_start``, ``date_end`` and ``published``.
    ``texts`` maps a source id to the text its quotes must appear in (when the text is known).
    """

    sources: pd.DataFrame
    observations: pd.DataFrame
    events: pd.DataFrame
    texts: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # Work derived from these tables and kept with them (e.g. the rows of each quantity as
    # arrays, the view for a set of countries): every indicator of a run reads the same.
    # Not an init field: dataclasses.replace(evidence, ...) starts with an empty memo rather
    # than sharing one derived from other tables.
    memo: dict = field(default_factory=dict, compare=False, repr=False, init=False)

    def known_by(self, as_of: pd.Timestamp | str) -> Evidence:
        """Only what had been published by ``as_of`` (inclusive): no look-ahead."""
        cutoff = pd.Timestamp(as_of)
        # A data set's rows carry their own dates (a release also brings figures that were
        # first published years before it; see evidence.opendata), so its source stays.
        return Evidence(
            sources=_rows(
                self.sources,
                (self.sources["published"] <= cutoff) | (self.sources["kind"] == "dataset"),
            ),
            observations=_rows(self.observations, self.observations["published"] <= cutoff),
            events=_rows(self.events, self.events["published"] <= cutoff),
            texts=self.texts,
        )

    @property
    def countries(self) -> list[str]:
        found = pd.concat([self.observations["country"], self.events["country"]])
        return sorted(found.unique().tolist())

    def for_countries(self, countries: list[str]) -> Evidence:
        """The rows of these countries (the same object for the same countries, so that what
        one indicator derives from it, the next one reuses)."""
        key = ("for_countries", frozenset(countries))
        if key not in self.memo:
            self.memo[key] = Evidence(
                sources=self.sources,
                observations=self.observations[self.observations["country"].isin(countries)],
                events=self.events[self.events["country"].isin(countries)],
                texts=self.texts,
            )
        return self.memo[key]

    def digest(self) -> str:
        """A content hash of the evidence as its files give it, stable under row order."""
        hasher = hashlib.sha256()
        for table, columns in (
            (self.sources, SOURCE_COLUMNS),
            (self.observations, OBSERVATION_COLUMNS),
            (self.events, EVENT_COLUMNS),
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
        return hasher.hexdigest()

    def citations(self, ids: list[str]) -> pd.DataFrame:
        """Rows of evidence (observations or events) with their quote and source, by id."""
        obs = self.observations.reindex([i for i in ids if i in self.observations.index])
        obs = obs.assign(id=obs["obs_id"], what=obs["quantity"] + " " + obs["period"])
        ev = self.events.reindex([i for i in ids if i in self.events.index])
        ev = ev.assign(id=ev["event_id"], what=ev["kind"] + " " + ev["date"])
        obs = obs.assign(kind="observation", fatalities=float("nan"))
        ev = ev.assign(kind="event", value=float("nan"), unit="", period=ev["date"])
        columns = ["id", "what", "quote", "source_id", "published", "kind", "value", "unit",
                   "period", "fatalities"]  # fmt: skip
        rows = pd.concat([obs[columns], ev[columns]])
        src = self.sources[["title", "publisher", "url"]].rename(columns={"title": "source_title"})
        # How a person cites a data set's release ("World Bank WDI, 2026 release"); reports
        # are cited by their title.
        src["citation"] = (
            self.sources["citation"].fillna("")
            if "citation" in self.sources
            else pd.Series("", index=src.index, dtype=object)
        )
        return rows.join(src, on="source_id").reset_index(drop=True)


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
