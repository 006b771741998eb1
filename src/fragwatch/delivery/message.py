"""Message identity and header hygiene shared by every kind of mail fragwatch sends."""

from __future__ import annotations

import hashlib
import re

# Control characters (CR and LF above all) end a header line: a value that carries one could
# add a header of its own ("...\r\nBcc: someone@elsewhere"). Data-derived header text goes
# through ``header_safe`` first.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
_SPACES = re.compile(r"\s+")


def header_safe(text: object, limit: int = 200) -> str:
    """One line of header text: control characters become spaces, length is capped."""
    flat = _SPACES.sub(" ", _CONTROL.sub(" ", str(text))).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "\u2026"


def message_id(dedupe_key: str, sender: str) -> str:
    """A Message-ID derived from the dedupe key: a resend carries the same one.

    The domain is the sender's, so the id is globally unique as RFC 5322 asks; the local part
    is a hash, so nothing of the key (rule names, subjects) leaks into a header unescaped.
    """
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:40]
    domain = sender.rpartition("@")[2] or "fragwatch.invalid"
    return f"<{digest}@{domain}>"
