"""Schedules are standard crontab: weekday numbers mean what they mean in cron (0 = Sunday)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fragwatch.crontab import cron_trigger
from fragwatch.errors import ConfigError
from fragwatch.settings.service import load_settings

from .conftest import REPO

START = datetime(2026, 11, 22, tzinfo=UTC)  # a Sunday


def fire_days(expr: str, weeks: int = 2) -> set[int]:
    """Cron weekday numbers (0 = Sunday) of the firings over the next ``weeks`` weeks."""
    trigger, days, t = cron_trigger(expr), set(), None
    t = trigger.get_next_fire_time(None, START)
    while t < START + timedelta(weeks=weeks):
        days.add(t.isoweekday() % 7)
        t = trigger.get_next_fire_time(t, t + timedelta(seconds=1))
    return days


@pytest.mark.parametrize(
    ("field", "days"),
    [("1", {1}), ("0", {0}), ("7", {0}), ("1-5", {1, 2, 3, 4, 5}), ("*/2", {0, 2, 4, 6}),
     ("5,6", {5, 6}), ("1-5/2", {1, 3, 5}), ("mon", {1}), ("sat,sun", {6, 0}),
     ("*", set(range(7)))],
)  # fmt: skip
def test_weekday_numbers_follow_cron_not_the_scheduler(field, days):
    assert fire_days(f"0 6 * * {field}") == days


def test_a_bad_weekday_is_a_config_error_naming_the_field(tmp_path):
    with pytest.raises(ConfigError, match=r"schedule\.report_cron.*not a crontab expression"):
        load_settings(REPO / "config", schedule={"report_cron": "0 7 * * 9"})
