"""The alert mails of a 200-country `run-once` are the same as the command wrote before the
evidence citations were made cheap (fixture written by `python -m tests.run_once_mails` at
commit ad6af9c, before that change): the 44 messages, header for header and line for line."""

from __future__ import annotations

import difflib
import gzip
from pathlib import Path

from .run_once_mails import run_once_mails

FIXTURE = Path(__file__).parent / "fixtures" / "run_once_mails" / "mails.txt.gz"


def test_alert_mails_of_200_countries_are_unchanged(tmp_path) -> None:
    expected = gzip.decompress(FIXTURE.read_bytes()).decode("utf-8")
    found = run_once_mails(tmp_path)
    assert found.count("\n=====\n") == 43  # 44 messages
    if found != expected:
        diff = difflib.unified_diff(expected.splitlines(), found.splitlines(), lineterm="", n=2)
        raise AssertionError("\n".join(list(diff)[:80]))
