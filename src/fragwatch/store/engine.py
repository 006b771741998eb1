"""Open the store: an engine on any SQLAlchemy URL, tuned for SQLite and PostgreSQL, at the
newest schema."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from fragwatch.store.dialect import mask_password
from fragwatch.store.errors import StoreError
from fragwatch.store.migrations import migrate


def open_store(url: str) -> Engine:
    """Return an engine on ``url`` whose database is at the newest schema version.

    For SQLite the database file's folder is created if needed, a new file appears whole (see
    ``_create_sqlite_whole``), and every connection runs in WAL mode with foreign keys enforced
    and real transactions (see ``_sqlite_transactions``); read through ``read_connection`` so a
    reader never waits for the writer.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"not a database URL: {mask_password(url)!r}", where="database_url"
        ) from None
    where = f"database_url {parsed.render_as_string(hide_password=True)}"
    password = parsed.password

    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_file(parsed, where)
        _make_parent_folder(parsed, where)
        _create_sqlite_whole(parsed, where)
    try:
        engine = _sqlite_or_other_engine(parsed)
    except (NoSuchModuleError, ImportError) as exc:
        hint = ""
        if parsed.get_backend_name() in ("postgres", "postgresql"):
            hint = " (for PostgreSQL write postgresql+psycopg://, with fragwatch[postgres])"
        raise StoreError(f"no database driver for this URL: {exc}{hint}", where=where) from None
    _migrate_or_say_why(engine, where, password)
    return engine


def _sqlite_or_other_engine(url: URL) -> Engine:
    engine = create_engine(url, **_engine_options(url))
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
        if engine.driver == "pysqlite":
            _sqlite_transactions(engine)
    return engine


def _migrate_or_say_why(engine: Engine, where: str, password: str | None) -> None:
    """Bring ``engine``'s database to the newest schema; a failure closes it and says why."""
    try:
        migrate(engine, where)
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc)
        if password:
            reason = reason.replace(str(password), "***")
        raise StoreError(f"cannot open the database: {reason}", where=where) from None
    except StoreError:
        engine.dispose()
        raise


def _create_sqlite_whole(url: URL, where: str) -> None:
    """Create a missing SQLite store under another name, migrated, then link it into place.

    Processes started together on a new store (``run-once`` twice, ``serve`` beside ``web``)
    would otherwise meet a file another one has just created: 0 bytes until its first write,
    which ``_check_sqlite_file`` rightly refuses as a truncated store, or a journal being
    switched to WAL, which SQLite answers with "database is locked" without waiting. Built
    aside, the file at the store's path is either absent or a complete store; ``os.link``
    fails rather than replace, so the first complete store to arrive is the one all use.
    """
    path = _sqlite_file(url)
    if path is None or path.exists():
        return
    building = path.with_name(f".{path.name}.{os.getpid()}.new")
    sidecars = [building.with_name(building.name + tail) for tail in ("", "-wal", "-shm")]
    try:
        engine = _sqlite_or_other_engine(url.set(database=str(building)))
        _migrate_or_say_why(engine, where, None)
        _checkpoint_into_file(engine)
        engine.dispose()
        _link_unless_there(building, path)
    except OSError as exc:
        raise StoreError(
            f"cannot create the database: {exc.strerror or exc}", where=where
        ) from None
    finally:
        for leftover in sidecars:
            leftover.unlink(missing_ok=True)


def _engine_options(url: URL) -> dict:
    """PostgreSQL: name the process to the server (the cycle lock's busy message shows it), give
    up on an unreachable server after 10 s rather than the OS's minutes, and test a pooled
    connection before use so ``serve`` outlives a server restart."""
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg":
        return {}
    connect = {k: v for k, v in (("connect_timeout", 10),) if k not in url.query}
    if "application_name" not in url.query:
        connect["application_name"] = f"fragwatch pid {os.getpid()}"
    return {"connect_args": connect, "pool_pre_ping": True}


SQLITE_MAGIC = b"SQLite format 3\x00"


def _sqlite_file(url: URL) -> Path | None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _checkpoint_into_file(engine: Engine) -> None:
    """Copy everything the WAL holds into the database file itself, so that the file alone is
    the whole store (its -wal file is removed, not linked)."""
    raw = engine.raw_connection()
    try:
        busy, _, _ = raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        raw.close()
    if busy:
        raise OSError(errno.EBUSY, "the new store's write-ahead log could not be checkpointed")


