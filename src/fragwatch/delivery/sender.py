"""Drain the outbox: claim due rows, send each through a notifier, record what happened.

At least once, never lost (DESIGN §8): a row is claimed in a committed transaction before it is
sent and marked in another one after, so a crash in between leaves it ``sending`` until the
lease runs out and it is sent again, with the same Message-ID.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from sqlalchemy import Engine

from fragwatch.delivery import outbox
from fragwatch.delivery.notifiers.base import (
    ConnectionDeliveryError,
    DeliveryError,
    Notifier,
    PermanentDeliveryError,
)
from fragwatch.delivery.outbox import OutboxRow

log = logging.getLogger("fragwatch.delivery")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry, and how many rows one run takes on."""

    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    max_attempts: int = 20
    # Longer than any one batch can take to send, or a slow batch is sent twice.
    lease_seconds: float = 300.0
    batch_size: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.base_seconds <= self.max_seconds:
            raise ValueError("retry delays need 0 < base_seconds <= max_seconds")
        if self.max_attempts < 1 or self.batch_size < 1 or self.lease_seconds <= 0:
            raise ValueError("max_attempts, batch_size and lease_seconds must be positive")

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        """The wait after the ``attempts``-th failed attempt (1 for the first).

        Exponential, capped, then scaled by a random factor in [0.5, 1.0]: rows that failed
        together (a server outage) do not all come back in the same second.
        """
        if attempts < 1:
            raise ValueError(f"attempts must be >= 1, not {attempts}")
        # Cap the exponent too: 2 ** 5000 is an int a float cannot hold.
        capped = min(self.base_seconds * 2.0 ** min(attempts - 1, 64), self.max_seconds)
        return timedelta(seconds=capped * rng.uniform(0.5, 1.0))


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    sent: int = 0
    retrying: int = 0  # attempted and failed; pending again with backoff
    dead: int = 0
    # Claimed but not attempted because the channel was down: pending again, no attempt counted.
    deferred: int = 0
    errors: list[str] = field(default_factory=list)  # one line per failure, message id first

    @property
    def ok(self) -> bool:
        """Nothing failed in this run (an empty run is ok)."""
        return not self.errors and self.retrying == 0 and self.dead == 0 and self.deferred == 0


