"""A throwaway PostgreSQL server for the tests: Debian's server binaries, a data folder in /tmp,
listening on 127.0.0.1 only (a free port) with its socket in the same folder, and one fresh
database per test owned by an ordinary (non-superuser) role, as docs/operations.md has an
administrator create them. Never skipped: without the binaries (``make test`` installs Debian's
``postgresql``) the fixture fails and says so.

initdb and postgres refuse to run as root; under root they run as Debian's ``postgres`` user
(or ``nobody``) through ``runuser``.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from .smtp_server import free_port

ROLE = "fragwatch"
# A password with URL-special characters: the store must take it quoted and never print it.
ROLE_PASSWORD = "pg s3cret/@:%"
ADMIN_PASSWORD = "admin-only-on-loopback"


def server_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): "
            "run `make postgres` (Debian's postgresql package) before the tests"
        )
    return Path(found[-1]).parent  # the newest major version


def _as_server_user() -> tuple[list[str], int | None]:
    """A command prefix and uid that run the server unprivileged."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], uid
    raise RuntimeError("running as root, but there is no postgres or nobody user to run initdb")


@dataclass
class PostgresServer:
    folder: Path
    port: int
    bin: Path
    prefix: list[str]
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def start(cls) -> PostgresServer:
        binaries = server_bin()
        prefix, uid = _as_server_user()
        folder = Path(tempfile.mkdtemp(prefix="fragwatch-pg-"))
        if uid is not None:
            os.chown(folder, uid, -1)
        (folder / "pw").write_text(ADMIN_PASSWORD + "\n")
        if uid is not None:
            os.chown(folder / "pw", uid, -1)
        server = cls(folder, free_port(), binaries, prefix)
        server._run(
            "initdb", "-D", str(folder / "data"), "-U", "admin", "--pwfile", str(folder / "pw"),
            "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        # Durability is the server's own business and not under test: no fsync keeps a
        # per-test CREATE DATABASE at a fraction of a second.
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={server.port}"
            f" -c unix_socket_directories={folder} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=60"
        )
        server._run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(folder / "data"),
            "-l", str(folder / "server.log"), "-o", options,
        )  # fmt: skip
        with server.admin() as conn:
            conn.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{ROLE_PASSWORD}'")
        return server

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [*self.prefix, str(self.bin / program), *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr}{tail}")

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="admin", password=ADMIN_PASSWORD,
            dbname="postgres", autocommit=True,
        )  # fmt: skip

    def new_database(self) -> str:
        """A new empty database owned by the ``fragwatch`` role; returns its SQLAlchemy URL."""
        name = f"fragwatch_{next(self._names)}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} OWNER {ROLE}")
        return self.url(name)

    def url(self, database: str, password: str = ROLE_PASSWORD, port: int | None = None) -> str:
        """The SQLAlchemy URL of a database as the ``fragwatch`` role (``port``: another port)."""
        from sqlalchemy.engine import URL

        url = URL.create(
            "postgresql+psycopg", ROLE, password, "127.0.0.1", port or self.port, database
        )
        return url.render_as_string(hide_password=False)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "stop", "-D", str(self.folder / "data"), "-m", "immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
