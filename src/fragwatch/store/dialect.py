"""What differs between the store's backends: the upsert statement and a masked URL.

SQLite and PostgreSQL both have ``INSERT ... ON CONFLICT``, and SQLAlchemy spells it the same
way for both (``on_conflict_do_update`` / ``on_conflict_do_nothing``); only the ``insert``
construct comes from the dialect's module. Other backends get None and the caller's
select-then-write fallback.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

_UPSERT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def upsert_insert(conn: Connection, table: Table):
    """The dialect's ``insert`` with ``on_conflict_*`` for ``table``, or None on other backends."""
    make = _UPSERT_INSERTS.get(conn.dialect.name)
    return None if make is None else make(table)


# user:password@ in a URL (the password ends at the last @ before the host).
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^\s]*@")


def mask_password(text: str) -> str:
    """``text`` with the password of any URL in it replaced by ``***``."""
    return _PASSWORD.sub(r"\1***@", text)
