"""``fragwatch users`` as a user runs it (on SQLite and PostgreSQL), the schema step that adds
the web desk's tables, and ``fragwatch web`` refusing to serve plain HTTP beyond loopback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, insert, inspect, select, text

from fragwatch.store.engine import open_store
from fragwatch.store.migrations import MIGRATIONS, migrate
from fragwatch.store.schema import assessments, schema_version, web_users

from .conftest import REPO, run_cli

PASSWORD = "a long enough passphrase"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path) -> str:
    """A new store on each backend: a SQLite file, a database on the test PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/var/fw.db"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def service(tmp_path, store_url):
    settings = tmp_path / "fragwatch.toml"
    settings.write_text(f'database_url = "{store_url}"\n', encoding="utf-8")

    def cli(*args: str, stdin: str | None = None):
        import subprocess
        import sys

        return subprocess.run(
            [sys.executable, "-m", "fragwatch.cli", "--config-dir", str(REPO / "config"),
             "--settings", str(settings), *args],
            cwd=tmp_path, input=stdin, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    cli.url = store_url
    return cli


def test_users_add_list_remove_with_an_audit_record_for_each(service):
    added = service("users", "add", "olga", "--role", "officer", "--password-stdin", stdin=PASSWORD)
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "user olga added with role officer"
    assert service("users", "add", "rita", "--role", "reader", "--password-stdin",
                   stdin=PASSWORD + "\n").returncode == 0  # fmt: skip
    listed = service("users", "list").stdout.splitlines()
    assert [line.split()[:2] for line in listed] == [["olga", "officer"], ["rita", "reader"]]
    assert service("users", "remove", "rita").returncode == 0
    assert [line.split()[0] for line in service("users", "list").stdout.splitlines()] == ["olga"]
    engine = create_engine(service.url)
    with engine.connect() as db:
        stored = db.scalar(select(web_users.c.password_hash))
        trail = [
            tuple(r) for r in db.execute(text("SELECT action, target FROM web_audit ORDER BY id"))
        ]
    engine.dispose()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert trail == [("user.add", "olga"), ("user.add", "rita"), ("user.remove", "rita")]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("add", "olga", "--role", "officer", "--password-stdin"), "short",
         "password: a password needs at least 10 characters"),
        (("add", "bad name", "--role", "officer", "--password-stdin"), PASSWORD,
         "NAME: 'bad name' is not a user name (1-100 characters, no spaces)"),
        (("remove", "nobody"), None, "users remove: no user 'nobody'"),
        (("token", "nobody"), None, "users token: no user 'nobody'"),
    ],
)  # fmt: skip
def test_bad_users_input_is_one_line_and_changes_nothing(service, args, stdin, message):
    found = service("users", *args, stdin=stdin)
    assert found.returncode == 2
    assert found.stderr.strip() == f"fragwatch: error: {message}"
    assert "Traceback" not in found.stderr
    assert (
        service("users", "list").stdout.strip() == "no users (fragwatch users add NAME --role ROLE)"
    )


def test_a_second_user_of_the_same_name_is_refused(service):
    args = ("users", "add", "olga", "--role", "officer", "--password-stdin")
    assert service(*args, stdin=PASSWORD).returncode == 0
    again = service(*args[:-2], "admin", "--password-stdin", stdin=PASSWORD)
    assert again.returncode == 2
    assert again.stderr.strip() == "fragwatch: error: users add: user 'olga' exists already"
    assert service("users", "list").stdout.split()[:2] == ["olga", "officer"]


def test_an_unknown_role_is_refused(service):
    found = service("users", "add", "x", "--role", "root", "--password-stdin", stdin=PASSWORD)
    assert found.returncode == 2
    assert "'root' is not one of 'reader', 'analyst', 'officer', 'admin'" in found.stderr


def test_a_version_1_store_gains_the_web_tables_and_keeps_its_rows(tmp_path, store_url):
    (tmp_path / "var").mkdir()
    old = create_engine(store_url)
    migrate(old, "test", steps=MIGRATIONS[:1])  # a store as the previous release left it
    row = {"country": "TJK", "as_of": datetime(2016, 1, 31).date(), "score": 50.0,
           "band": "elevated", "coverage": 1.0, "model_digest": "m" * 64,
           "evidence_digest": "e" * 64, "payload": "{}",
           "computed_at": datetime.now(UTC)}  # fmt: skip
    with old.begin() as conn:
        conn.execute(insert(assessments).values(**row))
        assert not inspect(conn).has_table("web_users")
    old.dispose()

    upgraded = open_store(store_url)
    with upgraded.connect() as conn:
        assert conn.scalars(select(schema_version.c.version)).all() == [1, 2]
        assert conn.scalar(select(assessments.c.score)) == 50.0
        assert conn.execute(select(web_users)).all() == []
        assert {"web_users", "web_tokens", "web_audit"} <= set(inspect(conn).get_table_names())


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "desk.example.org"])
def test_web_refuses_a_non_loopback_address_without_tls(host):
    found = run_cli("web", "--host", host, "--port", "1")
    assert found.returncode == 2
    assert found.stderr.strip().startswith(
        f"fragwatch: error: --host: '{host}' is not a loopback address"
    )
    assert "--tls-cert and --tls-key, or --insecure-http" in found.stderr


def test_web_wants_both_tls_files(tmp_path):
    cert = tmp_path / "cert.pem"
    cert.write_text("x", encoding="utf-8")
    found = run_cli("web", "--host", "0.0.0.0", "--tls-cert", str(cert))
    assert found.returncode == 2
    assert "give both --tls-cert and --tls-key, or neither" in found.stderr
