"""``fragwatch users add|remove|list|token``: who may use the web desk, and with which role.

Every change is written with an audit record (who ran the command, when, what) in the same
transaction. Passwords are read from a prompt or, for scripts, from standard input; only their
argon2 hashes reach the database.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from fragwatch.commands.store import engine_of, who
from fragwatch.errors import UsageError

ROLES = ("reader", "analyst", "officer", "admin")


@click.group()
def users():
    """Users of the web desk: reader, analyst, officer or admin."""


def _read_password(from_stdin: bool) -> str:
    from fragwatch.web.passwords import MIN_LENGTH

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_LENGTH:
        raise UsageError(f"a password needs at least {MIN_LENGTH} characters", where="password")
    return password


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.pass_obj
def add(obj, name, role, password_stdin):
    """Add a user (asks for a password twice unless --password-stdin)."""
    from fragwatch.store.users import add_user, audit
    from fragwatch.web.passwords import hash_password

    if not name.strip() or len(name) > 100 or any(c.isspace() for c in name):
        raise UsageError(f"'{name}' is not a user name (1-100 characters, no spaces)", where="NAME")
    password = _read_password(password_stdin)
    now = datetime.now(UTC)
    with engine_of(obj).begin() as conn:
        add_user(conn, name, role, hash_password(password), now)
        audit(conn, f"cli:{who()}", "user.add", name, now, f"role {role}")
    click.echo(f"user {name} added with role {role}")


@users.command("remove")
@click.argument("name")
@click.pass_obj
def remove(obj, name):
    """Remove a user and their API tokens (their sessions end at the next request)."""
    from fragwatch.store.users import audit, remove_user

    now = datetime.now(UTC)
    with engine_of(obj).begin() as conn:
        remove_user(conn, name)
        audit(conn, f"cli:{who()}", "user.remove", name, now)
    click.echo(f"user {name} removed")


@users.command("list")
@click.pass_obj
def list_cmd(obj):
    """Users and their roles."""
    from fragwatch.store.engine import read_connection
    from fragwatch.store.users import list_users

    with read_connection(engine_of(obj)) as conn:
        found = list_users(conn)
    if not found:
        click.echo("no users (fragwatch users add NAME --role ROLE)")
    for u in found:
        click.echo(f"{u.name:<24} {u.role:<8} added {u.created_at:%Y-%m-%d %H:%M} UTC")


@users.command("token")
@click.argument("name")
@click.pass_obj
def token(obj, name):
    """Issue a read-only API token for NAME (shown once; send it as 'Authorization: Bearer')."""
    from fragwatch.store.users import add_token, audit
    from fragwatch.web.passwords import new_token

    secret = new_token()
    now = datetime.now(UTC)
    with engine_of(obj).begin() as conn:
        add_token(conn, name, secret, now)
        audit(conn, f"cli:{who()}", "token.add", name, now)
    click.echo(secret)
