"""The store on real SQLite files and a real PostgreSQL server: migrations, idempotent history,
atomic transactions (every test taking ``db_url`` runs on both); WAL on SQLite."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, create_engine, func, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from fragwatch.alerts.lifecycle import Silence
from fragwatch.errors import UsageError
from fragwatch.scoring.assessment import assess
from fragwatch.store.alerts import (
    acknowledge,
    add_silence,
    list_silences,
    load_alerts,
    remove_silence,
    save_alert,
)
from fragwatch.store.assessments import (
    _upsert_generic,
    assessment_row,
    history,
    last_assessed,
    save_assessment,
)
from fragwatch.store.engine import open_store, read_connection
from fragwatch.store.errors import StoreError
from fragwatch.store.migrations import MIGRATIONS, Migration, latest_version, migrate
from fragwatch.store.schema import alert_state, assessments, metadata, outbox, schema_version

from .conftest import REPO

T0 = datetime(2016, 2, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def sqlite_url(tmp_path):
    # A folder that does not exist yet, as `var/` on a fresh install.
    return f"sqlite:///{tmp_path / 'var' / 'store' / 'fragwatch.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, sqlite_url):
    """A new store's URL on each backend: a SQLite file, a database on the test PostgreSQL."""
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url):
    engine = open_store(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url):
    engine = open_store(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def assessed(evidence, spec):
    """Real assessments of TJK: withheld (1995: too little open data yet), moderate (2015)
    and elevated (2016)."""
    out = {}
    for day in ("1995-12-31", "2015-12-31", "2016-01-31"):
        (a,) = assess(evidence, spec, ["TJK"], pd.Timestamp(day))
        out[day] = a
    return out


def count(conn: Connection, table) -> int:
    return conn.scalar(select(func.count()).select_from(table))


# --- opening and migrating --------------------------------------------------------------------


def test_open_store_creates_the_folder_and_turns_on_wal_and_foreign_keys(tmp_path, sqlite_engine):
    assert (tmp_path / "var" / "store" / "fragwatch.db").is_file()
    for _ in range(2):  # a fresh pooled connection too, not only the first one
        with sqlite_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_wal_is_a_property_of_the_file(tmp_path, sqlite_engine):
    # Another tool opening the file (sqlite3 shell, a backup script) sees WAL as well.
    with sqlite3.connect(tmp_path / "var" / "store" / "fragwatch.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


OPEN_AT_A_SIGNAL = """
import sys, time
from pathlib import Path
from fragwatch.store.engine import open_store
from fragwatch.store.errors import StoreError
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
try:
    open_store(sys.argv[1]).dispose()
except StoreError as exc:
    sys.exit(str(exc))
"""


def test_processes_opening_a_new_store_together_all_get_one_whole_store(tmp_path):
    # serve and web (or two run-once) started on a new store: each used to find a file another
    # had just created, empty ("0 bytes, not a fragwatch store") or "database is locked".
    for round_ in range(5):
        folder = tmp_path / str(round_)
        go = folder / "go"
        url = f"sqlite:///{folder / 'var' / 'fragwatch.db'}"
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_AT_A_SIGNAL, url, str(go)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        time.sleep(1.0)  # every process imported and polling
        folder.mkdir(exist_ok=True)
        go.touch()
        for run in runs:
            _, err = run.communicate(timeout=60)
            assert run.returncode == 0, err
        assert sorted(p.name for p in (folder / "var").iterdir()) == ["fragwatch.db"]
        with sqlite3.connect(folder / "var" / "fragwatch.db") as raw:
            versions = [row[0] for row in raw.execute("SELECT version FROM schema_version")]
        assert versions == [step.version for step in MIGRATIONS]


def test_migrated_database_matches_the_schema_module(engine):
    found = inspect(engine)
    assert set(found.get_table_names()) == set(metadata.tables)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in found.get_columns(table.name)}
        assert columns == set(table.columns.keys()), table.name


def test_migrating_twice_is_a_no_op(db_url, engine):
    assert migrate(engine, "test") == 0
    open_store(db_url).dispose()
    with engine.connect() as conn:
        versions = conn.scalars(select(schema_version.c.version)).all()
    assert versions == [step.version for step in MIGRATIONS]
    assert versions[-1] == latest_version()


def test_data_survives_reopening(db_url, engine, assessed):
    with engine.begin() as conn:
        save_assessment(conn, assessed["2016-01-31"])
    again = open_store(db_url)
    with again.connect() as conn:
        assert count(conn, assessments) == 1
    again.dispose()


def test_a_database_from_a_newer_fragwatch_is_refused(db_url, engine):
    with engine.begin() as conn:
        conn.execute(
            insert(schema_version).values(
                version=latest_version() + 1, description="from the future", applied_at=T0
            )
        )
    with pytest.raises(StoreError) as caught:
        open_store(db_url)
    assert caught.value.exit_code == 6
    message = caught.value.one_line()
    assert f"schema version {latest_version() + 1}" in message
    assert "upgrade fragwatch" in message
    assert Path(make_url(db_url).database).name in message  # says which database
    assert "s3cret" not in message  # the test role's password, in no spelling


def test_a_foreign_postgres_database_is_left_alone(pg_url):
    raw = create_engine(pg_url)
    try:
        with raw.begin() as conn:
            conn.execute(text("CREATE TABLE assessments (what TEXT)"))
        with pytest.raises(StoreError, match="not created by fragwatch"):
            open_store(pg_url)
        assert set(inspect(raw).get_table_names()) == {"assessments"}
    finally:
        raw.dispose()


def test_a_database_fragwatch_did_not_create_is_left_alone(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE assessments (what TEXT)")
    with pytest.raises(StoreError, match="not created by fragwatch"):
        open_store(f"sqlite:///{path}")
    with sqlite3.connect(path) as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"assessments"}


def test_a_failing_migration_step_changes_nothing(engine):
    def half_done(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half (x INTEGER)"))
        conn.execute(text("ALTER TABLE assessments ADD COLUMN half INTEGER"))
        raise RuntimeError("step failed half-way")

    steps = (*MIGRATIONS, Migration(latest_version() + 1, "breaks", half_done))
    with pytest.raises(RuntimeError, match="half-way"):
        migrate(engine, "test", steps)

    found = inspect(engine)
    assert "half" not in found.get_table_names()  # DDL rolled back with the transaction
    assert "half" not in {c["name"] for c in found.get_columns("assessments")}
    with engine.connect() as conn:
        assert conn.scalar(select(func.max(schema_version.c.version))) == latest_version()


@pytest.mark.parametrize("url", ["not a url", "nosuchdialect://host/db"])
def test_a_bad_url_is_a_store_error(url):
    with pytest.raises(StoreError):
        open_store(url)


def test_state_columns_only_take_known_states(engine):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            insert(alert_state).values(rule="r", subject="TJK", state="bogus", state_since=T0)
        )


# --- assessments ------------------------------------------------------------------------------


def _save_generic(conn, assessment, computed_at=None):
    return _upsert_generic(conn, assessment_row(assessment, computed_at))


SAVERS = pytest.mark.parametrize(
    "save",
    [
        pytest.param(lambda c, a, t=None: save_assessment(c, a, computed_at=t), id="upsert"),
        pytest.param(_save_generic, id="generic"),
    ],
)


@SAVERS
def test_saving_the_same_assessment_twice_leaves_one_unchanged_row(engine, assessed, save):
    a = assessed["2016-01-31"]
    with engine.begin() as conn:
        assert save(conn, a, T0) is True
    with engine.begin() as conn:
        assert save(conn, a, T0 + timedelta(days=1)) is False
    with engine.connect() as conn:
        (row,) = conn.execute(select(assessments)).all()
    assert row.computed_at == T0  # an unchanged re-run is not even a write
    assert row.as_of == date(2016, 1, 31)
    assert row.score == pytest.approx(a.score)
    assert json.loads(row.payload) == json.loads(json.dumps(a.to_dict()))


@SAVERS
def test_new_evidence_for_the_same_period_updates_the_row(engine, assessed, save):
    a = assessed["2016-01-31"]
    revised = dataclasses.replace(a, evidence_digest="f" * 64, score=70.0, band="high")
    with engine.begin() as conn:
        save(conn, a, T0)
        assert save(conn, revised, T0 + timedelta(hours=1)) is True
    with engine.connect() as conn:
        (row,) = conn.execute(select(assessments)).all()
    assert row.evidence_digest == "f" * 64
    assert row.score == 70.0
    assert row.computed_at == T0 + timedelta(hours=1)
    assert json.loads(row.payload)["evidence_digest"] == "f" * 64


@SAVERS
def test_a_changed_model_starts_its_own_series(engine, assessed, save):
    a = assessed["2016-01-31"]
    with engine.begin() as conn:
        save(conn, a)
        save(conn, dataclasses.replace(a, model_digest="0" * 64))
    with engine.connect() as conn:
        assert count(conn, assessments) == 2
        assert len(history(conn, "TJK", a.model_digest)) == 1
        assert len(history(conn, "TJK")) == 2


def test_last_assessed_and_history_return_what_was_saved(engine, assessed, spec):
    with engine.begin() as conn:
        # Saved out of order: history sorts by period.
        for day in ("2016-01-31", "1995-12-31", "2015-12-31"):
            save_assessment(conn, assessed[day], computed_at=T0)

    with engine.connect() as conn:
        assert last_assessed(conn, "TJK", spec.digest) == date(2016, 1, 31)
        assert last_assessed(conn, "TJK", "0" * 64) is None
        assert last_assessed(conn, "UZB", spec.digest) is None
        frame = history(conn, "TJK", spec.digest)
        assert history(conn, "UZB").empty

    assert list(frame["as_of"]) == [
        pd.Timestamp(d) for d in ("1995-12-31", "2015-12-31", "2016-01-31")
    ]
    withheld, moderate, elevated = (assessed[d] for d in ("1995-12-31", "2015-12-31", "2016-01-31"))
    assert pd.isna(frame["score"].iloc[0])  # a withheld score is stored as NULL, read as NaN
    assert frame["band"].tolist() == [withheld.band, moderate.band, elevated.band]
    assert frame["score"].iloc[1:].tolist() == pytest.approx([moderate.score, elevated.score])
    assert frame["coverage"].tolist() == pytest.approx(
        [withheld.coverage, moderate.coverage, elevated.coverage]
    )
    assert frame["evidence_digest"].tolist() == [
        withheld.evidence_digest,
        moderate.evidence_digest,
        elevated.evidence_digest,
    ]
    assert set(frame["model_digest"]) == {spec.digest}
    assert (frame["computed_at"] == pd.Timestamp(T0)).all()


# --- transactions -----------------------------------------------------------------------------


def test_a_failed_transaction_leaves_nothing_written(engine, assessed):
    # DESIGN §8: the assessment, the alert state and the outbox row commit together or not at all.
    def write_then_crash() -> None:
        with engine.begin() as conn:
            save_assessment(conn, assessed["2016-01-31"])
            conn.execute(
                insert(alert_state).values(
                    rule="score_high", subject="TJK", state="firing", state_since=T0
                )
            )
            conn.execute(
                insert(outbox).values(
                    dedupe_key="score_high/TJK/2016-01-31",
                    message_id="<x@fragwatch>",
                    kind="alert",
                    recipients='["desk@example.org"]',
                    subject="TJK high",
                    body="...",
                    next_attempt_at=T0,
                    created_at=T0,
                )
            )
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError, match="crash"):
        write_then_crash()

    with engine.connect() as conn:
        assert count(conn, assessments) == 0
        assert count(conn, alert_state) == 0
        assert count(conn, outbox) == 0


