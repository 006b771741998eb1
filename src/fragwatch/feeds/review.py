"""The review queue's operations: list, show, edit, accept, reject.

One implementation for ``fragwatch review`` and the web desk. Accepting writes the chosen
candidates as a candidates file with its sources folder and adds them with ``evidence add``'s
own code (``extract.accept``), so the checks are exactly those of ``evidence add``; a candidate
changes status only once that succeeded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fragwatch.errors import EvidenceError, UsageError
from fragwatch.evidence.base import Evidence
from fragwatch.feeds.library import Library

# What an analyst may correct; the rest (id, source, quote, offsets) is what the report says.
EDITABLE = ("country", "period", "value", "low", "high", "unit", "date", "fatalities", "note")


@dataclass
class ReviewQueue:
    """The queue in ``library``; accepted candidates go to the evidence library ``target``."""

    library: Library
    evidence: Callable[[], Evidence]  # the evidence as every command loads it, read afresh
    target: Path
    layered: list[Path]
    include_default: bool = True

    def rows(self, *, show_all: bool = False) -> list[dict[str, str]]:
        """Candidates waiting for review (with ``show_all`` also the decided), surest first."""
        shown = [r for r in self.library.queue() if show_all or r["status"] == "pending"]
        shown.sort(key=lambda r: -float(r.get("confidence") or 0))
        return shown

    def find(self, cid: str, where: str = "CANDIDATE") -> dict[str, str]:
        return _find(self.library.queue(), cid, where)

    def source(self, cid: str) -> dict[str, str]:
        """The report a candidate was read from (its listing row), '' fields when missing."""
        source_id = self.find(cid)["source_id"]
        for row in self.library.reports():
            if row["report_id"] == source_id:
                return row
        return {"report_id": source_id, "title": "", "publisher": "", "published": "", "url": ""}

    def edit(self, cid: str, changes: dict[str, str], where: str = "FIELD=VALUE") -> None:
        """Set fields of a pending candidate; they are checked when it is accepted."""
        rows = self.library.queue()
        row = _find(rows, cid, "CANDIDATE")
        if row["status"] != "pending":
            raise EvidenceError(f"'{cid}' is already {row['status']}", where="CANDIDATE")
        for name in changes:
            if name not in EDITABLE:
                raise UsageError(
                    f"'{name}' cannot be edited; editable: {', '.join(EDITABLE)}", where=where
                )
        row.update(changes)
        self.library.save_queue(rows)

    def accept(self, ids: list[str], now: datetime) -> None:
        """Add the candidates to the evidence library (the checks of ``evidence add``)."""
        self._decide(ids, "accepted", now)

    def reject(self, ids: list[str]) -> None:
        """Mark candidates wrong; they stay in the queue as rejected."""
        self._decide(ids, "rejected", None)

    def _decide(self, ids: list[str], status: str, now: datetime | None) -> None:
        rows = self.library.queue()
        chosen = [_find(rows, cid, "CANDIDATE") for cid in ids]
        for row in chosen:
            if row["status"] != "pending":
                raise EvidenceError(f"'{row['id']}' is already {row['status']}", where="CANDIDATE")
        if status == "accepted":
            self._add(chosen, now or datetime.now())
        for row in chosen:
            row["status"] = status
        self.library.save_queue(rows)

    def _add(self, chosen: list[dict[str, str]], now: datetime) -> None:
        from fragwatch.evidence.extract.accept import accept
        from fragwatch.evidence.extract.review import (
            CANDIDATE_COLUMNS,
            _csv,
            sources_folder,
            write_sources_folder,
        )

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "accepted.csv"
            ids = dict.fromkeys(r["source_id"] for r in chosen)
            write_sources_folder(sources_folder(path), [self.library.source(i) for i in ids])
            rows = [{k: r.get(k, "") for k in CANDIDATE_COLUMNS} for r in chosen]
            path.write_text(_csv(rows, CANDIDATE_COLUMNS, safe=True), "utf-8")
            accept(
                path,
                self.evidence(),
                self.target,
                self.layered,
                include_default=self.include_default,
                now=now,
            )


def _find(rows: list[dict[str, str]], cid: str, where: str) -> dict[str, str]:
    for row in rows:
        if row["id"] == cid:
            return row
    raise EvidenceError(f"no candidate '{cid}' in the review queue", where=where)
