"""`fragwatch serve` as a real process: SIGTERM exits cleanly, SIGKILL loses nothing.

The crash test kills the service at random points of a long catch-up (assessing and sending at
the same time) and restarts it, over and over; the SMTP server on 127.0.0.1 must end up with
every alert an uninterrupted run sends, and a duplicate only ever as a copy with the same
Message-ID. Its figures are printed (run with ``-s`` to see them).
"""

from __future__ import annotations

import email
import email.policy
import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from .conftest import REPO, run_cli
from .smtp_server import Recorder

WEEKLY = "0 6 * * 1"  # Mondays 06:00 UTC: a long catch-up from the backfill date


def service_env(tmp_path: Path, port: int, backfill: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAGWATCH_")}
    env.update(
        FRAGWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'fragwatch.db'}",
        FRAGWATCH_OUTBOX_DIR=str(tmp_path / "var" / "outbox"),
        FRAGWATCH_SMTP__HOST="127.0.0.1",
        FRAGWATCH_SMTP__PORT=str(port),
        FRAGWATCH_SMTP__SECURITY="none",
        FRAGWATCH_SMTP__TIMEOUT_SECONDS="5",
        FRAGWATCH_COUNTRIES='["TJK"]',  # one country's long weekly history
        FRAGWATCH_SCHEDULE__ASSESS_CRON=WEEKLY,
        FRAGWATCH_SCHEDULE__BACKFILL_FROM=backfill,
        FRAGWATCH_SCHEDULE__DELIVER_EVERY_SECONDS="0.5",
        # A killed sender's rows are claimed again after 2 s (well above a loopback send).
        FRAGWATCH_DELIVERY__LEASE_SECONDS="2",
        FRAGWATCH_DELIVERY__RETRY_BASE_SECONDS="0.5",
        FRAGWATCH_DELIVERY__BATCH_SIZE="5",
    )
    env.update(extra)
    return env


def start_serve(tmp_path: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "fragwatch.cli", "--config-dir", str(REPO / "config"), "serve"],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def stored_periods(tmp_path: Path, url: str | None = None) -> int:
    """Assessments stored in the SQLite file under ``tmp_path``, or in the database at ``url``."""
    if url is not None:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                return conn.scalar(text("SELECT count(*) FROM assessments"))
        except ProgrammingError:  # tables not created yet
            return 0
        finally:
            engine.dispose()
    db = tmp_path / "var" / "fragwatch.db"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM assessments").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def outbox_states(tmp_path: Path, url: str | None = None) -> dict[str, int]:
    engine = create_engine(url or f"sqlite:///{tmp_path / 'var' / 'fragwatch.db'}")
    try:
        with engine.connect() as conn:
            query = text("SELECT state, count(*) FROM outbox GROUP BY state")
            return {state: n for state, n in conn.execute(query)}
    finally:
        engine.dispose()


def catching_up(log: Path) -> int:
    """How many catch-ups the service's log has announced."""
    return log.read_text(errors="replace").count("catching up") if log.exists() else 0


def serving(log: Path) -> int:
    """How many starts have reached the scheduler (signal handlers installed)."""
    return (
        log.read_text(errors="replace").count("fragwatch.scheduler: serving:")
        if log.exists()
        else 0
    )


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def expected_message_ids(tmp_path: Path, now: datetime, backfill: str) -> set[str]:
    """What an uninterrupted run sends: one `run-once` into .eml files, as a reference."""
    ref = tmp_path / "reference"
    ref.mkdir()
    env = service_env(ref, 1, backfill, FRAGWATCH_DELIVERY__NOTIFIER="file")
    del env["FRAGWATCH_SMTP__HOST"]
    result = subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", "--config-dir", str(REPO / "config"),
         "run-once", "--now", now.isoformat()],
        cwd=ref, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    files = list((ref / "var" / "outbox").glob("*.eml"))
    return {parse(f.read_bytes())["Message-ID"] for f in files}


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_sigterm_finishes_the_current_period_and_exits_zero(tmp_path, start_server):
    handler = Recorder()
    server = start_server(handler)
    env = service_env(tmp_path, server.port, "2005-01-01")
    log = tmp_path / "serve.log"
    proc = start_serve(tmp_path, env, log)
    # A catch-up assesses first and writes its periods (and its summary mail) in one
    # transaction at the end; SIGTERM stops the assessing and writes what was assessed.
    try:
        wait_for(lambda: catching_up(log) >= 1, 60, "the catch-up to start")
        time.sleep(3)  # some periods assessed
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)  # well before the ~1,000-period catch-up could end
    finally:
        proc.kill()
    text = log.read_text()
    assert code == 0, text
    assert "SIGTERM" in text
    assert "Traceback" not in text
    done = stored_periods(tmp_path)
    assert 0 < done < 900

    # A restart carries on from the store's last period: none is assessed twice or skipped.
    proc = start_serve(tmp_path, env, log)
    try:
        wait_for(lambda: catching_up(log) >= 2, 60, "the restart to catch up")
        time.sleep(3)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    assert stored_periods(tmp_path) > done
    with sqlite3.connect(tmp_path / "var" / "fragwatch.db") as conn:
        dates = [r[0] for r in conn.execute("SELECT as_of FROM assessments ORDER BY as_of")]
    assert len(dates) == len(set(dates))
    weeks = [datetime.fromisoformat(d) for d in dates]
    assert all((b - a).days == 7 for a, b in itertools.pairwise(weeks))


