"""The tables of the store, as SQLAlchemy Core metadata.

This is the schema of the newest version; ``migrations`` is what brings a database to it. Every
timestamp is UTC (see ``UTCDateTime``); every date is a calendar date with no time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

# Named constraints, so a later migration can drop or alter them by name on any backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and returned as an aware UTC ``datetime``.

    SQLite has no time zone type and SQLAlchemy silently drops ``tzinfo`` there, so a local
    time would be stored as if it were UTC. Converting on the way in (and refusing naive values)
    keeps every backend's column comparable, which the outbox's ``next_attempt_at <= now`` and
    the silences' ``ends_at > now`` rely on.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timestamps with a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Digests are SHA-256 hex strings (64 characters).
DIGEST = String(64)

schema_version = Table(
    "schema_version",
    metadata,
    # One row per applied migration; the store's version is the highest. Keeping every row (not
    # a single counter) records when each step ran, which is what one asks after an upgrade.
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("country", String(3), nullable=False),  # ISO3
    Column("as_of", Date, nullable=False),  # the point in time assessed (evidence known by then)
    # NULL when the score is withheld (coverage below the model's minimum): a withheld period is
    # still a run that happened, and alert rules on staleness need to see it.
    Column("score", Float, nullable=True),
    Column("band", String(32), nullable=False),  # "withheld" when the score is withheld
    Column("coverage", Float, nullable=False),  # share of indicator weight with fresh evidence
    # Hash of the model config: part of the key, so a changed model writes a new series instead
    # of overwriting what the old model said (both stay comparable in history).
    Column("model_digest", DIGEST, nullable=False),
    # Hash of the evidence known as of ``as_of``: not part of the key. A re-run with new evidence
    # for the same period replaces the row; a re-run with the same evidence changes nothing.
    Column("evidence_digest", DIGEST, nullable=False),
    # ``Assessment.to_dict()`` as JSON text: the full decomposition with evidence ids, so an
    # alert or report can explain a past score without recomputing it. JSON text rather than a
    # JSON type so every backend stores it the same way and the upsert can compare it.
    Column("payload", Text, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),  # last time the row was written
    # Column order (country, model_digest, as_of) makes the unique index also serve
    # "latest as_of for a country and model" and per-country history scans.
    UniqueConstraint("country", "model_digest", "as_of"),
)

ALERT_STATES = ("inactive", "pending", "firing", "resolved")

alert_state = Table(
    "alert_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule", String(200), nullable=False),  # rule name from alerts.toml
    # What the rule is about: a country ("TJK") or a country and indicator
    # ("TJK:remittances_gdp") or a job ("job:assess"); inhibition matches indicator subjects
    # under a country.
    Column("subject", String(200), nullable=False),
    Column("state", String(16), nullable=False, default="inactive"),
    # Consecutive runs the condition has held while pending: fires when it reaches the rule's N.
    Column("pending_runs", Integer, nullable=False, default=0),
    # The period last evaluated: a re-run of the same period must not count as another run
    # towards ``pending_runs`` (the scheduler catches up and may repeat a period).
    Column("last_as_of", Date, nullable=True),
    Column("last_value", Float, nullable=True),  # value the rule saw last (for jump rules, emails)
    Column("state_since", UTCDateTime, nullable=False),  # when the current state was entered
    Column("last_evaluated_at", UTCDateTime, nullable=True),
    Column("fired_at", UTCDateTime, nullable=True),  # start of the current (or last) firing
    Column("resolved_at", UTCDateTime, nullable=True),
    # Reminders: the next one is due at last_notified_at + the rule's repeat interval.
    Column("last_notified_at", UTCDateTime, nullable=True),
    Column("notifications", Integer, nullable=False, default=0),  # sent for this firing
    # An officer's acknowledgement of the current firing: reminders stop until it resolves.
    Column("acked_at", UTCDateTime, nullable=True),
    Column("acked_by", String(200), nullable=True),
    CheckConstraint(f"state IN {ALERT_STATES!r}", name="state"),
    UniqueConstraint("rule", "subject"),
)

silences = Table(
    "silences",
    metadata,
    Column("id", Integer, primary_key=True),
    # Shell-style patterns (fnmatch): "*" silences every rule or subject.
    Column("rule_pattern", String(200), nullable=False, default="*"),
    Column("subject_pattern", String(200), nullable=False, default="*"),
    # Every silence ends: an open-ended silence is how an alert goes quiet for good by mistake.
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),  # who to ask why
    Column("comment", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "ends_at"),  # "active silences" is ends_at > now
)

OUTBOX_STATES = ("pending", "sending", "sent", "dead")

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    # Identity of the message (e.g. rule, subject, firing start, kind): written in the same
    # transaction as the assessment and alert state, so a re-run inserts nothing twice.
    Column("dedupe_key", String(300), nullable=False, unique=True),
    # Derived from the dedupe key, so a resend after a crash carries the same Message-ID and
    # mail clients collapse the duplicate.
    Column("message_id", String(300), nullable=False),
    Column("kind", String(32), nullable=False, default="alert"),  # alert | report
    Column("recipients", Text, nullable=False),  # JSON list of addresses
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),  # the whole MIME message, ready to send
    Column("state", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    # Backoff (with jitter) lives here rather than in memory, so a restart keeps it.
    Column("next_attempt_at", UTCDateTime, nullable=False),
    # When a sender moved the row to "sending": a row left there by a crashed sender is claimed
    # again once this is older than the lease.
    Column("claimed_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),  # SMTP reply or exception text; dead letters show it
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    CheckConstraint(f"state IN {OUTBOX_STATES!r}", name="state"),
    Index(None, "state", "next_attempt_at"),  # the sender's "due rows" query
)


# -- the web desk (schema version 2): its users, read-only API tokens and the audit trail ------

WEB_ROLES = ("reader", "analyst", "officer", "admin")

web_users = Table(
    "web_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    # An argon2 hash (PHC string, salt and parameters included); never the password.
    Column("password_hash", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint(f"role IN {WEB_ROLES!r}", name="role"),
)

web_tokens = Table(
    "web_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_name", String(100), nullable=False),
    # SHA-256 of the token: the token itself is shown once and never stored.
    Column("token_hash", DIGEST, nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

web_audit = Table(
    "web_audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("who", String(200), nullable=False),
    Column("action", String(64), nullable=False),  # e.g. alert.ack, silence.add, user.add
    Column("target", Text, nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),
    Index(None, "at"),
)
