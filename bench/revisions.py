"""Another git revision's source, for a benchmark that runs the old code beside the new one in
the same alternation (``--against REV``): ratios then compare like with like on a busy machine."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def source_of(revision: str) -> Path:
    """The ``src`` folder of a git revision, unpacked into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="fragwatch-src-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    archive = subprocess.run(
        ["git", "archive", revision, "src"], cwd=REPO, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"
