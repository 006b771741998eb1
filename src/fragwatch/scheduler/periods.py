"""Periods of the assess schedule: which ones are due, caught up from the store.

A period is one firing of ``schedule.assess_cron`` (UTC); it is assessed as of its calendar date.
The scheduler's own job store is never trusted for catch-up (DESIGN §9): the last period the store
holds is, and every firing after it up to now is due, once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from apscheduler.triggers.cron import CronTrigger

from fragwatch.crontab import cron_trigger


def assess_trigger(cron: str) -> CronTrigger:
    """The trigger of a schedule written as a standard crontab (weekdays 0 = Sunday)."""
    return cron_trigger(cron)


def _firings(trigger: CronTrigger, after: datetime, until: datetime) -> list[datetime]:
    """Fire times t with after < t <= until, in order."""
    out: list[datetime] = []
    previous = None
    t = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    while t is not None and t <= until:
        out.append(t)
        previous = t
        t = trigger.get_next_fire_time(previous, t + timedelta(microseconds=1))
    return out


def current_period(trigger: CronTrigger, now: datetime) -> datetime:
    """The latest firing at or before ``now`` (searching back as far as a year and a day)."""
    # Widen the window step by step: a five-minute cron must not enumerate a year of firings.
    for days in (1, 32, 367):
        firings = _firings(trigger, now - timedelta(days=days), now)
        if firings:
            return firings[-1]
    raise ValueError("the assess schedule has not fired in the past year")


def previous_period(trigger: CronTrigger, day: date) -> date:
    """The date of the latest firing before ``day``: the period a report compares with."""
    before = datetime.combine(day, time(), UTC) - timedelta(microseconds=1)
    return current_period(trigger, before).date()


def due_periods(
    trigger: CronTrigger, now: datetime, last: date | None, backfill_from: date | None = None
) -> list[datetime]:
    """Firings still to assess, oldest first, at most one per calendar date.

    With a stored last period, every firing on a later date up to ``now``; with none, those from
    ``backfill_from`` on, or else only the current period.
    """
    if last is not None:
        start = datetime.combine(last + timedelta(days=1), time(), UTC) - timedelta(microseconds=1)
    elif backfill_from is not None:
        start = datetime.combine(backfill_from, time(), UTC) - timedelta(microseconds=1)
    else:
        return [current_period(trigger, now)]
    firings = _firings(trigger, start, now)
    # A cron firing several times a day assesses the same as-of date: keep the day's last one.
    by_date = {t.date(): t for t in firings}
    return sorted(by_date.values())
