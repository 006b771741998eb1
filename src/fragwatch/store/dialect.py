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


# user:password@ in a URL, also a mistyped one ("postgresql//user:pw@host"): the user starts
# after a slash, a quote, a space or the start (never the scheme: that colon is followed by //);
# the password, which may hold spaces, ends at the last @ before a quote (masking too much
# rather than too little when unquoted).
_PASSWORD = re.compile(r"""((?:^|[/\s'"])[^:/@\s'"]*:)(?!//)[^'"]*@""")


def mask_password(text: str) -> str:
    """``text`` with the password of any URL in it replaced by ``***``."""
    return _PASSWORD.sub(r"\1***@", text)