def test_outbox_dedupe_key_is_unique(engine):
    row = {
        "dedupe_key": "k",
        "message_id": "<k@fragwatch>",
        "kind": "alert",
        "recipients": "[]",
        "subject": "s",
        "body": "b",
        "next_attempt_at": T0,
        "created_at": T0,
    }
    with engine.begin() as conn:
        conn.execute(insert(outbox).values(**row))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(outbox).values(**row))
    with engine.begin() as conn:
        assert count(conn, outbox) == 1
        (stored,) = conn.execute(select(outbox)).all()
        assert stored.state == "pending"
        assert stored.attempts == 0
        assert stored.next_attempt_at == T0  # timestamps come back as aware UTC


def test_a_reader_does_not_wait_for_an_open_write(db_url, engine, assessed):
    other = open_store(db_url)  # another process: the CLI while the scheduler writes
    try:
        with engine.begin() as writer:
            save_assessment(writer, assessed["2016-01-31"])
            started = time.monotonic()
            with read_connection(other) as reader:
                assert count(reader, assessments) == 0  # the snapshot before the commit
            assert time.monotonic() - started < 1.0  # not the 5 s busy timeout
        with read_connection(other) as reader:
            assert count(reader, assessments) == 1
    finally:
        other.dispose()


def test_silences_are_added_listed_by_end_and_removed(engine):
    with engine.begin() as conn:
        late = add_silence(
            conn, Silence("score-*", "TJK", T0 + timedelta(days=3)),
            created_by="olga", comment="known", now=T0,
        )  # fmt: skip
        soon = add_silence(
            conn, Silence("*", "TJK:*", T0 + timedelta(days=1)), created_by="olga", comment="",
            now=T0,
        )  # fmt: skip
    assert late != soon
    with engine.begin() as conn:
        assert [s.id for s in list_silences(conn)] == [soon, late]  # soonest end first
        assert [s.id for s in list_silences(conn, T0 + timedelta(days=2))] == [late]
        remove_silence(conn, soon)
        with pytest.raises(UsageError, match=f"no silence with id {soon}"):
            remove_silence(conn, soon)
    with engine.connect() as conn:
        (left,) = list_silences(conn)
    assert (left.id, left.silence.rule, left.created_by, left.comment) == (
        late, "score-*", "olga", "known",
    )  # fmt: skip
    assert left.silence.ends_at == T0 + timedelta(days=3)


