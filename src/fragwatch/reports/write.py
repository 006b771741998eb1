"""The report on disk: report.html with its charts beside it, referenced by file name."""

from __future__ import annotations

import os
from pathlib import Path

from fragwatch.atomicfile import write_atomically
from fragwatch.errors import UsageError
from fragwatch.reports.build import Report

HTML_NAME = "report.html"


def check_folder(folder: Path, where: str = "--out") -> None:
    """Fail early, with nothing written, when ``folder`` cannot be the report's folder."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file, not a folder", where=where)
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"cannot create {folder}: {existing} is a file", where=where)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write to {existing}: permission denied", where=where)


def write_report(report: Report, folder: Path, where: str = "--out") -> Path:
    """Write the charts, then the HTML (so the HTML never points at a missing image).

    Each file is written whole or not at all; returns the HTML file's path.
    """
    check_folder(folder, where)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {folder}: {exc.strerror or exc}", where=where) from None
    for chart in report.charts:
        write_atomically(folder / chart.filename, lambda p, c=chart: p.write_bytes(c.png),
                         UsageError, where)  # fmt: skip
    html = report.html(lambda c: c.filename)
    target = folder / HTML_NAME
    write_atomically(target, lambda p: p.write_text(html, encoding="utf-8"), UsageError, where)
    return target
