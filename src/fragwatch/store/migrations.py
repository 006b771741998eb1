"""Versioned schema: ordered migration steps, each applied in its own transaction.

The store's version is the highest row of ``schema_version``. ``migrate`` applies every step
above it, one transaction per step, and records the step in the same transaction, so a step
either happened completely or not at all (SQLite DDL is transactional once ``engine`` takes over
BEGIN). A database stamped with a version this code does not know is refused: an older fragwatch
must not write into a schema it does not understand.

Rules for adding a step: append it with the next version number; never edit a released step.
Step 1 builds the tables from ``schema.py``; before a later step changes a table, replace step 1's
``create_all`` with a frozen copy of the version-1 tables so a fresh database still goes 1, 2, ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, insert, inspect, select

from fragwatch.store.errors import StoreError
from fragwatch.store.schema import (
    metadata,
    schema_version,
    utcnow,
    web_audit,
    web_tokens,
    web_users,
)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


# The tables each step creates, frozen by name: step 1 must not create what a later step adds.
_VERSION_1 = ("assessments", "alert_state", "silences", "outbox")
_WEB_TABLES = (web_users, web_tokens, web_audit)


def _create_tables(conn: Connection) -> None:
    tables = [metadata.tables[name] for name in _VERSION_1]
    metadata.create_all(conn, tables=tables, checkfirst=False)


def _create_web_tables(conn: Connection) -> None:
    metadata.create_all(conn, tables=list(_WEB_TABLES), checkfirst=False)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create assessments, alert_state, silences and outbox", _create_tables),
    Migration(2, "create web_users, web_tokens and web_audit (the web desk)", _create_web_tables),
)


def latest_version(steps: Sequence[Migration] = MIGRATIONS) -> int:
    return max((step.version for step in steps), default=0)


def current_version(conn: Connection) -> int:
    """The database's schema version; 0 for a database fragwatch has never written."""
    if not inspect(conn).has_table(schema_version.name):
        return 0
    return conn.scalar(select(func.max(schema_version.c.version))) or 0


def migrate(engine: Engine, where: str, steps: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database to the newest version; return the number of steps applied.

    ``where`` names the database in error messages (a URL without its password).
    """
    versions = [step.version for step in steps]
    if versions != sorted(set(versions)):
        raise ValueError(f"migration versions must be increasing and unique: {versions}")
    known = latest_version(steps)

    with engine.begin() as conn:
        _serialise(conn)
        version = current_version(conn)
        if version == 0:
            _refuse_foreign_tables(conn, where)
            schema_version.create(conn, checkfirst=True)
    _refuse_newer(version, known, where)

    applied = 0
    for step in steps:
        if step.version <= version:
            continue
        with engine.begin() as conn:
            # Another process may have migrated since we looked: re-read inside the transaction
            # (SQLite holds the write lock from BEGIN IMMEDIATE, PostgreSQL the advisory lock
            # of ``_serialise``, so this read is authoritative).
            _serialise(conn)
            now_at = current_version(conn)
            _refuse_newer(now_at, known, where)
            if now_at >= step.version:
                continue
            step.apply(conn)
            conn.execute(
                insert(schema_version).values(
                    version=step.version, description=step.description, applied_at=utcnow()
                )
            )
            applied += 1
    return applied


# pg_advisory_xact_lock key of a migration: any bigint no other tool on the database uses.
_MIGRATION_LOCK = 0x66726167_6D696772  # "fragmigr"


def _serialise(conn: Connection) -> None:
    """On PostgreSQL, queue the transaction behind any other process's migration step.

    ``serve`` and ``web`` started together on a new database would otherwise both create the
    tables, and one of them would fail on PostgreSQL's catalogue. SQLite's BEGIN IMMEDIATE does
    this already; the lock is released with the transaction.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))


def _refuse_newer(version: int, known: int, where: str) -> None:
    if version > known:
        raise StoreError(
            f"the database has schema version {version}, but this fragwatch knows versions up "
            f"to {known}; upgrade fragwatch or use another database",
            where=where,
        )


def _refuse_foreign_tables(conn: Connection, where: str) -> None:
    ours = {t.name for t in metadata.sorted_tables if t is not schema_version}
    clash = sorted(ours & set(inspect(conn).get_table_names()))
    if clash:
        raise StoreError(
            f"the database has tables {', '.join(clash)} but no fragwatch schema version; "
            "it was not created by fragwatch, so it is left untouched",
            where=where,
        )
