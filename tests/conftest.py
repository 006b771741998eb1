from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fragwatch.evidence.files import load_evidence
from fragwatch.settings import load_model_spec

REPO = Path(__file__).resolve().parents[1]
MODEL_TOML = REPO / "config" / "model.toml"


@pytest.fixture(scope="session")
def evidence():
    """The embedded default evidence base, loaded and validated once."""
    return load_evidence([])


@pytest.fixture(scope="session")
def spec():
    """The default model from config/model.toml."""
    return load_model_spec(MODEL_TOML)


def run_cli(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real command in a subprocess, as a user would (``env`` adds variables)."""
    return subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env} if env else None,
    )
