"""Findings of the hardening review that need more than one bad input to show.

Two processes on one store, output to standard output, strict JSON, and imports that fail
leaving nothing behind. The one-input cases are in test_bad_input_catalogue.py.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fragwatch import jsonout

from .conftest import REPO, run_cli

FIXTURES = REPO / "tests" / "fixtures" / "open_data"


def strict_json(text: str):
    """Parse as a strict JSON parser would: Infinity and NaN are not JSON."""

    def refuse(token: str):
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A working folder with config/ and a store after one real run-once."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    first = run_cli("run-once", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    return tmp_path


def store_dump(home: Path) -> str:
    db = home / "var" / "fragwatch.db"
    raw = sqlite3.connect(f"{db.resolve().as_uri()}?immutable=1", uri=True)
    try:
        return "\n".join(raw.iterdump())
    finally:
        raw.close()


def hold_cycle_lock(home: Path) -> int:
    handle = os.open(home / "var" / "fragwatch.db.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(handle, fcntl.LOCK_EX)
    os.pwrite(handle, b"424242", 0)
    return handle


def test_a_second_cycle_on_a_busy_store_says_busy_and_changes_nothing(home: Path) -> None:
    before = store_dump(home), sorted(os.listdir(home / "var" / "outbox"))
    handle = hold_cycle_lock(home)
    try:
        busy = run_cli("run-once", "--wait", "0.5", cwd=home)
    finally:
        os.close(handle)
    assert busy.returncode == 9, busy.stderr
    assert busy.stdout == ""
    (line,) = busy.stderr.splitlines()
    assert line.startswith("fragwatch: error: ")
    assert "busy" in line
    assert "pid 424242" in line
    assert (store_dump(home), sorted(os.listdir(home / "var" / "outbox"))) == before


def test_a_second_cycle_waits_for_the_first_to_finish(home: Path) -> None:
    handle = hold_cycle_lock(home)
    try:
        waiting = subprocess.Popen(
            [sys.executable, "-m", "fragwatch.cli", "run-once", "--wait", "120"],
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2.0)
        assert waiting.poll() is None, "run-once did not wait for the lock"
    finally:
        os.close(handle)  # the first cycle ends
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert "nothing due" in out


def test_two_cycles_at_once_deliver_each_message_once(tmp_path: Path) -> None:
    shutil.copytree(REPO / "config", tmp_path / "config")
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "fragwatch.cli", "run-once"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(r.communicate(timeout=300), r.returncode) for r in runs]
    for (_, err), code in results:
        assert code == 0, err
    assessed = [out for (out, _), _ in results if out.startswith("assessed ")]
    assert len(assessed) == 1, results  # the other one found the period done
    mails = list((tmp_path / "var" / "outbox").glob("*.eml"))
    # Exactly what the one cycle that ran delivered (alerts and the weekly reports), once each.
    delivered = int(re.search(r"delivered (\d+) message", assessed[0]).group(1))
    assert len(mails) == delivered, mails
    ids = [m.read_text(errors="replace").split("Message-ID:", 1)[1].split()[0] for m in mails]
    assert len(set(ids)) == len(ids)


def test_json_output_is_strict_json() -> None:
    text = jsonout.dumps({"a": math.inf, "b": [math.nan, np.float64(-np.inf), 1.5], "c": "x"})
    assert strict_json(text) == {"a": None, "b": [None, None, 1.5], "c": "x"}


def test_score_panel_json_has_null_for_a_withheld_score(tmp_path: Path) -> None:
    (tmp_path / "fw.csv").write_text(
        "code,parent,direction,weight,lo,hi\na,d,1,1,0,10\nb,d,1,1,0,10\n", "utf-8"
    )
    (tmp_path / "panel.csv").write_text("unit,period,a,b\nx,2020,5,\ny,2020,,\n", "utf-8")
    done = run_cli(
        "score-panel", "panel.csv", "--framework", "fw.csv", "--min-coverage", "0.9", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = strict_json(done.stdout)
    assert [r["score"] for r in records] == [None, None]


def test_history_csv_to_standard_output(tmp_path: Path) -> None:
    done = run_cli("history", "--from", "2015-01-01", "--to", "2016-12-31", "--csv", "-", cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("country,as_of,score,band,coverage")
    assert "TJK,2016-12-31," in done.stdout
    assert not (REPO / "-").exists()


def test_a_failed_import_leaves_no_empty_library_folder(tmp_path: Path) -> None:
    text = (FIXTURES / "wdi_bulk_remittances.csv").read_text(encoding="utf-8-sig")
    bad = text.replace('"27.3065578092"', '"inf"') if '"27.3065578092"' in text else None
    assert bad is not None
    (tmp_path / "wdi.csv").write_text(bad, encoding="utf-8")
    for _ in range(3):
        done = run_cli("import", "wdi", "wdi.csv", cwd=tmp_path)
        assert done.returncode == 4, done.stderr
        assert "finite" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wdi.csv"]


def test_a_unit_separator_in_an_acled_event_type_is_no_crash(tmp_path: Path) -> None:
    """Found by the property tests: the type/sub-type pairing split on U+001F inside a cell."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO((FIXTURES / "acled_sample.csv").read_text("utf-8"))))
    column = rows[0].index("sub_event_type")
    rows[1][column] = "0\x1f0"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    (tmp_path / "acled.csv").write_text(out.getvalue(), encoding="utf-8")
    done = run_cli("import", "acled", "acled.csv", cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    assert "imported" in done.stdout


def test_a_non_ascii_digit_as_acled_country_number_is_no_crash(tmp_path: Path) -> None:
    """Found by the property tests: '²' passes str.isdigit() but not int()."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO((FIXTURES / "acled_sample.csv").read_text("utf-8"))))
    rows[1][rows[0].index("iso")] = "\u00b2"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    (tmp_path / "acled.csv").write_text(out.getvalue(), encoding="utf-8")
    done = run_cli("import", "acled", "acled.csv", cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
