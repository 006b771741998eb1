"""Grouping of notifications, as Alertmanager does it: one mail per group and period.

A run's notifications are routed first (by severity: ``Routing``), then grouped: by default
per country, so one change of the score that trips a score rule, a band change and a jump is
one mail, not three. ``group_wait`` and ``group_interval`` are the period itself here: the
service assesses once a period, and everything a period causes is known when it is written.
Catching up several periods (downtime, a backfill) sends one summary per group for the past
periods and full mails only for the current one (``catch_up = "summary"``).
"""

from __future__ import annotations

from dataclasses import dataclass

from fragwatch.alerts.rules import Rule

GROUP_BY = ("country", "rule", "severity")
CATCH_UP = ("summary", "each")


@dataclass(frozen=True)
class Grouping:
    by: tuple[str, ...] = ("country",)  # what else than the route and the period splits mail
    catch_up: str = "summary"  # "summary": past periods in one mail; "each": a mail each

    def __post_init__(self) -> None:
        unknown = [b for b in self.by if b not in GROUP_BY]
        if unknown:
            raise ValueError(f"cannot group by {unknown[0]!r}; known: {', '.join(GROUP_BY)}")
        if self.catch_up not in CATCH_UP:
            raise ValueError(f"catch_up must be one of {', '.join(CATCH_UP)}")

    def group_of(self, rule: Rule, subject: str) -> str:
        """The group's name: 'TJK', 'TJK/score-high', ...; a job's alerts are their own."""
        if subject.startswith("job:"):
            return subject
        parts = []
        if "country" in self.by:
            parts.append(subject.split(":", 1)[0])
        if "rule" in self.by:
            parts.append(rule.name if ":" not in subject else f"{rule.name}:{subject}")
        if "severity" in self.by:
            parts.append(rule.severity)
        return "/".join(parts) or "all"