def test_an_acknowledgement_during_a_cycle_is_not_lost(db_url, engine):
    # The web desk acknowledges while the scheduler's cycle has read the alert states and is
    # about to write them back: the acknowledgement must survive the cycle's write.
    with engine.begin() as conn:
        conn.execute(
            insert(alert_state).values(
                rule="score_high", subject="TJK", state="firing", state_since=T0, fired_at=T0
            )
        )
    desk = open_store(db_url)
    failures: list[BaseException] = []

    def officer_acks() -> None:
        try:
            with desk.begin() as conn:
                acknowledge(conn, "score_high", "TJK", "web:olga", T0 + timedelta(hours=1))
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    try:
        with engine.begin() as cycle:
            before = load_alerts(cycle, lock=True)[("score_high", "TJK")]
            officer = threading.Thread(target=officer_acks)
            officer.start()
            officer.join(0.5)  # the acknowledgement is made while the cycle is under way
            save_alert(
                cycle, before, before.state, resolved=False, notified=False,
                as_of=date(2016, 2, 1), value=71.0, now=T0 + timedelta(hours=2),
            )  # fmt: skip
        officer.join(30)
    finally:
        desk.dispose()
    assert not failures, failures
    with engine.connect() as conn:
        row = conn.execute(select(alert_state.c.acked_at, alert_state.c.acked_by)).one()
    assert row.acked_by == "web:olga"
    assert row.acked_at == T0 + timedelta(hours=1)  # reminders stay stopped


# --- import boundaries ------------------------------------------------------------------------


def test_the_cli_does_not_load_sqlalchemy_for_commands_without_history():
    code = (
        "import sys\n"
        "from fragwatch.cli import main\n"
        "assert 'sqlalchemy' not in sys.modules, 'import fragwatch.cli loads sqlalchemy'\n"
        "rc = main(['assess', '--as-of', '2016-01-31'])\n"
        "assert rc in (0, None), rc\n"
        "assert 'sqlalchemy' not in sys.modules, 'fragwatch assess loads sqlalchemy'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
