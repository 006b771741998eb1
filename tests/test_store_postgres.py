"""The real commands on a PostgreSQL store (the test server of postgres.py): a bad or
unreachable database is one line, two cycles on one database take turns, and ``serve`` and
``web`` work side by side on it. The crash test's PostgreSQL run is in test_serve.py."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from fragwatch.store.cyclelock import cycle
from fragwatch.store.engine import open_store
from fragwatch.store.schema import metadata

from .conftest import REPO, run_cli
from .report_helpers import write_hostile_evidence
from .smtp_server import Recorder, free_port
from .test_serve import service_env, start_serve, wait_for
from .web_helpers import PASSWORD, USERS, csrf_of, start_web, stop_web


def cycle_env(url: str) -> dict[str, str]:
    """One country and no risk reports: a cycle of a few seconds (the locking is under test)."""
    return {
        "FRAGWATCH_DATABASE_URL": url,
        "FRAGWATCH_COUNTRIES": '["TJK"]',
        "FRAGWATCH_RECIPIENTS__REPORT_READERS": "[]",
    }


def store_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every fragwatch table, in key order: what a write would change."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key))]
                for t in metadata.sorted_tables
            }
    finally:
        engine.dispose()


@pytest.fixture
def home(tmp_path: Path, pg_url: str) -> Path:
    """A working folder with config/ and a PostgreSQL store after one real run-once."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    first = run_cli("run-once", cwd=tmp_path, env=cycle_env(pg_url))
    assert first.returncode == 0, first.stderr
    return tmp_path


def assert_one_line_without_password(result: subprocess.CompletedProcess, code: int) -> str:
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("fragwatch: error: ")
    assert "Traceback" not in result.stderr
    # Neither password in any spelling (raw, percent-encoded, SQLAlchemy's rendering).
    assert "s3cret" not in line
    assert "wrong" not in line
    return line


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("unreachable", r"cannot open the database: .*(refused|failed)"),
        ("password", r"cannot open the database: .*password authentication failed"),
        ("database", r'cannot open the database: .*database "nosuchdb" does not exist'),
        ("scheme", r"no database driver .*postgresql\+psycopg://"),
        ("typo", r"not a database URL: 'postgresql\+psycopg//fragwatch:\*\*\*@"),
    ],
)
def test_a_bad_postgres_url_is_one_line_exit_6_and_never_shows_the_password(
    postgres, tmp_path, kind, expected
):
    url = {
        "unreachable": postgres.url("fragwatch_1", port=free_port()),  # nothing listens
        "password": postgres.url("fragwatch_1", password="wrong pw"),
        "database": postgres.url("nosuchdb"),
        "scheme": postgres.url("x").replace("postgresql+psycopg://", "postgres://"),
        "typo": postgres.url("x").replace("://", "//"),
    }[kind]
    result = run_cli("alerts", "list", cwd=tmp_path, env={"FRAGWATCH_DATABASE_URL": url})
    line = assert_one_line_without_password(result, 6)
    assert re.search(expected, line), line
    assert "database_url" in line  # says which setting


def test_a_second_cycle_on_a_busy_postgres_store_says_busy_and_changes_nothing(home, pg_url):
    before = store_rows(pg_url), sorted(os.listdir(home / "var" / "outbox"))
    engine = open_store(pg_url)
    try:
        with cycle(engine, wait_seconds=0):  # this process runs a cycle
            busy = run_cli("run-once", "--wait", "0.5", cwd=home, env=cycle_env(pg_url))
    finally:
        engine.dispose()
    line = assert_one_line_without_password(busy, 9)
    assert "busy" in line
    assert f"fragwatch pid {os.getpid()}" in line  # who holds it
    assert (store_rows(pg_url), sorted(os.listdir(home / "var" / "outbox"))) == before


