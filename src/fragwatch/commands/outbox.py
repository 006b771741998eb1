"""``fragwatch outbox list|retry|dead``: what is waiting, what failed, and sending it again."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from fragwatch.commands.store import engine_of


@click.group()
def outbox():
    """Messages waiting to be sent, sent, or refused (dead letters)."""


def _show(rows) -> None:
    if not rows:
        click.echo("no messages")
        return
    for r in rows:
        when = r.sent_at if r.state == "sent" else r.next_attempt_at
        label = "sent" if r.state == "sent" else "next try"
        click.echo(
            f"#{r.id:<5} {r.state.upper():<8} {r.kind:<6} attempts {r.attempts:<3}"
            f" {label} {when:%Y-%m-%d %H:%M:%S}  to {', '.join(r.recipients)}"
        )
        click.echo(f"       {r.subject}")
        if r.last_error:
            click.echo(f"       last error: {r.last_error}")


@outbox.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(["pending", "sending", "sent", "dead"]),
    help="Only these states (repeatable; default: all).",
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.pass_obj
def list_outbox(obj, states, limit):
    """Newest messages first, with their state, attempts and last error."""
    from fragwatch.delivery.outbox import rows
    from fragwatch.store.engine import read_connection

    with read_connection(engine_of(obj)) as conn:
        _show(rows(conn, list(states) or None, limit))


@outbox.command("dead")
@click.pass_obj
def dead(obj):
    """Dead letters: messages a server refused for good (5xx) or that ran out of attempts."""
    from fragwatch.delivery.outbox import rows
    from fragwatch.store.engine import read_connection

    with read_connection(engine_of(obj)) as conn:
        _show(rows(conn, ["dead"]))


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every dead letter.")
@click.pass_obj
def retry(obj, ids, every):
    """Queue dead letters again (by number, or --all); the next delivery run sends them."""
    from fragwatch.delivery.outbox import requeue
    from fragwatch.errors import UsageError

    if bool(ids) == every:
        raise UsageError("give message numbers or --all", where="outbox retry")
    with engine_of(obj).begin() as conn:
        _require_dead_letters(conn, ids)  # all or nothing: a wrong number changes nothing
        count = requeue(conn, None if every else list(ids), datetime.now(UTC))
    click.echo(f"{count} message(s) queued again")


def _require_dead_letters(conn, ids) -> None:
    from sqlalchemy import select

    from fragwatch.errors import UsageError
    from fragwatch.store.schema import outbox as table

    states = dict(
        conn.execute(select(table.c.id, table.c.state).where(table.c.id.in_(list(ids)))).all()
    )
    for number in ids:
        if number not in states:
            raise UsageError(
                f"no message number {number} in the outbox (fragwatch outbox list)",
                where="outbox retry",
            )
        if states[number] != "dead":
            raise UsageError(
                f"message {number} is {states[number]}, not a dead letter: nothing to retry",
                where="outbox retry",
            )
