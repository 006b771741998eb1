"""The alert lifecycle per rule and subject: inactive -> pending -> firing -> resolved.

``step`` is a pure function of the previous state, this run's reading and the time; it returns
the new state and the notification to send, if any. Silences and inhibition decide whether a
notification is *sent*, never whether the state moves, so an alert that fired while silenced
is still firing (and reminded) after the silence ends.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from fragwatch.alerts.rules import Reading, Rule

State = Literal["inactive", "pending", "firing"]
Kind = Literal["firing", "reminder", "resolved"]


@dataclass(frozen=True)
class AlertState:
    rule: str
    subject: str
    state: State = "inactive"
    pending_runs: int = 0
    since: datetime | None = None  # when it started firing
    last_notified: datetime | None = None
    acked_at: datetime | None = None  # an officer acknowledged this firing: no more reminders


@dataclass(frozen=True)
class Notification:
    rule: str
    subject: str
    kind: Kind
    at: datetime
    reading: Reading

    @property
    def dedupe_key(self) -> str:
        """Stable for one transition of one alert: a retry or a replay sends the same key."""
        return transition_key(self.rule, self.subject, self.kind, self.at)


def transition_key(rule: str, subject: str, kind: str, at: datetime) -> str:
    """The dedupe key of one alert transition (a reminder or resolution threads under the
    firing's key, rebuilt from the state's ``since``)."""
    return f"{rule}|{subject}|{kind}|{at.isoformat()}"


@dataclass(frozen=True)
class Silence:
    rule: str  # glob pattern, e.g. "score-*"
    subject: str  # glob pattern, e.g. "TJK" or "TJK:*"
    ends_at: datetime

    def covers(self, rule: str, subject: str, now: datetime) -> bool:
        return (
            now < self.ends_at
            and fnmatch.fnmatchcase(rule, self.rule)
            and fnmatch.fnmatchcase(subject, self.subject)
        )


def step(
    rule: Rule, state: AlertState, reading: Reading, now: datetime
) -> tuple[AlertState, Notification | None]:
    """Advance one alert by one run."""
    if state.state == "firing" and rule.momentary:
        # A band change or jump is over once reported: the next one fires afresh, and its end
        # sends nothing (a "resolved" mail for an event is noise).
        state = AlertState(rule.name, reading.subject)
    if state.state == "firing":
        if reading.clear:
            return AlertState(rule.name, reading.subject), Notification(
                rule.name, reading.subject, "resolved", now, reading
            )
        due = state.acked_at is None and (
            state.last_notified is None
            or now - state.last_notified >= timedelta(hours=rule.repeat_hours)
        )
        if due:
            return replace(state, last_notified=now), Notification(
                rule.name, reading.subject, "reminder", now, reading
            )
        return state, None
    if not reading.fire:
        return AlertState(rule.name, reading.subject), None
    runs = state.pending_runs + 1
    if runs < rule.for_runs:
        return replace(state, state="pending", pending_runs=runs), None
    fired = AlertState(rule.name, reading.subject, "firing", runs, since=now, last_notified=now)
    return fired, Notification(rule.name, reading.subject, "firing", now, reading)


def deliverable(
    notes: list[Notification],
    rules: dict[str, Rule],
    firing: set[tuple[str, str]],
    silences: list[Silence],
    now: datetime,
) -> list[Notification]:
    """Drop silenced notifications and indicator alerts inhibited by a firing country alert.

    Inhibition holds back firings and reminders only; a resolution always goes out (in the
    group's mail), so no thread is left open.

    ``firing`` holds the (rule, subject) pairs firing after this run.
    """
    countries_firing = {
        subject for rule, subject in firing if rule in rules and rules[rule].country_level
    }
    kept = []
    for note in notes:
        if any(s.covers(note.rule, note.subject, now) for s in silences):
            continue
        country = note.subject.split(":", 1)[0]
        # A resolution is never inhibited: the officer who got the firing must hear it ended.
        rule = rules.get(note.rule)
        inhibitable = rule is not None and rule.indicator is not None and note.kind != "resolved"
        if inhibitable and country in countries_firing:
            continue
        kept.append(note)
    return kept


@dataclass(frozen=True)
class Replayed:
    """The alert picture as of the last of a series of runs (``replay``)."""

    states: dict[tuple[str, str], AlertState]  # (rule, subject) -> state after the last run
    values: dict[tuple[str, str], float | None]  # the value each rule saw in the last run
    firings: list[tuple[str, str, datetime]]  # (rule, subject, period) of every firing, in order
    last: object = None  # the last run stepped (the "before" of the next one)


def run_period(assessment) -> datetime:
    """The period time of a stored run: its as-of date at midnight UTC."""
    return assessment.as_of.to_pydatetime().replace(tzinfo=UTC)


def replay(
    rules: list[Rule], runs: list, at=run_period, *, since: Replayed | None = None
) -> Replayed:
    """Step every rule over a country's runs (assessments, oldest first), as the service did.

    ``at(assessment)`` gives the period's time (default: its as-of date, UTC). Rules are
    evaluated with the run before each one, so a report as of a past date sees the alerts that
    were active then, and only those: the store's alert state is today's. ``since``: the replay
    of the runs before these, continued (the same as replaying all of them at once).
    """
    from fragwatch.alerts.rules import evaluate

    states: dict[tuple[str, str], AlertState] = dict(since.states) if since else {}
    values: dict[tuple[str, str], float | None] = dict(since.values) if since else {}
    fired: list[tuple[str, str, datetime]] = list(since.firings) if since else []
    before = since.last if since else None
    for run in runs:
        when = at(run)
        for rule in rules:
            if rule.about_jobs:
                continue
            reading = evaluate(rule, run, before)
            key = (rule.name, reading.subject)
            state, note = step(rule, states.get(key, AlertState(*key)), reading, when)
            states[key], values[key] = state, reading.value
            if note is not None and note.kind == "firing":
                fired.append((rule.name, reading.subject, when))
        before = run
    return Replayed(states, values, fired, before)
