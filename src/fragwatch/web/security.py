"""Who is asking and what they may do: sessions, API tokens, roles, CSRF, login rate limit.

- A browser logs in and gets a signed session cookie (HttpOnly, SameSite=Strict, Secure under
  TLS) holding the user name and a CSRF token. The user and role are read from the store (at
  most a second old), so a removed user is out within a second.
- A read-only client sends ``Authorization: Bearer <token>`` (``fragwatch users token``); a
  token can read everything its user can read and write nothing, whatever the user's role.
- Every form that writes carries the session's CSRF token; it is compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from fastapi import HTTPException, Request

from fragwatch.store.engine import read_connection
from fragwatch.store.users import get_user, user_of_token

# What each role may do; every role reads.
PERMISSIONS: dict[str, frozenset[str]] = {
    "reader": frozenset({"read"}),
    "analyst": frozenset({"read", "scenario", "review"}),
    "officer": frozenset({"read", "scenario", "alert"}),
    "admin": frozenset({"read", "scenario", "review", "alert", "users"}),
}

SESSION_USER = "user"
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    via_token: bool = False

    def may(self, permission: str) -> bool:
        if self.via_token:
            return permission == "read"
        return permission in PERMISSIONS.get(self.role, frozenset())


class LoginRequired(Exception):
    """No session and no token: a page redirects to the login form, the API answers 401."""


def principal(request: Request) -> Principal | None:
    engine = request.app.state.desk.engine
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with read_connection(engine) as conn:
            user = user_of_token(conn, header[7:].strip())
        if user is None:
            raise HTTPException(401, "unknown API token", {"WWW-Authenticate": "Bearer"})
        return Principal(user.name, user.role, via_token=True)
    name = request.session.get(SESSION_USER)
    if not name:
        return None
    user = _USERS.get(name, lambda: _lookup(engine, name))
    if user is None:  # removed since the login
        request.session.clear()
        return None
    return Principal(user.name, user.role)


class _Recent:
    """Users looked up in the last ``seconds``: a page view then costs no query for its user.
    A removed user or a changed role takes effect within that time."""

    def __init__(self, seconds: float = 1.0) -> None:
        self.seconds = seconds
        self._found: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, name: str, lookup):
        now = time.monotonic()
        with self._lock:
            hit = self._found.get(name)
        if hit is not None and now - hit[0] < self.seconds:
            return hit[1]
        found = lookup()
        with self._lock:
            if len(self._found) > 10_000:
                self._found.clear()
            self._found[name] = (now, found)
        return found


_USERS = _Recent()


def _lookup(engine, name: str):
    with read_connection(engine) as conn:
        return get_user(conn, name)


def reader(request: Request) -> Principal:
    """Dependency of every page and API route: a logged-in user or a token."""
    found = principal(request)
    if found is None:
        raise LoginRequired()
    return found


def require(request: Request, permission: str) -> Principal:
    """For writes: 401 without a login, 403 for a token, a role without the permission, or a
    missing or wrong CSRF token. Call before touching anything."""
    found = principal(request)
    if found is None:
        raise HTTPException(401, "log in first")
    if found.via_token:
        raise HTTPException(403, "API tokens are read-only")
    if not found.may(permission):
        raise HTTPException(403, f"the role '{found.role}' may not do this ({permission})")
    return found


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (the login form has one too)."""
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def check_csrf(request: Request, sent: str | None) -> None:
    expected = request.session.get(SESSION_CSRF)
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


class LoginLimiter:
    """Failed logins are limited per user name (``per_user`` in ``window`` seconds) and per
    client address (``per_address``, higher: a desk shares one proxy address). A blocked login
    is refused before its password is checked."""

    def __init__(self, per_user: int = 5, per_address: int = 30, window: float = 300.0) -> None:
        self.limits = {"user": per_user, "ip": per_address}
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures[key]
        while found and found[0] <= now - self.window:
            found.popleft()
        return found

    def retry_after(self, *keys: str) -> int:
        """Seconds until a login may be tried again; 0 when it may be tried now."""
        now = time.monotonic()
        with self._lock:
            waits = [
                found[0] + self.window - now
                for key in keys
                if len(found := self._recent(key, now)) >= self.limits[key.split(":", 1)[0]]
            ]
        return int(max(waits)) + 1 if waits else 0

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