def test_a_second_cycle_on_postgres_waits_for_the_first_to_finish(home, pg_url):
    engine = open_store(pg_url)
    try:
        with cycle(engine, wait_seconds=0):
            waiting = subprocess.Popen(
                [sys.executable, "-m", "fragwatch.cli", "run-once", "--wait", "120"],
                cwd=home, env={**os.environ, **cycle_env(pg_url)},
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            time.sleep(2.0)
            assert waiting.poll() is None, "run-once did not wait for the lock"
    finally:
        engine.dispose()  # the first cycle ends (its session, and the lock, with it)
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert "nothing due" in out


def test_two_cycles_at_once_on_a_new_postgres_database_deliver_each_message_once(tmp_path, pg_url):
    # Both start on an empty database: they migrate it at the same moment, then take turns.
    shutil.copytree(REPO / "config", tmp_path / "config")
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "fragwatch.cli", "run-once"],
            cwd=tmp_path,
            env={**os.environ, **cycle_env(pg_url)},
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
    delivered = int(re.search(r"delivered (\d+) message", assessed[0]).group(1))
    assert len(mails) == delivered, mails
    ids = [m.read_text(errors="replace").split("Message-ID:", 1)[1].split()[0] for m in mails]
    assert len(set(ids)) == len(ids)


def test_serve_and_web_side_by_side_on_one_postgres_database(tmp_path, pg_url, start_server):
    handler = Recorder()
    server = start_server(handler)
    # Ten weekly periods to catch up, no risk reports: an alert fires within seconds.
    backfill = (datetime.now(UTC) - timedelta(days=70)).date().isoformat()
    env = service_env(
        tmp_path, server.port, backfill,
        FRAGWATCH_DATABASE_URL=pg_url, FRAGWATCH_RECIPIENTS__REPORT_READERS="[]",
    )  # fmt: skip
    log = tmp_path / "serve.log"
    folder = tmp_path / "desk"
    folder.mkdir()
    write_hostile_evidence(folder / "hostile")
    settings = folder / "fragwatch.toml"
    settings.write_text(
        f'database_url = "{pg_url}"\ncountries = ["TJK"]\n[report]\ndir = "{folder}/reports"\n',
        encoding="utf-8",
    )
    # Both start on the new, empty database at once (and both migrate it).
    serve = start_serve(tmp_path, env, log)
    try:
        desk = start_web(folder, settings)
        try:
            made = desk.cli(
                "users", "add", "olga", "--role", USERS["olga"], "--password-stdin",
                stdin=PASSWORD,
            )  # fmt: skip
            assert made.returncode == 0, made.stderr
            with desk.client("olga") as client:

                def firing() -> list[dict]:
                    alerts = client.get("/api/alerts").json()["alerts"]
                    return [a for a in alerts if a["state"] == "firing"]

                # What serve's catch-up stores, the desk shows while serve runs.
                wait_for(firing, 120, "serve's catch-up to fire an alert, shown on the desk")
                alert = firing()[0]
                token = csrf_of(client, "/alerts")
                answer = client.post(
                    "/alerts/ack",
                    data={"rule": alert["rule"], "subject": alert["subject"], "csrf_token": token},
                )
                assert answer.status_code == 303
                wait_for(lambda: handler.received, 60, "serve to deliver the alerts")
                time.sleep(2.0)  # serve's delivery cycles go on and write their job states
            assert serve.poll() is None, log.read_text()
            serve.send_signal(signal.SIGTERM)
            assert serve.wait(timeout=30) == 0, log.read_text()
            with desk.client("olga") as client:  # the desk outlives serve
                shown = client.get("/api/alerts").json()["alerts"]
        finally:
            stop_web(desk)
    finally:
        serve.kill()
    (after,) = [a for a in shown if (a["rule"], a["subject"]) == (alert["rule"], alert["subject"])]
    assert after["acked_by"] == "web:olga"  # the acknowledgement survived serve's writes
    assert "Traceback" not in log.read_text()
    rows = store_rows(pg_url)
    periods = [r[2] for r in rows["assessments"]]
    assert len(periods) == len(set(periods)) >= 10  # the whole catch-up, no period twice
    assert ("web:olga", "alert.ack") in {(r[2], r[3]) for r in rows["web_audit"]}
