"""The desk's views computed in a forked, lower-priority process.

A view (the overview rows, a country) costs a few hundred ms of Python when the store has
moved; computed in the web process it holds the GIL while pages are being served, and during a
``serve`` catch-up on a two-core machine that is what pushed the pages' p95 latency up. The
worker is forked from the web process before the server starts (it shares the loaded evidence
copy-on-write), lowers its own priority, opens its own database connections, and answers one
call at a time over a pipe; the web process only waits for the answer (no GIL held) and keeps
serving the previous view meanwhile.
"""

from __future__ import annotations

import multiprocessing
import os
import threading

NICE = 10  # below the web process and `serve`: a view may wait, a page may not


class ViewWorker:
    def __init__(self, desk) -> None:
        context = multiprocessing.get_context("fork")
        self._pipe, child = context.Pipe()
        self._lock = threading.Lock()
        self.process = context.Process(
            target=_serve, args=(desk, child), name="fragwatch-views", daemon=True
        )
        self.process.start()
        child.close()

    def call(self, method: str, *args):
        """``desk.<method>(*args)`` in the worker; its exception is raised here."""
        with self._lock:
            self._pipe.send((method, args))
            ok, value = self._pipe.recv()
        if ok:
            return value
        raise value


def _serve(desk, pipe) -> None:
    os.nice(NICE)
    desk.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    desk.worker = None
    while True:
        try:
            method, args = pipe.recv()
        except (EOFError, OSError):  # the web process is gone
            return
        try:
            answer = (True, getattr(desk, method)(*args))
        except Exception as exc:  # handed to the caller, raised there
            answer = (False, exc)
        try:
            pipe.send(answer)
        except Exception as exc:  # an answer that does not pickle: say what it was
            pipe.send((False, RuntimeError(f"{method}: {type(exc).__name__}: {exc}")))
