"""Standard five-field crontab expressions for APScheduler 3.

APScheduler 3 numbers weekdays from 0 = Monday, where cron (and every crontab a user has
written) numbers them from 0 = Sunday: passed through as is, "0 6 * * 1" would run on Tuesdays
and "*/2" in the weekday field would pick other days. Numbered weekdays are therefore rewritten
to names, which mean the same to both, before APScheduler sees them.
"""

from __future__ import annotations

import re

from apscheduler.triggers.cron import CronTrigger

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron order: 0 (and 7) = Sunday
_PART = re.compile(r"^(\*|\d+|\d+-\d+)(?:/(\d+))?$")


def _weekday_part(part: str) -> str:
    match = _PART.match(part)
    if not match or (match[1] == "*" and match[2] is None):
        return part  # names, '*', or something APScheduler will reject with its own message
    span, step = match[1], int(match[2] or 1)
    if span == "*":
        low, high = 0, 6
    elif "-" in span:
        low, high = (int(x) for x in span.split("-"))
    else:
        low = high = int(span)
        if match[2] is not None:
            high = 6  # "1/2" in cron: from Monday on, every other day
    if not (0 <= low <= 7 and 0 <= high <= 7) or low > high or step < 1:
        raise ValueError(f"'{part}' is not a day-of-week range (0-7, 0 and 7 = Sunday)")
    return ",".join(DAY_NAMES[d % 7] for d in range(low, high + 1, step))


def weekdays_as_names(expr: str) -> str:
    """The same crontab with numbered weekdays written as names (other fields untouched)."""
    fields = expr.split()
    if len(fields) != 5:
        return expr  # APScheduler reports the wrong number of fields
    fields[4] = ",".join(_weekday_part(p) for p in fields[4].split(","))
    return " ".join(fields)


def cron_trigger(expr: str) -> CronTrigger:
    """A UTC trigger for a standard crontab expression; ValueError names what is wrong."""
    return CronTrigger.from_crontab(weekdays_as_names(expr), timezone="UTC")
