"""Write one import into the evidence library whole, or not at all, and only once.

A batch is a subfolder of the library named after the data set, the file and its content hash,
so importing the same file again finds the same folder. ``batch.json`` in it records a
fingerprint of what was imported (file hash, loader version, options): the same fingerprint
means nothing to do; a different one (other options) replaces the batch. The new batch is
written into a hidden temporary folder beside it and renamed into place, so a failure at any
point, or an interrupted import, leaves the library as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fragwatch.errors import EvidenceError

MANIFEST = "batch.json"
# Bump when a loader's output changes, so re-importing a file rewrites its batch.
LOADER_VERSION = 1


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def batch_name(dataset: str, path: Path, sha256: str) -> str:
    """'acled-export_2025-3f2a9c1b7d', safe as a folder name and an id prefix."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._-")[:40] or "file"
    return f"{dataset}-{stem}-{sha256[:10]}"


def fingerprint(sha256: str, options: dict[str, object]) -> str:
    text = json.dumps({"sha256": sha256, "loader": LOADER_VERSION, **options}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class BatchResult:
    folder: Path
    status: str  # "created", "replaced" or "unchanged"
    manifest: dict


def existing(library: Path, name: str, wanted: str) -> BatchResult | None:
    """The batch already in the library with this fingerprint, if any."""
    folder = library / name
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("fingerprint") != wanted:
        return None
    return BatchResult(folder, "unchanged", manifest)


def write_batch(
    library: Path, name: str, manifest: dict, fill: Callable[[Path], dict]
) -> BatchResult:
    """Create ``library/name`` from ``fill(temporary folder)`` atomically.

    ``fill`` writes the evidence files and returns what to add to the manifest (counts). Any
    exception it raises propagates after the temporary folder is removed.
    """
    folder = library / name
    # The folders this import creates: removed again if it fails, so no empty library is left.
    created = [p for p in (library, *library.parents) if not p.exists()]
    try:
        library.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EvidenceError(
            f"cannot create the evidence library: {exc.strerror}", where=str(library)
        ) from None
    # Hidden (the library skips dot folders); a leftover of a killed import is cleared here.
    partial = library / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        manifest = {**manifest, **fill(partial)}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        status = "created"
        if folder.exists():
            old = library / f".{name}.old-{os.getpid()}"
            folder.rename(old)
            partial.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
            status = "replaced"
        else:
            partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        for made in created:  # innermost first; rmdir leaves a folder that is not empty
            try:
                made.rmdir()
            except OSError:
                break
        raise
    return BatchResult(folder, status, manifest)
