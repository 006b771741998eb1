"""An uploaded scenario file, run beside the baseline without being kept.

The bytes go to a private temporary folder under the file's own (sanitised) name, so a bad file
gets exactly the one-line located error ``fragwatch scenario check`` gives for it ("NAME.toml:7:
field 'event.0.date': ..."); the folder is removed whatever happens. Nothing is stored: a run
reads the evidence and the model only.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fragwatch.errors import ConfigError

MAX_SCENARIO_BYTES = 64 * 1024  # the shipped files are 1-2 KiB; a bigger one is no scenario
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.toml")


class UploadRefused(Exception):
    """A file that cannot be run: the HTTP status and the one-line reason."""

    def __init__(self, status: int, line: str) -> None:
        super().__init__(line)
        self.status, self.line = status, line


def upload_name(filename: str) -> str:
    """The name the file is read (and its errors located) under: its own base name when that
    is a plain ``*.toml`` name, else ``upload.toml``."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return base if _SAFE_NAME.fullmatch(base) else "upload.toml"


def run_uploaded(desk, filename: str, data: bytes) -> dict:
    """The scenario result of an uploaded file; UploadRefused for a file that is too big, not
    TOML (400) or not a valid scenario (422)."""
    name = upload_name(filename)
    if not data:
        raise UploadRefused(400, f"{name}: the file is empty; choose a scenario file (.toml)")
    if len(data) > MAX_SCENARIO_BYTES:
        raise UploadRefused(
            413, f"{name}: larger than {MAX_SCENARIO_BYTES // 1024} KiB; no scenario is that big"
        )
    with tempfile.TemporaryDirectory(prefix="fragwatch-scenario-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return desk.run_scenario_file(path)
        except ConfigError as exc:
            line = exc.one_line().replace(f"{folder}/", "")
            syntax = "TOML syntax error" in exc.message or "UTF-8" in exc.message
            raise UploadRefused(400 if syntax else 422, line) from None
