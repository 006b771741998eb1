"""The shipped alert rules with the score levels set where Tajikistan's score moves.

Under the two-layer model Tajikistan reads 36 on 2016-01-01 and 45 from 2016-02-01 (the
January 2016 briefing); the shipped levels (score-high at 60, a jump of 10) are for a desk
watching the whole world and never fire on it. Tests of what a firing alert does use these.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import REPO


def tajik_alert_levels(text: str) -> str:
    """``alerts.toml`` text with score-high at 40 (clears below 38) and a jump of 8."""
    changed = text.replace("fire = 60\nclear = 55", "fire = 40\nclear = 38", 1)
    jump = 'kind = "jump"\nseverity = "high"\nfire = '
    changed = changed.replace(f"{jump}10", f"{jump}8", 1)
    assert "fire = 40\nclear = 38" in changed
    assert f"{jump}8" in changed
    return changed


def tajik_rules_dir(folder: Path) -> Path:
    """A folder holding only the rewritten ``alerts.toml``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (REPO / "config" / "alerts.toml").read_text(encoding="utf-8")
    (folder / "alerts.toml").write_text(tajik_alert_levels(text), encoding="utf-8")
    return folder


def tajik_config_dir(folder: Path) -> Path:
    """A copy of the shipped config directory with the rewritten ``alerts.toml``."""
    shutil.copytree(REPO / "config", folder)
    return tajik_rules_dir(folder)
