"""The alert mails of one `fragwatch run-once` over 200 countries, as comparable text.

Shared by ``tests/test_run_once_mails.py`` and the command that writes its fixture:

    .venv/bin/python -m tests.run_once_mails tests/fixtures/run_once_mails/mails.txt.gz

Every message of the outbox (sorted by file name, which is derived from the message's
content) with its headers, except the delivery time and the MIME boundary (both differ at every
run), and each part decoded.
"""

from __future__ import annotations

import email
import email.policy
import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from fragwatch.evidence.opendata import open_countries

REPO = Path(__file__).resolve().parents[1]
NOW = "2026-12-02T00:00"


def settings_text(folder: Path, countries: list[str]) -> str:
    return (
        f'database_url = "sqlite:///{folder}/var/fragwatch.db"\n'
        f'outbox_dir = "{folder}/var/outbox"\n'
        "countries = [" + ", ".join(f'"{c}"' for c in countries) + "]\n"
        '[schedule]\nassess_cron = "0 6 1 * *"\nbackfill_from = 2026-12-01\n'
        "deliver_every_seconds = 3600\n"
    )


def message_text(raw: bytes) -> str:
    """One .eml as text: headers (without Date), then each leaf part decoded."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    lines = [f"{k}: {v}" for k, v in msg.items() if k not in ("Date", "Content-Type")]
    for part in msg.walk():
        if part.is_multipart():
            continue
        lines.append(f"--- {part.get_content_type()}")
        lines.append(part.get_content())
    return "\n".join(lines)


def run_once_mails(folder: Path) -> str:
    """Run `fragwatch run-once` (one monthly period, the first 200 open-data countries) in
    ``folder`` and return its outbox as text."""
    settings = folder / "fragwatch.toml"
    settings.write_text(settings_text(folder, list(open_countries()[:200])), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAGWATCH_")}
    env["FRAGWATCH_CONFIG_DIR"] = str(REPO / "config")
    command = [sys.executable, "-m", "fragwatch.cli", "--settings", str(settings), "run-once",
               "--now", NOW]  # fmt: skip
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    assert done.returncode in (0, 7), done.stderr  # 7: mail written to files, no SMTP host
    outbox = sorted((folder / "var" / "outbox").glob("*.eml"))
    return "\n=====\n".join(f"{p.name}\n{message_text(p.read_bytes())}" for p in outbox)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        text = run_once_mails(Path(tmp))
    Path(sys.argv[1]).write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
