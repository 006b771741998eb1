"""The outbox table: enqueue, claim, mark, list and requeue messages.

Functions take a ``Connection`` and never commit: the caller owns the transaction, so an outbox
row is written together with the assessment and alert state that caused it (DESIGN §8). Row
states go pending -> sending -> sent | pending (retry) | dead; ``claimed_at`` is set only while
a row is ``sending``.
"""

from __future__ import annotations

import email.policy
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Connection, and_, insert, or_, select, update

from fragwatch.store.dialect import upsert_insert
from fragwatch.store.schema import OUTBOX_STATES, outbox


@dataclass(frozen=True)
class OutboxRow:
    """One row of ``outbox``, with ``recipients`` decoded from JSON."""

    id: int
    dedupe_key: str
    message_id: str
    kind: str
    recipients: list[str]
    subject: str
    body: str
    state: str
    attempts: int
    next_attempt_at: datetime
    claimed_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def from_row(cls, row) -> OutboxRow:
        values = row._asdict()
        values["recipients"] = json.loads(values["recipients"])
        return cls(**values)


_COLUMNS = [outbox.c[name] for name in OutboxRow.__dataclass_fields__]


def enqueue(
    conn: Connection,
    message: EmailMessage,
    *,
    dedupe_key: str,
    recipients: list[str],
    kind: str,
    now: datetime,
) -> bool:
    """Add a pending message, due ``now``; False (and nothing written) if the key exists.

    The message must carry its Message-ID already (``delivery.message.message_id``); it is
    stored as the full wire text (CRLF line ends) so the sender sends exactly these bytes.
    """
    msgid = str(message["Message-ID"] or "").strip()
    if not msgid:
        raise ValueError(f"message for {dedupe_key!r} has no Message-ID header")
    if not recipients:
        raise ValueError(f"message for {dedupe_key!r} has no recipients")
    for address in recipients:
        # A CR or LF in an envelope address would end the SMTP command line early.
        if not address or any(c in address for c in "\r\n\0"):
            raise ValueError(f"message for {dedupe_key!r}: bad recipient {address!r}")
    row = {
        "dedupe_key": dedupe_key,
        "message_id": msgid,
        "kind": kind,
        "recipients": json.dumps(list(recipients), ensure_ascii=False),
        "subject": str(message["Subject"] or ""),
        "body": message.as_string(policy=email.policy.SMTP),
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_at": None,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
    }
    stmt = upsert_insert(conn, outbox)
    if stmt is not None:  # SQLite, PostgreSQL
        stmt = stmt.values(**row).on_conflict_do_nothing(index_elements=[outbox.c.dedupe_key])
        # Whether a row was inserted: RETURNING, since PostgreSQL reports no rowcount here.
        return conn.execute(stmt.returning(outbox.c.id)).first() is not None
    # Elsewhere: select, then insert. Two writers racing on a new key make one of them fail on
    # the unique constraint rather than enqueue twice.
    exists = conn.scalar(select(outbox.c.id).where(outbox.c.dedupe_key == dedupe_key))
    if exists is not None:
        return False
    conn.execute(insert(outbox).values(**row))
    return True


def has_key(conn: Connection, dedupe_key: str) -> bool:
    """Whether a message with this dedupe key was ever queued (whatever its state now)."""
    return conn.scalar(select(outbox.c.id).where(outbox.c.dedupe_key == dedupe_key)) is not None


