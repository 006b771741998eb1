"""Measure extraction on a labelled corpus of real passages (tests/fixtures/extraction_corpus).

Each passage is extracted on its own with its publication date; when its text names no country
for its figures (``country_named`` false) the passage's country is given as ``--country`` would
be. Candidates are matched one to one with the passage's labels:

* an observation matches a label of the same quantity and country whose value, low and high
  agree within 2% (a bound found as a bound), whose unit agrees (any count unit for persons) and
  whose period lies within an acceptable labelled period or contains it;
* an event matches a label of an acceptable kind and the same country whose date nests with an
  acceptable date and, when the label states deaths, whose fatalities are one of them.

``country`` is measured separately: of the candidates that match a label in everything but the
country, in passages that name their countries, the share filed under the right one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from fragwatch.errors import EvidenceError, location
from fragwatch.evidence.extract.candidates import Candidate
from fragwatch.evidence.extract.times import nested

TOLERANCE = 0.02
VIOLENT = ("armed_attack", "suicide_bombing", "armed_clash", "border_clash", "riot")


@dataclass(frozen=True)
class Passage:
    id: str
    part: str
    source: str
    publisher: str
    url: str
    published: date
    country: str
    country_named: bool
    text: str
    labels: tuple[dict, ...]


def load_corpus(path: Path) -> list[Passage]:
    """The passages of a corpus file (JSON lines); a bad line is named with its field."""
    passages = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            passages.append(
                Passage(
                    id=row["id"],
                    part=row.get("part", ""),
                    source=row.get("source", ""),
                    publisher=row.get("publisher", ""),
                    url=row.get("url", ""),
                    published=date.fromisoformat(row["date"]),
                    country=row.get("country", ""),
                    country_named=bool(row.get("country_named", True)),
                    text=row["text"],
                    labels=tuple(row.get("labels", [])),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            where = location(str(path), number)
            raise EvidenceError(f"not a corpus passage ({exc})", where=where) from None
    return passages


def _options(value) -> list:
    return value if isinstance(value, list) else [value]


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b), 1e-9)


def _same_figure(label: dict, c: Candidate) -> bool:
    if c.record != "observation" or c.what not in _options(label["quantity"]):
        return False
    unit = label.get("unit", "")
    if unit in ("kg", "USD", "percent") and c.unit != unit:
        return False
    if not all(
        _close(label.get(k), v) for k, v in (("value", c.value), ("low", c.low), ("high", c.high))
    ):
        return False
    return any(nested(p, c.when) for p in _options(label["period"]))


def _same_event(label: dict, c: Candidate) -> bool:
    if c.record != "event" or c.what not in _options(label["kind"]):
        return False
    if not any(nested(d, c.when) for d in _options(label["date"])):
        return False
    deaths = label.get("deaths")
    if deaths is None:
        return True
    if c.fatalities is None:
        return False
    return any(_close(float(d), c.fatalities) for d in _options(deaths))


def _label_matches(label: dict, c: Candidate, *, country: bool = True) -> bool:
    if country and label["country"] != c.country:
        return False
    if label["record"] == "observation":
        return _same_figure(label, c)
    return _same_event(label, c)


def label_name(label: dict) -> str:
    what = label.get("quantity") if label["record"] == "observation" else label.get("kind")
    return _options(what)[0]


@dataclass
class CorpusResult:
    # (passage id, label) and (passage id, candidate); pairs index into both lists
    labels: list[tuple[str, dict]] = field(default_factory=list)
    found: list[tuple[str, Candidate]] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    country_checked: int = 0
    country_right: int = 0

    def table(self, record: str) -> pd.DataFrame:
        names = sorted(
            {label_name(lab) for _, lab in self.labels if lab["record"] == record}
            | {c.what for _, c in self.found if c.record == record}
        )
        rows = [self._row(n, {n}, record) for n in names]
        rows.append(self._row("= all", set(names), record))
        if record == "event":
            violent = {n for n in names if n in VIOLENT}
            rows.append(self._row("= death tolls", violent, record, deaths_only=True))
        return pd.DataFrame(rows, columns=_COLUMNS).set_index("name")

    def _row(self, name: str, names: set[str], record: str, deaths_only: bool = False) -> list:
        def keep_label(lab: dict) -> bool:
            ok = lab["record"] == record and label_name(lab) in names
            return ok and (not deaths_only or lab.get("deaths") is not None)

        def keep_found(c: Candidate) -> bool:
            ok = c.record == record and c.what in names
            return ok and (not deaths_only or c.fatalities is not None)

        labelled = sum(1 for _, lab in self.labels if keep_label(lab))
        found = sum(1 for _, c in self.found if keep_found(c))
        matched = sum(1 for li, ci in self.pairs if keep_label(self.labels[li][1]))
        matched_found = sum(1 for li, ci in self.pairs if keep_found(self.found[ci][1]))
        recall = matched / labelled if labelled else math.nan
        precision = matched_found / found if found else math.nan
        return [name, labelled, found, matched, recall, precision]

    @property
    def country_accuracy(self) -> float:
        return self.country_right / self.country_checked if self.country_checked else math.nan

    def misses(self) -> list[tuple[str, dict]]:
        taken = {li for li, _ in self.pairs}
        return [item for n, item in enumerate(self.labels) if n not in taken]

    def false(self) -> list[tuple[str, Candidate]]:
        taken = {ci for _, ci in self.pairs}
        return [item for n, item in enumerate(self.found) if n not in taken]


_COLUMNS = ["name", "labelled", "found", "matched", "recall", "precision"]

Extractor = Callable[[Passage], list[Candidate]]


def evaluate_corpus(passages: list[Passage], extract: Extractor) -> CorpusResult:
    """Extract every passage and match its candidates with its labels, one to one."""
    result = CorpusResult()
    for passage in passages:
        found = extract(passage)
        first_label, first_found = len(result.labels), len(result.found)
        result.labels += [(passage.id, lab) for lab in passage.labels]
        result.found += [(passage.id, c) for c in found]
        taken: set[int] = set()
        for li, label in enumerate(passage.labels):
            for ci, c in enumerate(found):
                if ci not in taken and _label_matches(label, c):
                    taken.add(ci)
                    result.pairs.append((first_label + li, first_found + ci))
                    break
        if not passage.country_named:
            continue
        for label in passage.labels:
            near = [c for c in found if _label_matches(label, c, country=False)]
            if near:
                result.country_checked += 1
                result.country_right += any(c.country == label["country"] for c in near)
    return result


def format_corpus_report(result: CorpusResult, *, details: bool = False) -> str:
    lines = []
    for record, title in (("observation", "quantity"), ("event", "event kind")):
        table = result.table(record)
        table.index.name = title
        shown = table.copy()
        for col in ("recall", "precision"):
            shown[col] = [("-" if pd.isna(v) else f"{float(v):.2f}") for v in shown[col]]
        lines += [shown.to_string(), ""]
    lines.append(
        f"country right for {result.country_right} of {result.country_checked} figures found"
        f" in passages that name it: {result.country_accuracy:.2f}"
    )
    if details:
        lines += ["", "missed labels:"]
        lines += [f"  {pid}: {json.dumps(lab, ensure_ascii=False)}" for pid, lab in result.misses()]
        lines += ["", "false candidates:"]
        for pid, c in result.false():
            figure = c.fatalities if c.record == "event" else (c.value, c.low, c.high)
            lines.append(f"  {pid}: {c.what} {c.country} {c.when} {figure} | {c.note}")
    return "\n".join(line.rstrip() for line in lines)
