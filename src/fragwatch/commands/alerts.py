"""``fragwatch alerts list|ack|silence|unsilence``: the watch officer's view of alert state."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click

from fragwatch.commands.service import parse_now
from fragwatch.commands.store import engine_of, who
from fragwatch.errors import UsageError

DURATION = re.compile(r"^(\d+)([hdw])$")
UNITS = {"h": "hours", "d": "days", "w": "weeks"}


@click.group()
def alerts():
    """List, acknowledge and silence alerts."""


@alerts.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include inactive alerts.")
@click.pass_obj
def list_alerts(obj, show_all):
    """Alerts by state (firing first), and the silences in force."""
    from fragwatch.store.alerts import list_silences, load_alerts
    from fragwatch.store.engine import read_connection

    now = datetime.now(UTC)
    engine = engine_of(obj)
    with read_connection(engine) as conn:
        stored = load_alerts(conn)
        silences = list_silences(conn, now)
    order = {"firing": 0, "pending": 1, "resolved": 2, "inactive": 3}
    shown = sorted(
        (a for a in stored.values() if show_all or a.shown_state != "inactive"),
        key=lambda a: (order[a.shown_state], a.state.rule, a.state.subject),
    )
    if not shown:
        click.echo("no alerts" if show_all else "no alerts (--all shows inactive ones)")
    for a in shown:
        value = "-" if a.last_value is None else f"{a.last_value:.4g}"
        extra = f", acknowledged by {a.acked_by}" if a.acked_by else ""
        click.echo(
            f"{a.shown_state.upper():<9} {a.state.rule:<24} {a.state.subject:<28}"
            # Since: the period the state began in (the alert's own time, not the run's).
            f" since {_since(a):%Y-%m-%d}  value {value}"
            f"  as of {a.last_as_of or '-'}  {a.notifications} sent{extra}"
        )
    for s in silences:
        click.echo(
            f"silence #{s.id}: {s.silence.rule} {s.silence.subject} until"
            f" {s.silence.ends_at:%Y-%m-%d %H:%M} UTC by {s.created_by}"
            + (f" ({s.comment})" if s.comment else "")
        )


def _since(a) -> datetime:
    return a.state.since if a.shown_state == "firing" and a.state.since else a.state_since


@alerts.command("ack")
@click.argument("rule")
@click.argument("subject")
@click.option("--by", help="Who acknowledges (default: the login name).")
@click.pass_obj
def ack(obj, rule, subject, by):
    """Acknowledge a firing alert: no more reminders until it resolves."""
    from fragwatch.store.alerts import acknowledge

    with engine_of(obj).begin() as conn:
        acknowledge(conn, rule, subject, by or who(), datetime.now(UTC))
    click.echo(f"acknowledged {rule} for {subject}: reminders stop until it resolves")


def parse_until(until: str | None, duration: str | None, now: datetime) -> datetime:
    if (until is None) == (duration is None):
        raise UsageError("give exactly one of --until DATE and --for DURATION", where="silence")
    if duration is not None:
        match = DURATION.match(duration)
        if not match:
            raise UsageError(f"'{duration}' is not a duration like 12h, 3d or 2w", where="--for")
        return now + timedelta(**{UNITS[match[2]]: int(match[1])})
    try:
        return parse_now(until)
    except UsageError as exc:
        raise UsageError(exc.message, where="--until") from None


@alerts.command("silence")
@click.argument("rule")
@click.argument("subject")
@click.option("--until", help="End of the silence (UTC date or date-time).")
@click.option("--for", "duration", help="Length of the silence: 12h, 3d, 2w.")
@click.option("--comment", default="", help="Why (shown in `alerts list`).")
@click.option("--by", help="Who silences (default: the login name).")
@click.pass_obj
def silence(obj, rule, subject, until, duration, comment, by):
    """Mute notifications for RULE and SUBJECT (shell patterns: '*', 'TJK:*') until a date.

    The alert still moves through its states; only the mail is held back.
    """
    from fragwatch.alerts.lifecycle import Silence
    from fragwatch.store.alerts import add_silence

    now = datetime.now(UTC)
    ends = parse_until(until, duration, now)
    with engine_of(obj).begin() as conn:
        silence_id = add_silence(
            conn, Silence(rule, subject, ends), created_by=by or who(), comment=comment, now=now
        )
    click.echo(f"silence #{silence_id}: {rule} {subject} until {ends:%Y-%m-%d %H:%M} UTC")


@alerts.command("unsilence")
@click.argument("silence_id", type=int)
@click.pass_obj
def unsilence(obj, silence_id):
    """End a silence now (its number is in `alerts list`)."""
    from fragwatch.store.alerts import remove_silence

    with engine_of(obj).begin() as conn:
        remove_silence(conn, silence_id)
    click.echo(f"silence #{silence_id} removed")
