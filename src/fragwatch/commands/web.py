"""``fragwatch web``: the web desk on the same store, evidence and config as the other commands.

It listens on loopback unless told otherwise: a non-loopback address needs TLS (``--tls-cert``
and ``--tls-key``) or an explicit ``--insecure-http`` (for a TLS proxy in front of it).
"""

from __future__ import annotations

import gc
import ipaddress
import os
import secrets
import sys
from pathlib import Path

import click

from fragwatch.errors import UsageError

SECRET_ENV = "FRAGWATCH_WEB_SECRET"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str, tls: bool, insecure_http: bool) -> None:
    """Refuse to serve plain HTTP beyond this machine unless asked for in so many words."""
    if not is_loopback(host) and not tls and not insecure_http:
        raise UsageError(
            f"'{host}' is not a loopback address: passwords and session cookies would cross"
            " the network in clear; give --tls-cert and --tls-key, or --insecure-http when a"
            " TLS proxy sits in front",
            where="--host",
        )


def session_secret(path: Path) -> str:
    """The key that signs session cookies: $FRAGWATCH_WEB_SECRET, else a file made on first
    start (mode 0600), so sessions survive a restart and two desks on one store agree."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    try:
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secret + "\n")
        return secret
    except OSError as exc:
        raise UsageError(
            f"cannot read or create {path}: {exc.strerror}", where="--secret-file"
        ) from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8600, show_default=True, type=click.IntRange(1, 65535))
@click.option("--tls-cert", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--tls-key", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--insecure-http",
    is_flag=True,
    help="Serve plain HTTP on a non-loopback address (only behind a TLS proxy).",
)
@click.option(
    "--secret-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("var/web-secret"),
    show_default=True,
    help=f"Key signing the session cookies (${SECRET_ENV} overrides; made on first start).",
)
@click.pass_obj
def web(obj, host, port, tls_cert, tls_key, insecure_http, secret_file):
    """The web desk: overview, countries, alerts, evidence, scenarios, reports; JSON under /api/."""
    if (tls_cert is None) != (tls_key is None):
        raise UsageError("give both --tls-cert and --tls-key, or neither", where="--tls-cert")
    tls = tls_cert is not None
    check_host(host, tls, insecure_http)
    desk = build_desk(obj)
    secret = session_secret(secret_file)

    import uvicorn

    from fragwatch.web.app import create_app
    from fragwatch.web.worker import ViewWorker

    # The evidence and model loaded at start live as long as the process: out of the garbage
    # collector's sight, a full collection no longer walks millions of their objects while
    # pages wait (and the fork below shares their pages instead of touching them).
    gc.collect()
    gc.freeze()
    # Forked now, before the server has threads: the views are computed there.
    desk.worker = ViewWorker(desk)
    app = create_app(desk, secret_key=secret, https=tls)
    # Views are recomputed in a background thread while the event loop serves pages; a shorter
    # GIL switch interval (default 5 ms) lets the loop's short steps in between sooner.
    sys.setswitchinterval(0.001)
    scheme = "https" if tls else "http"
    click.echo(f"fragwatch web desk on {scheme}://{host}:{port}/ (Ctrl-C stops it)", err=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=str(tls_cert) if tls else None,
        ssl_keyfile=str(tls_key) if tls else None,
        log_level="warning",
        access_log=False,
        server_header=False,
    )


def build_desk(obj):
    """The desk's data, every config file checked before the server starts."""
    from fragwatch.cli import optional_rules
    from fragwatch.commands.feeds import review_queue
    from fragwatch.settings import config_dir
    from fragwatch.settings.scenarios import SCENARIOS_DIR
    from fragwatch.store.engine import open_store
    from fragwatch.web.desk import Desk

    settings, spec = obj.settings(), obj.spec()
    rules = optional_rules(obj, spec)
    evidence = obj.evidence()
    countries = settings.countries or evidence.countries
    unknown = [c for c in countries if c not in evidence.countries]
    if unknown:
        from fragwatch.errors import ConfigError

        raise ConfigError(
            f"no evidence for watched country '{unknown[0]}'; known: "
            f"{', '.join(evidence.countries)}",
            where="settings: field 'countries'",
        )
    return Desk(
        engine=open_store(settings.database_url),
        evidence=evidence,
        spec=spec,
        rules=rules,
        countries=list(countries),
        report_dir=settings.report.dir,
        scenario_dir=config_dir(obj.config_dir) / SCENARIOS_DIR,
        review_queue=review_queue(obj),
    )
