"""One service cycle at a time per store: an advisory file lock beside the database.

Two ``run-once`` processes (or ``run-once`` beside ``serve``) on one store would both assess,
both draw the report charts into the same folder and both deliver: one of them then reads files
the other is replacing and mails a spurious job failure. The cycle (assess, report, deliver)
holds an exclusive ``flock`` on ``<database>.lock``; the other process waits for it a while and
then says "busy" on one line. The kernel drops the lock when its holder exits, even on SIGKILL,
so a crashed process never leaves the store locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine

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
