"""Measure the extraction rules against a curated evidence base: recall and precision.

Every source with a stored text (reports and news, not datasets) is extracted again from that
text with its own publication date, and its candidates are matched one to one with the curated
rows citing it. A candidate matches a curated row of the same source, country and quantity (or
event kind) when the two periods (or dates) lie one within the other and, for observations,
value, low and high agree within 2% (a bound must be found as a bound, a range as a range).
"Exact" counts matches whose period is the same string as the curated one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import pandas as pd

from fragwatch.evidence.base import Evidence
from fragwatch.evidence.extract.candidates import Candidate, extract_candidates, guess_country
from fragwatch.evidence.extract.learned import QuantityModel
from fragwatch.evidence.extract.times import nested
from fragwatch.evidence.extract.vocabulary import Vocabulary
from fragwatch.evidence.units import UNITS

TOLERANCE = 0.02


@dataclass(frozen=True)
class Item:
    """A curated row or a candidate, reduced to what matching compares."""

    record: str
    source_id: str
    country: str
    what: str
    when: str
    value: float | None
    low: float | None
    high: float | None
    label: str  # id of a curated row, or the candidate's figure and quote


@dataclass
class Evaluation:
    curated: list[Item]
    found: list[Item]
    pairs: list[tuple[Item, Item]] = field(default_factory=list)  # (curated, candidate)

    def table(self, record: str) -> pd.DataFrame:
        """Per quantity (or event kind): curated, found, matched, exact, recall, precision."""
        names = sorted({i.what for i in self.curated + self.found if i.record == record})
        rows = []
        for name in names:
            rows.append(self._row(name, lambda i, n=name: i.what == n, record))
        return pd.DataFrame(rows, columns=_COLUMNS).set_index("name")

    def total(self, record: str, names: set[str], label: str) -> pd.Series:
        return pd.Series(self._row(label, lambda i: i.what in names, record), index=_COLUMNS)

    def _row(self, name: str, keep, record: str) -> list:
        curated = sum(1 for i in self.curated if i.record == record and keep(i))
        found = sum(1 for i in self.found if i.record == record and keep(i))
        pairs = [(c, f) for c, f in self.pairs if c.record == record and keep(c)]
        matched = len(pairs)
        exact = sum(1 for c, f in pairs if c.when == f.when)
        recall = matched / curated if curated else math.nan
        precision = matched / found if found else math.nan
        return [name, curated, found, matched, exact, recall, precision]

    def misses(self, record: str) -> list[Item]:
        matched = {id(c) for c, _ in self.pairs}
        return [i for i in self.curated if i.record == record and id(i) not in matched]

    def unmatched(self, record: str) -> list[Item]:
        matched = {id(f) for _, f in self.pairs}
        return [i for i in self.found if i.record == record and id(i) not in matched]


_COLUMNS = ["name", "curated", "found", "matched", "exact", "recall", "precision"]


def _num(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b), 1e-9)


def _matches(curated: Item, found: Item) -> bool:
    if (curated.record, curated.source_id, curated.country, curated.what) != (
        found.record,
        found.source_id,
        found.country,
        found.what,
    ):
        return False
    if not nested(curated.when, found.when):
        return False
    return all(
        _close(a, b)
        for a, b in (
            (curated.value, found.value),
            (curated.low, found.low),
            (curated.high, found.high),
        )
    )


def _candidate_item(c: Candidate, source_id: str) -> Item:
    # Candidates carry canonical units already (kg, percent, USD); counts need no factor.
    factor = UNITS.get(c.unit.lower(), (c.unit, 1.0))[1] if c.unit else 1.0
    scaled = [None if v is None else v * factor for v in (c.value, c.low, c.high)]
    label = f"{c.when} {c.quote[:80].rstrip()}"
    return Item(c.record, source_id, c.country, c.what, c.when, *scaled, label)


def text_sources(evidence: Evidence) -> pd.DataFrame:
    """The sources whose text is stored and that are reports or news, not datasets."""
    sources = evidence.sources
    return sources[(sources["kind"] != "dataset") & sources.index.isin(list(evidence.texts))]


def evaluate(
    evidence: Evidence, vocabulary: Vocabulary, model: QuantityModel | None = None
) -> Evaluation:
    """Extract every text source of ``evidence`` again and match with its curated rows
    (``model``: with the context model, see ``learned``)."""
    sources = text_sources(evidence)
    curated: list[Item] = []
    obs = evidence.observations[evidence.observations["source_id"].isin(sources.index)]
    for row in obs.itertuples(index=False):
        curated.append(
            Item(
                "observation",
                row.source_id,
                row.country,
                row.quantity,
                row.period,
                _num(row.value),
                _num(row.low),
                _num(row.high),
                row.obs_id,
            )
        )
    ev = evidence.events[evidence.events["source_id"].isin(sources.index)]
    for row in ev.itertuples(index=False):
        item = Item("event", row.source_id, row.country, row.kind, row.date, None, None, None, "")
        curated.append(replace(item, label=row.event_id))
    found: list[Item] = []
    for source_id, row in sources.iterrows():
        text = evidence.texts[source_id]
        country = guess_country(text, vocabulary) or ""
        published = row["published"].date()
        for c in extract_candidates(
            text, published=published, country=country, vocabulary=vocabulary, model=model
        ):
            # The curated base records the report's country only: a neighbour's figure the
            # extractor files under the neighbour is neither a match nor a false candidate.
            if c.country == country:
                found.append(_candidate_item(c, str(source_id)))

    result = Evaluation(curated, found)
    taken: set[int] = set()
    # Exact periods first, so a coarse candidate does not take a row a precise one matches.
    for exact_first in (True, False):
        for item in curated:
            if any(item is c for c, _ in result.pairs):
                continue
            for n, candidate in enumerate(found):
                if n in taken or not _matches(item, candidate):
                    continue
                if exact_first and candidate.when != item.when:
                    continue
                taken.add(n)
                result.pairs.append((item, candidate))
                break
    return result


def format_report(
    result: Evaluation, quantities: set[str], kinds: set[str], *, details: bool = True
) -> str:
    """The evaluation as text: one table for observations, one for events, then the misses."""
    lines: list[str] = []
    for record, title, names, group in (
        ("observation", "quantity", quantities, "numeric quantities the indicators use"),
        ("event", "event kind", kinds, "event kinds the indicators use"),
    ):
        table = result.table(record)
        marked = table.rename(index=lambda n, s=names: f"{n}{' *' if n in s else ''}")
        total = result.total(record, names, f"= {group}")
        other = result.total(
            record, {i.what for i in result.curated + result.found} - names, "= other"
        )
        sums = [s.to_frame().T.set_index("name") for s in (total, other)]
        shown = pd.concat([marked, *sums])
        shown.index.name = title
        lines.append(_render(shown))
        lines.append("")
    lines.append("* used by an indicator; recall = matched/curated, precision = matched/found")
    if details:
        for record in ("observation", "event"):
            lines.append("")
            lines.append(f"missed {record}s (curated, not found):")
            misses = [f"  {i.label} ({i.what} {i.when})" for i in result.misses(record)]
            lines += misses or ["  none"]
            lines.append(f"unmatched {record} candidates (found, not curated):")
            lines += [
                f"  {i.source_id}: {i.what} {_figure(i)}{i.label}" for i in result.unmatched(record)
            ] or ["  none"]
    return "\n".join(line.rstrip() for line in lines)


def _figure(item: Item) -> str:
    if item.record == "event":
        return ""
    parts = []
    if item.value is not None:
        parts.append(f"{item.value:g}")
    if item.low is not None or item.high is not None:
        low = "" if item.low is None else f"{item.low:g}"
        high = "" if item.high is None else f"{item.high:g}"
        parts.append(f"[{low}..{high}]")
    return " ".join(parts) + " "


def _render(table: pd.DataFrame) -> str:
    out = table.copy()
    for col in ("recall", "precision"):
        out[col] = [("-" if pd.isna(v) else f"{float(v):.2f}") for v in out[col]]
    for col in ("curated", "found", "matched", "exact"):
        out[col] = out[col].astype(int)
    return out.to_string()