def claim_due(
    conn: Connection, now: datetime, *, lease_seconds: float, limit: int
) -> list[OutboxRow]:
    """Claim up to ``limit`` rows to send, newest first, and return them as ``sending``.

    Due rows are pending ones whose ``next_attempt_at`` has come, and ``sending`` ones claimed
    ``lease_seconds`` or more ago: their sender died before marking them. Commit the claim
    before sending, so that such a crash leaves them to be reclaimed rather than lost.
    """
    cutoff = now - timedelta(seconds=lease_seconds)
    due = or_(
        and_(outbox.c.state == "pending", outbox.c.next_attempt_at <= now),
        and_(outbox.c.state == "sending", outbox.c.claimed_at <= cutoff),
    )
    # Newest first: after a catch-up the current period's mail (queued last) goes out before
    # the summary of the past, and a backlog never delays what is happening now.
    query = select(*_COLUMNS).where(due).order_by(outbox.c.id.desc()).limit(limit)
    if conn.dialect.name != "sqlite":
        # SQLite's BEGIN IMMEDIATE already serialises claimers; elsewhere lock the rows.
        query = query.with_for_update(skip_locked=True)
    claimed = [OutboxRow.from_row(r) for r in conn.execute(query)]
    if not claimed:
        return []
    conn.execute(
        update(outbox)
        .where(outbox.c.id.in_([r.id for r in claimed]))
        .values(state="sending", claimed_at=now)
    )
    return [replace(r, state="sending", claimed_at=now) for r in claimed]


def mark_sent(conn: Connection, row_id: int, now: datetime, note: str | None = None) -> None:
    """The server accepted the message; ``note`` records e.g. recipients it refused."""
    _set(
        conn,
        row_id,
        state="sent",
        sent_at=now,
        attempts=outbox.c.attempts + 1,
        claimed_at=None,
        last_error=note,
    )


def mark_retry(
    conn: Connection, row_id: int, now: datetime, error: str, next_attempt_at: datetime
) -> None:
    """A failed attempt that may succeed later: pending again from ``next_attempt_at``."""
    _set(
        conn,
        row_id,
        state="pending",
        attempts=outbox.c.attempts + 1,
        next_attempt_at=next_attempt_at,
        claimed_at=None,
        last_error=error,
    )


def mark_dead(conn: Connection, row_id: int, now: datetime, error: str) -> None:
    """Give up: a dead letter, listed by the CLI until someone requeues it."""
    _set(
        conn,
        row_id,
        state="dead",
        attempts=outbox.c.attempts + 1,
        claimed_at=None,
        last_error=error,
    )


def release(conn: Connection, row_ids: Sequence[int], next_attempt_at: datetime) -> None:
    """Hand claimed rows back unattempted (a batch cut short): no attempt is counted."""
    if not row_ids:
        return
    conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(list(row_ids)), outbox.c.state == "sending")
        .values(state="pending", claimed_at=None, next_attempt_at=next_attempt_at)
    )


def rows(
    conn: Connection, states: Sequence[str] | None = None, limit: int | None = None
) -> list[OutboxRow]:
    """Rows newest first, optionally only those in ``states``."""
    query = select(*_COLUMNS).order_by(outbox.c.id.desc())
    if states is not None:
        unknown = sorted(set(states) - set(OUTBOX_STATES))
        if unknown:
            raise ValueError(f"unknown outbox state(s): {', '.join(unknown)}")
        query = query.where(outbox.c.state.in_(list(states)))
    if limit is not None:
        query = query.limit(limit)
    return [OutboxRow.from_row(r) for r in conn.execute(query)]


def requeue(conn: Connection, row_ids: Sequence[int] | None, now: datetime) -> int:
    """Dead letters back to pending, due ``now``, attempts from zero; returns how many.

    ``None`` requeues every dead letter; ids of rows that are not dead are ignored. The last
    error stays until the next attempt overwrites it.
    """
    query = update(outbox).where(outbox.c.state == "dead")
    if row_ids is not None:
        if not row_ids:
            return 0
        query = query.where(outbox.c.id.in_(list(row_ids)))
    result = conn.execute(
        query.values(state="pending", attempts=0, next_attempt_at=now, claimed_at=None)
    )
    return result.rowcount


def _set(conn: Connection, row_id: int, **values) -> None:
    conn.execute(update(outbox).where(outbox.c.id == row_id).values(**values))
