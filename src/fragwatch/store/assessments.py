"""Assessment history: idempotent save, last assessed period, history as a table.

Functions take a ``Connection`` and never commit: the caller owns the transaction, so an
assessment, the alert state it changes and the outbox rows it causes are written together or not
at all (DESIGN §8).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update

from fragwatch.scoring.assessment import Assessment
from fragwatch.store.dialect import upsert_insert
from fragwatch.store.schema import assessments, utcnow

HISTORY_COLUMNS = [
    "country",
    "as_of",
    "score",
    "band",
    "coverage",
    "model_digest",
    "evidence_digest",
    "computed_at",
]

_KEY = ("country", "model_digest", "as_of")
_VALUES = ("score", "band", "coverage", "evidence_digest", "payload", "computed_at")


def assessment_row(assessment: Assessment, computed_at: datetime | None = None) -> dict:
    """The ``assessments`` row of an assessment (score NULL when withheld)."""
    payload = assessment.to_dict()
    return {
        "country": assessment.country,
        "as_of": pd.Timestamp(assessment.as_of).date(),
        "score": None if math.isnan(assessment.score) else float(assessment.score),
        "band": assessment.band,
        "coverage": float(assessment.coverage),
        "model_digest": assessment.model_digest,
        "evidence_digest": assessment.evidence_digest,
        # Sorted keys and no NaN: the same assessment always gives the same text, which is what
        # makes an unchanged re-run a no-op.
        "payload": json.dumps(payload, sort_keys=True, allow_nan=False, ensure_ascii=False),
        "computed_at": computed_at or utcnow(),
    }


def save_assessment(
    conn: Connection, assessment: Assessment, *, computed_at: datetime | None = None
) -> bool:
    """Insert or update the assessment's row keyed on (country, as_of, model_digest).

    Re-saving an identical assessment changes nothing (not even ``computed_at``); new evidence
    for the same period replaces the row. Returns whether a row was inserted or changed, so a
    caller can skip alert evaluation for a re-run that found nothing new.
    """
    row = assessment_row(assessment, computed_at)
    stmt = upsert_insert(conn, assessments)
    if stmt is None:
        return _upsert_generic(conn, row)
    return _upsert(conn, stmt, row)


def _upsert(conn: Connection, stmt, row: dict) -> bool:
    """One ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` (SQLite, PostgreSQL): no race between
    two writers of the same new key, and no write at all for an unchanged payload."""
    stmt = stmt.values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=[assessments.c[k] for k in _KEY],
        set_={k: stmt.excluded[k] for k in _VALUES},
        # Only when something differs; the payload holds every value column but computed_at.
        where=assessments.c.payload != stmt.excluded.payload,
    )
    # A row comes back only when one was written (rowcount is -1 on PostgreSQL once SQLAlchemy
    # adds its own RETURNING for the primary key).
    return conn.execute(stmt.returning(assessments.c.id)).first() is not None


def _upsert_generic(conn: Connection, row: dict) -> bool:
    """Select-then-write for backends without a dialect upsert used here.

    Runs inside the caller's transaction; two writers racing on the same new key make one of
    them fail on the unique constraint rather than write twice.
    """
    key = [assessments.c[k] == row[k] for k in _KEY]
    stored = conn.execute(select(assessments.c.id, assessments.c.payload).where(*key)).first()
    if stored is None:
        conn.execute(insert(assessments).values(**row))
        return True
    if stored.payload == row["payload"]:
        return False
    conn.execute(
        update(assessments)
        .where(assessments.c.id == stored.id)
        .values(**{k: row[k] for k in _VALUES})
    )
    return True


def last_assessed(conn: Connection, country: str, model_digest: str) -> date | None:
    """The latest ``as_of`` stored for a country under a model, or None if there is none.

    The scheduler catches up missed periods from here rather than from its own job store.
    """
    return conn.scalar(
        select(func.max(assessments.c.as_of)).where(
            assessments.c.country == country, assessments.c.model_digest == model_digest
        )
    )


def history(conn: Connection, country: str, model_digest: str | None = None) -> pd.DataFrame:
    """Stored assessments of a country, oldest first, one row per (as_of, model).

    Columns are ``HISTORY_COLUMNS``: ``as_of`` as datetime64, ``score`` NaN when withheld,
    ``computed_at`` as UTC timestamps. With no ``model_digest`` every model's rows are returned
    (a period assessed under two models appears twice).
    """
    query = select(*(assessments.c[c] for c in HISTORY_COLUMNS)).where(
        assessments.c.country == country
    )
    if model_digest is not None:
        query = query.where(assessments.c.model_digest == model_digest)
    query = query.order_by(assessments.c.as_of, assessments.c.computed_at, assessments.c.id)
    rows = conn.execute(query).all()

    frame = pd.DataFrame([tuple(r) for r in rows], columns=HISTORY_COLUMNS)
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    frame["score"] = frame["score"].astype(float)
    frame["coverage"] = frame["coverage"].astype(float)
    frame["computed_at"] = pd.to_datetime(frame["computed_at"], utc=True)
    return frame


def stored_at(conn: Connection, country: str, as_of: date) -> list[Assessment]:
    """Every assessment stored for a country at one date (one per model), oldest write first.

    A report compares with what the service said then, which may be under an older model.
    """
    query = (
        select(assessments.c.payload)
        .where(assessments.c.country == country, assessments.c.as_of == as_of)
        .order_by(assessments.c.computed_at, assessments.c.id)
    )
    return [Assessment.from_dict(json.loads(p)) for p in conn.scalars(query)]


def stored_series(
    conn: Connection, country: str, model_digest: str, until: date
) -> list[Assessment]:
    """A country's stored runs under one model up to ``until``, oldest first.

    The alerts of a past date are replayed from these (``alerts.lifecycle.replay``).
    """
    query = (
        select(assessments.c.payload)
        .where(
            assessments.c.country == country,
            assessments.c.model_digest == model_digest,
            assessments.c.as_of <= until,
        )
        .order_by(assessments.c.as_of)
    )
    return [Assessment.from_dict(json.loads(p)) for p in conn.scalars(query)]
