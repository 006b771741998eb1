"""The local library of fetched reports and the review queue of their candidates.

``<dir>/reports.csv`` lists every stored report with its provenance (title, publisher, date,
URL, the feed it came from, when it was fetched); ``<dir>/texts/<id>.txt`` holds its text as
extracted. A report already stored (same URL) is never stored or queued again, so fetching twice
changes nothing. ``<dir>/queue.csv`` holds the candidates, in the candidates-file columns plus
``status`` (pending, accepted, rejected); cells are formula-safe like every review file.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime
from pathlib import Path

from fragwatch.evidence.extract.review import (
    CANDIDATE_COLUMNS,
    Source,
    formula_safe,
    unescaped,
)
from fragwatch.feeds.model import Report

REPORT_COLUMNS = ["report_id", "title", "publisher", "published", "url", "origin", "fetched"]
QUEUE_COLUMNS = [*CANDIDATE_COLUMNS, "status"]
STATUSES = ("pending", "accepted", "rejected")


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))
    return [{k: unescaped(v or "") for k, v in row.items()} for row in rows]


def _write(path: Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: formula_safe(str(row.get(k, ""))) for k in columns} for row in rows)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(buffer.getvalue(), "utf-8")
    os.replace(partial, path)


class Library:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def reports_file(self) -> Path:
        return self.folder / "reports.csv"

    @property
    def queue_file(self) -> Path:
        return self.folder / "queue.csv"

    def reports(self) -> list[dict[str, str]]:
        return _read(self.reports_file)

    def queue(self) -> list[dict[str, str]]:
        return _read(self.queue_file)

    def text(self, report_id: str) -> str:
        return (self.folder / "texts" / f"{report_id}.txt").read_bytes().decode("utf-8")

    def new(self, reports: list[Report]) -> list[Report]:
        """The reports not stored yet (each URL once)."""
        known = {row["report_id"] for row in self.reports()}
        fresh: dict[str, Report] = {}
        for report in reports:
            if report.report_id not in known:
                fresh.setdefault(report.report_id, report)
        return list(fresh.values())

    def store(self, reports: list[Report], queued: list[dict[str, str]], now: datetime) -> None:
        """Add reports (texts first, then the listing) and their candidates to the queue."""
        (self.folder / "texts").mkdir(parents=True, exist_ok=True)
        for r in reports:
            # Bytes, not text mode: candidate offsets count the text's own line ends.
            (self.folder / "texts" / f"{r.report_id}.txt").write_bytes(r.text.encode("utf-8"))
        rows = self.reports() + [
            {
                "report_id": r.report_id,
                "title": r.title,
                "publisher": r.publisher,
                "published": r.published.isoformat(),
                "url": r.url,
                "origin": r.origin,
                "fetched": now.isoformat(timespec="seconds"),
            }
            for r in reports
        ]
        _write(self.reports_file, rows, REPORT_COLUMNS)
        if queued or not self.queue_file.exists():
            _write(self.queue_file, self.queue() + queued, QUEUE_COLUMNS)

    def save_queue(self, rows: list[dict[str, str]]) -> None:
        _write(self.queue_file, rows, QUEUE_COLUMNS)

    def source(self, report_id: str) -> Source:
        row = next(r for r in self.reports() if r["report_id"] == report_id)
        return Source(
            source_id=report_id,
            title=row["title"],
            publisher=row["publisher"] or "unknown",
            published=date.fromisoformat(row["published"]),
            url=row["url"],
            kind="news",
            text=self.text(report_id),
            note=f"fetched from {row['origin']} on {row['fetched']}",
        )
