"""The web desk's users, read-only API tokens and audit trail in the store.

Like the other store modules, functions take a ``Connection`` and never commit, so a write and
its audit record go into one transaction. Hashing is the caller's job (``web.passwords``): the
store keeps only argon2 hashes and SHA-256 digests of tokens, never a secret.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from fragwatch.errors import UsageError
from fragwatch.store.schema import WEB_ROLES, web_audit, web_tokens, web_users


@dataclass(frozen=True)
class User:
    """A user as the web desk sees it: no password hash (that stays in ``password_hash_of``)."""

    name: str
    role: str
    created_at: datetime


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    who: str
    action: str
    target: str
    detail: str


def add_user(conn: Connection, name: str, role: str, password_hash: str, now: datetime) -> None:
    if role not in WEB_ROLES:
        raise UsageError(f"no role '{role}'; known: {', '.join(WEB_ROLES)}", where="--role")
    if get_user(conn, name) is not None:
        raise UsageError(f"user '{name}' exists already", where="users add")
    conn.execute(
        insert(web_users).values(name=name, role=role, password_hash=password_hash, created_at=now)
    )


def remove_user(conn: Connection, name: str) -> None:
    """Remove a user and every API token issued to them."""
    if conn.execute(delete(web_users).where(web_users.c.name == name)).rowcount == 0:
        raise UsageError(f"no user '{name}'", where="users remove")
    conn.execute(delete(web_tokens).where(web_tokens.c.user_name == name))


def list_users(conn: Connection) -> list[User]:
    rows = conn.execute(
        select(web_users.c.name, web_users.c.role, web_users.c.created_at).order_by(
            web_users.c.name
        )
    )
    return [User(r.name, r.role, r.created_at) for r in rows]


def get_user(conn: Connection, name: str) -> User | None:
    row = conn.execute(
        select(web_users.c.name, web_users.c.role, web_users.c.created_at).where(
            web_users.c.name == name
        )
    ).first()
    return None if row is None else User(row.name, row.role, row.created_at)


def password_hash_of(conn: Connection, name: str) -> str | None:
    """The stored argon2 hash, for verifying a login on the server; None for no such user."""
    return conn.scalar(select(web_users.c.password_hash).where(web_users.c.name == name))


def set_password_hash(conn: Connection, name: str, password_hash: str) -> None:
    """Replace a hash (argon2 rehash after a parameter change)."""
    conn.execute(
        web_users.update().where(web_users.c.name == name).values(password_hash=password_hash)
    )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_token(conn: Connection, name: str, token: str, now: datetime) -> None:
    if get_user(conn, name) is None:
        raise UsageError(f"no user '{name}'", where="users token")
    conn.execute(
        insert(web_tokens).values(user_name=name, token_hash=token_digest(token), created_at=now)
    )


def user_of_token(conn: Connection, token: str) -> User | None:
    """The user a token was issued to (None for an unknown token or a removed user)."""
    name = conn.scalar(
        select(web_tokens.c.user_name).where(web_tokens.c.token_hash == token_digest(token))
    )
    return None if name is None else get_user(conn, name)


def audit(
    conn: Connection, who: str, action: str, target: str, now: datetime, detail: str = ""
) -> None:
    """Record a write: who did what to which thing, and when."""
    conn.execute(
        insert(web_audit).values(at=now, who=who, action=action, target=target, detail=detail)
    )


def audit_trail(conn: Connection, limit: int = 200) -> list[AuditRecord]:
    """The latest records, newest first."""
    rows = conn.execute(
        select(web_audit).order_by(web_audit.c.at.desc(), web_audit.c.id.desc()).limit(limit)
    )
    return [AuditRecord(r.at, r.who, r.action, r.target, r.detail) for r in rows]