# PostgreSQL's run is shorter (ten weeks to catch up, six kills): the same guarantees on the
# other backend (its advisory cycle lock, the server's rollback of a killed session) in about
# a minute.
@pytest.mark.parametrize(("backend", "kills"), [("sqlite", 20), ("postgres", 6)])
def test_crash_at_random_points_loses_no_alert_and_duplicates_keep_their_message_id(
    tmp_path, start_server, request, backend, kills
):
    # A catch-up is written in one transaction: a kill during it loses the catch-up's work
    # (never an alert), so the span is kept to what one start can finish on a busy machine:
    # 67 weekly periods, about 4 s of assessing after 3 s of start-up.
    backfill = "2025-09-01"
    if backend == "postgres":
        backfill = (datetime.now(UTC) - timedelta(days=70)).date().isoformat()
    now = datetime.now(UTC)
    expected = expected_message_ids(tmp_path, now, backfill)
    # The scenario really makes alerts fire: the backfill's summary of the past periods, and
    # the current period's mail.
    assert len(expected) >= 2

    handler = Recorder()
    server = start_server(handler)
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    env = service_env(tmp_path, server.port, backfill)
    if url is not None:
        env["FRAGWATCH_DATABASE_URL"] = url
    log = tmp_path / "serve.log"
    seed = int(os.environ.get("FRAGWATCH_CRASH_SEED", "20161")) + os.getpid() % 1000
    rng = random.Random(seed)
    mid_catch_up, started = 0, time.monotonic()
    for _ in range(kills):
        before = stored_periods(tmp_path, url)
        proc = start_serve(tmp_path, env, log)
        time.sleep(rng.uniform(1.0, 12.0))  # start-up, mid-catch-up, mid-send
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        mid_catch_up += stored_periods(tmp_path, url) > before
    received_while_crashing = len(handler.received)

    def received_ids() -> set[str]:
        return {parse(content)["Message-ID"] for _, _, content in handler.received}

    starts = serving(log)
    proc = start_serve(tmp_path, env, log)
    try:
        # Mail may all have arrived before this start: wait until it serves (and has sent
        # what it finds due) before asking it to stop.
        wait_for(lambda: serving(log) > starts, 120, "the last start to serve")
        wait_for(lambda: expected <= received_ids(), 600, "every expected alert")
        time.sleep(2.0)  # a late duplicate would show now
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()

    messages = [parse(content) for _, _, content in handler.received]
    ids = [m["Message-ID"] for m in messages]
    assert set(ids) == expected  # none missing, none that an uninterrupted run would not send
    # A duplicate is a resend of the same message: the same alert (or the same weekly report)
    # never has two Message-IDs.
    headers = ("Kind", "Subject", "Period", "Country", "As-Of")
    ids_per_alert = defaultdict(set)
    for m in messages:
        ids_per_alert[tuple(m[f"X-Fragwatch-{h}"] for h in headers)].add(m["Message-ID"])
    assert all(len(v) == 1 for v in ids_per_alert.values())
    duplicates = len(ids) - len(set(ids))

    assert outbox_states(tmp_path, url) == {"sent": len(expected)}
    figures = (
        f"crash test ({backend}): seed {seed}, {kills} SIGKILLs ({mid_catch_up} during the"
        f" catch-up), {stored_periods(tmp_path, url)} weekly periods,"
        f" {len(expected)} alerts expected,"
        f" {len(set(ids))} received ({received_while_crashing} messages before the last"
        f" start), {duplicates} duplicate(s) with the same Message-ID, 0 missing,"
        f" {time.monotonic() - started:.0f} s"
    )
    print(figures)
    (tmp_path / "figures.txt").write_text(figures + "\n")


def test_serve_refuses_a_second_look_at_a_bad_database_url(tmp_path):
    result = run_cli(
        "--config-dir", str(REPO / "config"), "serve", cwd=tmp_path,
        env={"FRAGWATCH_DATABASE_URL": "nosuchdb://x"},
    )  # fmt: skip
    assert result.returncode == 6
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
