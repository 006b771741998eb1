"""Helpers for the open-data import tests: run the real command against a private library."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from .conftest import REPO, run_cli

FIXTURES = REPO / "tests" / "fixtures" / "open_data"
PREFIX = "fragwatch: error: "


@dataclass
class Workspace:
    """A working folder with its own evidence library and download cache."""

    root: Path

    @property
    def library(self) -> Path:
        return self.root / "library"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "FRAGWATCH_CONFIG_DIR": str(REPO / "config"),
            "FRAGWATCH_EVIDENCE_DIR": str(self.library),
            "FRAGWATCH_CACHE_DIR": str(self.cache),
            **extra,
        }

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess:
        return run_cli(*args, cwd=self.root, env=self.env(**extra))

    def copy(self, name: str, edit=None, as_name: str | None = None) -> Path:
        """A fixture copied into the workspace, optionally edited (text -> text)."""
        text = (FIXTURES / name).read_bytes().decode("utf-8")
        target = self.root / (as_name or name)
        target.write_bytes((edit(text) if edit else text).encode("utf-8"))
        return target

    def batches(self) -> list[str]:
        """Every entry of the library, hidden ones too (a failed import must leave none)."""
        return sorted(p.name for p in self.library.iterdir()) if self.library.exists() else []


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, where: str) -> str:
    """Exit ``code``, nothing on stdout, one error line on stderr starting with ``where``."""
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(PREFIX + where), lines[0]
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
