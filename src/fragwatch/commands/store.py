"""Opening the store from the settings, for the officer's commands."""

from __future__ import annotations

import getpass
import os


def engine_of(obj):
    from fragwatch.store.engine import open_store

    return open_store(obj.settings().database_url)


def who() -> str:
    """Who is acting, for acknowledgements and silences (``--by`` overrides)."""
    try:
        return os.environ.get("FRAGWATCH_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
