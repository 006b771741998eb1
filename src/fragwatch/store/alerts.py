"""Alert state, acknowledgements and silences in the store.

Like ``assessments``, functions take a ``Connection`` and never commit: the scheduler writes an
assessment, the alert states it moves and the outbox rows they cause in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from fragwatch.alerts.lifecycle import AlertState, Silence
from fragwatch.errors import UsageError
from fragwatch.store.schema import alert_state, silences


@dataclass(frozen=True)
class StoredAlert:
    """An alert as the officer sees it: the lifecycle state and what the store knows besides."""

    state: AlertState
    shown_state: str  # inactive | pending | firing | resolved
    last_as_of: date | None
    last_value: float | None
    state_since: datetime
    last_evaluated_at: datetime | None
    resolved_at: datetime | None
    notifications: int
    acked_by: str | None


def _stored(row) -> StoredAlert:
    # "resolved" is a display state: to the lifecycle a resolved alert is inactive again.
    lifecycle = "inactive" if row.state == "resolved" else row.state
    state = AlertState(
        row.rule,
        row.subject,
        lifecycle,
        row.pending_runs,
        since=row.fired_at if lifecycle == "firing" else None,
        last_notified=row.last_notified_at,
        acked_at=row.acked_at,
    )
    return StoredAlert(
        state, row.state, row.last_as_of, row.last_value, row.state_since,
        row.last_evaluated_at, row.resolved_at, row.notifications, row.acked_by,
    )  # fmt: skip


def load_alerts(conn: Connection, *, lock: bool = False) -> dict[tuple[str, str], StoredAlert]:
    """Every stored alert, keyed by (rule, subject).

    ``lock`` is for a writer that will save these states back in the same transaction: on
    PostgreSQL the rows are locked (``FOR UPDATE``) until it commits, so an acknowledgement
    made meanwhile on the web desk waits and then applies, instead of being overwritten by the
    state read before it. (SQLite's BEGIN IMMEDIATE already serialises the two writers; the
    clause is left out there.)
    """
    query = select(alert_state)
    if lock:
        query = query.with_for_update()
    rows = conn.execute(query).all()
    return {(r.rule, r.subject): _stored(r) for r in rows}


def save_alert(
    conn: Connection,
    before: StoredAlert | None,
    after: AlertState,
    *,
    resolved: bool,
    notified: bool,
    as_of: date | None,
    value: float | None,
    now: datetime,
    period: datetime | None = None,
) -> None:
    """Write one alert's state after a run (insert on first sight).

    ``period`` is the period the run assessed: a state's start and a resolution are dated by
    it (a backfill run today dates what it finds in 2016 in 2016); ``now`` is the run's clock.
    """
    at = period or now
    shown = "resolved" if resolved else after.state
    changed = before is None or before.shown_state != shown
    values = {
        "state": shown,
        "pending_runs": after.pending_runs,
        "last_as_of": as_of,
        "last_value": value,
        "last_evaluated_at": now,
        "last_notified_at": after.last_notified,
        "acked_at": after.acked_at,
    }
    if changed:
        values["state_since"] = at
    if after.state == "firing" and (before is None or before.state.state != "firing"):
        values.update(fired_at=after.since, notifications=0, acked_by=None)
    if resolved:
        values.update(resolved_at=at, acked_at=None, acked_by=None)
    if notified:
        values["notifications"] = (0 if "notifications" in values else before.notifications) + 1
    if before is None:
        conn.execute(
            insert(alert_state).values(
                rule=after.rule, subject=after.subject, **{"state_since": at, **values}
            )
        )
        return
    conn.execute(
        update(alert_state)
        .where(alert_state.c.rule == after.rule, alert_state.c.subject == after.subject)
        .values(**values)
    )


def acknowledge(conn: Connection, rule: str, subject: str, by: str, now: datetime) -> None:
    """Stop reminders for a firing alert until it resolves; refuse anything not firing."""
    row = conn.execute(
        select(alert_state.c.state).where(
            alert_state.c.rule == rule, alert_state.c.subject == subject
        )
    ).first()
    if row is None:
        raise UsageError(f"no alert '{rule}' for subject '{subject}'", where="alerts ack")
    if row.state != "firing":
        raise UsageError(
            f"alert '{rule}' for '{subject}' is {row.state}, not firing: nothing to acknowledge",
            where="alerts ack",
        )
    conn.execute(
        update(alert_state)
        .where(alert_state.c.rule == rule, alert_state.c.subject == subject)
        .values(acked_at=now, acked_by=by)
    )


@dataclass(frozen=True)
class StoredSilence:
    id: int
    silence: Silence
    created_by: str
    comment: str
    created_at: datetime


def add_silence(
    conn: Connection, silence: Silence, *, created_by: str, comment: str, now: datetime
) -> int:
    if silence.ends_at <= now:
        raise UsageError(
            f"the silence would end at {silence.ends_at:%Y-%m-%d %H:%M} UTC, which is not in the"
            " future",
            where="alerts silence",
        )
    result = conn.execute(
        insert(silences).values(
            rule_pattern=silence.rule,
            subject_pattern=silence.subject,
            ends_at=silence.ends_at,
            created_by=created_by,
            comment=comment,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])


def list_silences(conn: Connection, now: datetime | None = None) -> list[StoredSilence]:
    """Silences, soonest end first; with ``now``, only those still in force."""
    query = select(silences).order_by(silences.c.ends_at, silences.c.id)
    if now is not None:
        query = query.where(silences.c.ends_at > now)
    return [
        StoredSilence(
            r.id,
            Silence(r.rule_pattern, r.subject_pattern, r.ends_at),
            r.created_by,
            r.comment,
            r.created_at,
        )
        for r in conn.execute(query).all()
    ]


def remove_silence(conn: Connection, silence_id: int) -> None:
    if conn.execute(delete(silences).where(silences.c.id == silence_id)).rowcount == 0:
        raise UsageError(f"no silence with id {silence_id}", where="alerts unsilence")


def latest_evaluation(conn: Connection) -> datetime | None:
    """When the alert rules were last evaluated (the store's own clock), or None."""
    return conn.scalar(select(func.max(alert_state.c.last_evaluated_at)))
