"""One service cycle at a time per store: an advisory lock on the file or in the server.

Two ``run-once`` processes (or ``run-once`` beside ``serve``) on one store would both assess,
both draw the report charts into the same folder and both deliver: one of them then reads files
the other is replacing and mails a spurious job failure. The cycle (assess, report, deliver)
holds an exclusive ``flock`` on ``<database>.lock``; the other process waits for it a while and
then says "busy" on one line. The kernel drops the lock when its holder exits, even on SIGKILL,
so a crashed process never leaves the store locked.

On PostgreSQL the lock is a session-level advisory lock of the database (``pg_try_advisory_lock``
polled on a connection of its own, held for the cycle): the server drops it when the session
ends, which a killed process's session does too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from fragwatch.errors import ServiceError


class BusyError(ServiceError):
    """Another fragwatch process is running a cycle on the same store."""

    exit_code = 9


def lock_path(engine: Engine) -> Path | None:
    """``<database file>.lock`` for a SQLite file store; None for other stores."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser().with_name(Path(database).name + ".lock")


@contextlib.contextmanager
def cycle(engine: Engine, wait_seconds: float = 60.0, poll: float = 0.2) -> Iterator[None]:
    """Hold the store's cycle lock; wait up to ``wait_seconds`` for it, then raise BusyError."""
    if engine.dialect.name == "postgresql":
        with _server_lock(engine, wait_seconds, poll):
            yield
        return
    path = lock_path(engine)
    if path is None:
        yield
        return
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(handle, 32, 0).decode("ascii", "replace").strip()
                    raise BusyError(
                        f"busy: another fragwatch process{f' (pid {holder})' if holder else ''}"
                        f" is running a cycle on this store; waited {wait_seconds:g} s",
                        where=str(path),
                    ) from None
                time.sleep(poll)
        os.ftruncate(handle, 0)
        os.pwrite(handle, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


# The advisory lock key of a cycle; advisory locks are per database, so this is per store.
_CYCLE_LOCK = 0x66726167_6379636C  # "fragcycl"


@contextlib.contextmanager
def _server_lock(engine: Engine, wait_seconds: float, poll: float) -> Iterator[None]:
    # Autocommit: the lock belongs to the session, and the connection must not sit idle in a
    # transaction for the length of a cycle.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        deadline = time.monotonic() + wait_seconds
        while not conn.scalar(select(func.pg_try_advisory_lock(_CYCLE_LOCK))):
            if time.monotonic() >= deadline:
                holder = _holder(conn)
                where = engine.url.render_as_string(hide_password=True)
                raise BusyError(
                    f"busy: another fragwatch process{f' ({holder})' if holder else ''}"
                    f" is running a cycle on this store; waited {wait_seconds:g} s",
                    where=f"database_url {where}",
                )
            time.sleep(poll)
        try:
            yield
        finally:
            conn.scalar(select(func.pg_advisory_unlock(_CYCLE_LOCK)))


def _holder(conn) -> str:
    """The holder's client address and application name, as far as the server tells this role."""
    row = conn.execute(
        text(
            "SELECT a.application_name, a.client_addr FROM pg_locks l"
            " JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.database = ("
            "  SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND (l.classid::bigint << 32 | l.objid::bigint) = :key"
        ),
        {"key": _CYCLE_LOCK},
    ).first()
    if row is None:
        return ""
    name, addr = row
    return ", ".join(p for p in (name or "", f"from {addr}" if addr else "") if p)