def _link_unless_there(built: Path, path: Path) -> None:
    """Give ``built`` the name ``path`` unless a store arrived there first."""
    try:
        os.link(built, path)
    except FileExistsError:
        pass  # another process's store, just as complete: use that one
    except OSError as exc:
        # A file system without hard links: a rename cannot refuse to replace, so look first.
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP) or path.exists():
            raise
        os.rename(built, path)


def _check_sqlite_file(url: URL, where: str) -> None:
    """Refuse, before anything is written, a file that is not a healthy fragwatch store.

    SQLite would happily start a new store in a truncated (0-byte) file, and the WAL pragma
    run on every connection rewrites the header of any SQLite file: so an empty, foreign,
    damaged or read-only file is checked here, with reads only, and left as it is.
    """
    path = _sqlite_file(url)
    if path is None or not path.exists():
        return
    if not path.is_file():
        raise StoreError(f"{path} is not a file", where="database_url")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}", where=where) from None
    if not head:
        raise StoreError(
            f"{path} is empty (0 bytes), not a fragwatch store: restore it from a backup, or"
            " remove it to start a new store",
            where=where,
        )
    if head != SQLITE_MAGIC:
        raise StoreError(f"{path} is not a SQLite database; it is left untouched", where=where)
    # No write bit counts as read-only even for root, who could write anyway: the owner said so.
    writable = os.access(path, os.W_OK) and path.stat().st_mode & 0o222
    if not writable or not os.access(path.parent, os.W_OK):
        which = path if not writable else path.parent
        raise StoreError(
            f"{which} is read-only: fragwatch writes the store (and its -wal file beside it)",
            where=where,
        )
    if Path(f"{path}-wal").exists():
        return  # a writer may be at work: its checkpoint would look like damage to a raw read
    try:
        # immutable: read the file as it is, creating no -wal or -shm file beside it.
        raw = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
        try:
            check = raw.execute("PRAGMA quick_check(1)").fetchone()[0]
            tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
        finally:
            raw.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is damaged or not a database ({exc})", where=where) from None
    if check != "ok":
        raise StoreError(
            f"{path} is damaged (SQLite integrity check: {' '.join(str(check).split())[:120]});"
            " restore it from a backup",
            where=where,
        )
    if tables and "schema_version" not in tables:
        shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
        raise StoreError(
            f"{path} holds tables ({shown}) but no fragwatch schema version: it was not"
            " created by fragwatch, so it is left untouched",
            where=where,
        )


def _make_parent_folder(url: URL, where: str) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return  # in-memory, or a sqlite URI the driver resolves itself
    try:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the database folder: {exc.strerror or exc}", where=where
        ) from None


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # PRAGMAs that change the journal must run outside a transaction: take the driver out
        # of its implicit-BEGIN mode first (``_sqlite_transactions`` relies on this too).
        if engine.driver == "pysqlite":
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # WAL is a property of the file and persists, but setting it on every connection
            # costs nothing and covers a file created by another tool.
            cursor.execute("PRAGMA journal_mode=WAL")
            # Off by default in SQLite, per connection: without it REFERENCES is decoration.
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 driver, emit BEGIN.

    The driver's legacy mode begins a transaction only before INSERT/UPDATE/DELETE, so CREATE
    TABLE in a migration would commit on its own and a read-then-write would not be isolated.
    BEGIN IMMEDIATE takes the write lock up front: two writers (scheduler and CLI) queue on the
    busy timeout instead of one failing with "database is locked" half-way through, and the
    outbox claim (read due rows, mark them sending) cannot race another sender.
    """

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


# Execution option naming the SQLite BEGIN mode of a connection (see ``read_connection``).
_BEGIN_OPTION = "fragwatch_sqlite_begin"


def read_connection(engine: Engine) -> Connection:
    """A connection for reading only: on SQLite its transactions take no write lock.

    Writers use ``engine.begin()`` (BEGIN IMMEDIATE). A reader opened here gets a WAL snapshot
    with a deferred BEGIN, so ``fragwatch history`` never waits behind the scheduler's write.
    On other backends it is an ordinary connection.
    """
    return engine.connect().execution_options(**{_BEGIN_OPTION: "DEFERRED"})