def deliver_due(
    engine: Engine,
    notifier: Notifier,
    now: datetime,
    policy: RetryPolicy,
    *,
    sender: str,
    rng: random.Random | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DeliveryReport:
    """Send the rows due at ``now`` (one batch of at most ``policy.batch_size``).

    ``sender`` is the envelope sender (SMTP MAIL FROM). The notifier is opened only when
    there is something to send. When it reports the channel itself unusable
    (``ConnectionDeliveryError``) the run stops: the row being sent is retried with backoff and
    the rest of the batch waits as long without an attempt counted.

    ``now`` decides what is due and when to retry (a fixed clock in tests); ``clock`` is the
    real time each message is handed over: its ``Date:`` header and its ``sent_at``. A mail
    composed for a period days ago, or queued at a cycle's start, is dated when it is sent.
    """
    rng = rng if rng is not None else random.Random()
    report = DeliveryReport()
    with engine.begin() as conn:
        batch = outbox.claim_due(
            conn, now, lease_seconds=policy.lease_seconds, limit=policy.batch_size
        )
    if not batch:
        return report
    log.debug("%d message(s) due, sending via %s", len(batch), notifier.describe())

    index = -1  # batch[index] is the row in hand; the ones after it are untouched
    try:
        with ExitStack() as stack:
            try:
                stack.enter_context(notifier)
            except DeliveryError as exc:
                _channel_down(engine, notifier, batch, exc, now, policy, rng, report)
                return report
            for index, row in enumerate(batch):
                try:
                    raw = stamp_date(row.body, clock()).encode("utf-8")
                    note = notifier.send(raw, sender, list(row.recipients))
                except ConnectionDeliveryError as exc:
                    _channel_down(engine, notifier, batch[index:], exc, now, policy, rng, report)
                    return report
                except PermanentDeliveryError as exc:
                    _dead(engine, row, exc.message, now, report)
                except DeliveryError as exc:
                    _failed(engine, row, exc.message, now, policy, rng, report)
                else:
                    _sent(engine, row, note, clock(), report)
    except BaseException:
        # A bug or a database failure: whether batch[index] went out is unknown, so it stays
        # ``sending`` for the lease; the untouched rest need not wait that long.
        _release_quietly(engine, [r.id for r in batch[index + 1 :]], now)
        raise
    return report


_DATE = re.compile(r"^Date:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", re.IGNORECASE | re.MULTILINE)


def stamp_date(wire: str, at: datetime) -> str:
    """The message with its ``Date:`` header set to ``at`` (added when it has none)."""
    head, sep, body = wire.partition("\r\n\r\n")
    if not sep:
        head, sep, body = wire.partition("\n\n")
    line = f"Date: {format_datetime(at.astimezone(UTC))}"
    stamped, count = _DATE.subn(line, head, count=1)
    if not count:
        newline = "\r\n" if "\r\n" in head else "\n"
        stamped = head + newline + line
    return stamped + sep + body


def _sent(
    engine: Engine, row: OutboxRow, note: str | None, now: datetime, report: DeliveryReport
) -> None:
    with engine.begin() as conn:
        outbox.mark_sent(conn, row.id, now, note)
    report.sent += 1
    log.info("sent %s to %d recipient(s)", row.message_id, len(row.recipients))
    if note:
        log.warning("sent %s, but %s", row.message_id, note)


def _failed(
    engine: Engine,
    row: OutboxRow,
    error: str,
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random,
    report: DeliveryReport,
) -> None:
    attempts = row.attempts + 1
    if attempts >= policy.max_attempts:
        _dead(engine, row, f"gave up after {attempts} attempts: {error}", now, report)
        return
    next_at = now + policy.delay(attempts, rng)
    with engine.begin() as conn:
        outbox.mark_retry(conn, row.id, now, error, next_at)
    report.retrying += 1
    report.errors.append(f"{row.message_id}: {error}")
    log.warning(
        "delivery of %s failed (attempt %d), retrying after %s: %s",
        row.message_id,
        attempts,
        next_at.isoformat(timespec="seconds"),
        error,
    )


def _dead(
    engine: Engine, row: OutboxRow, error: str, now: datetime, report: DeliveryReport
) -> None:
    with engine.begin() as conn:
        outbox.mark_dead(conn, row.id, now, error)
    report.dead += 1
    report.errors.append(f"{row.message_id}: {error}")
    log.error("gave up on %s (dead letter %d): %s", row.message_id, row.id, error)


def _channel_down(
    engine: Engine,
    notifier: Notifier,
    rows: Sequence[OutboxRow],
    exc: DeliveryError,
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random,
    report: DeliveryReport,
) -> None:
    """The channel failed: retry the first row, put the others back with the same wait.

    Only the first row's attempts grow, and so its backoff does; the rest follow it. A channel
    failure never makes a dead letter: the message is not at fault, and the CLI shows the
    error on the pending row.
    """
    head, rest = rows[0], rows[1:]
    attempts = head.attempts + 1
    next_at = now + policy.delay(attempts, rng)
    with engine.begin() as conn:
        outbox.mark_retry(conn, head.id, now, exc.message, next_at)
        outbox.release(conn, [r.id for r in rest], next_at)
    report.retrying += 1
    report.deferred += len(rest)
    report.errors.append(f"{head.message_id}: {exc.message}")
    log.warning(
        "cannot deliver via %s, %d message(s) wait until %s: %s",
        notifier.describe(),
        len(rows),
        next_at.isoformat(timespec="seconds"),
        exc.message,
    )


def _release_quietly(engine: Engine, row_ids: list[int], now: datetime) -> None:
    if not row_ids:
        return
    try:
        with engine.begin() as conn:
            outbox.release(conn, row_ids, now)
    except Exception:
        # The original error matters more; these rows come back after the lease anyway.
        log.exception("could not release %d claimed outbox row(s)", len(row_ids))
