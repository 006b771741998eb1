"""The local evidence library: evidence a user added or imported, layered on the embedded base.

Each import or accepted batch of candidates is written to its own subfolder of the library
(``var/evidence/<name>/`` by default), in the ordinary evidence format, so adding evidence never
rewrites what is there and removing a batch is deleting a folder. Every command that assesses
loads the embedded base, then the library's subfolders in name order, then ``--evidence`` paths.
"""

from __future__ import annotations

import os
from pathlib import Path

LIBRARY_ENV = "FRAGWATCH_EVIDENCE_DIR"
DEFAULT_LIBRARY = Path("var") / "evidence"
EVENTS_PARQUET = "events.parquet"  # an imported event data set (see evidence.parquet)
TABLE_FILES = ("sources.csv", "observations.csv", "events.csv", EVENTS_PARQUET)


def library_dir() -> Path:
    """The library folder: $FRAGWATCH_EVIDENCE_DIR, else var/evidence under the working folder."""
    return Path(os.environ.get(LIBRARY_ENV) or DEFAULT_LIBRARY)


def library_folders(root: Path | None = None) -> list[Path]:
    """The library's evidence subfolders in name order (none if the library does not exist)."""
    root = library_dir() if root is None else root
    if not root.is_dir():
        return []
    # Dot folders are imports still being written (or left by a killed one): never loaded.
    return sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and any((p / t).is_file() for t in TABLE_FILES)
    )
