"""Password hashing with argon2id (argon2-cffi), and API token generation."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory defaults

MIN_LENGTH = 10

# Verified when the user does not exist, so a login for an unknown name takes as long as one
# for a known name with a wrong password (names cannot be probed by timing).
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def new_token() -> str:
    """A read-only API token: 32 random bytes, URL-safe, with a prefix that says what it is."""
    return "fwt_" + secrets.token_urlsafe(32)
