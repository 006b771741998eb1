"""A long-lived process that runs the real ``fragwatch`` command once per request.

The bad-input catalogue runs several hundred commands; starting Python, pandas and the CLI for
each would take most of its time. This worker is started once, as a subprocess, and runs
``fragwatch.cli.main(argv)`` (the real entry point, the same code ``python -m fragwatch.cli``
runs) for each request read from stdin: one JSON line ``{"argv", "cwd", "env", "stdin"}``.
It answers with one JSON line ``{"code", "stdout", "stderr"}``. Anything that escapes ``main``
is reported as its traceback on stderr with exit code 99, so a crash is never hidden.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
import traceback


class _Captured(io.StringIO):
    """A text stream with a ``buffer``, as commands writing bytes to stdout expect."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = io.BytesIO()

    def value(self) -> str:
        return self.getvalue() + self.buffer.getvalue().decode("utf-8", "replace")


def run_one(request: dict) -> dict:
    from fragwatch.cli import main

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    out, err = _Captured(), _Captured()
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(request.get("stdin") or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(request["argv"])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # a crash is the finding: show it, do not hide it
                traceback.print_exc(file=err)
                code = 99
    finally:
        # run-once and serve configure logging on stderr: undo it for the next request.
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return {"code": code, "stdout": out.value(), "stderr": err.value()}


def serve() -> None:
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    for line in sys.stdin:
        channel.write(json.dumps(run_one(json.loads(line))) + "\n")
        channel.flush()


if __name__ == "__main__":
    serve()
