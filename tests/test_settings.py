"""Service settings: precedence, validation with located errors, secrets never shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fragwatch.errors import ConfigError
from fragwatch.settings.service import load_settings

from .conftest import REPO, WATCHED, run_cli

GOOD = (REPO / "config" / "fragwatch.toml").read_text(encoding="utf-8")


@pytest.fixture
def config(tmp_path, monkeypatch):
    """A config folder with the shipped settings, and no FRAGWATCH_ variables leaking in."""
    for name in list(os.environ):
        if name.startswith("FRAGWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env from the repository
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "fragwatch.toml").write_text(GOOD, encoding="utf-8")
    for name in ("model.toml", "alerts.toml"):
        (folder / name).write_text(
            (REPO / "config" / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    return folder


def test_shipped_settings_load_with_file_outbox(config):
    settings = load_settings(config)
    assert settings.smtp.host is None  # no SMTP: mail goes to .eml files
    assert settings.countries == WATCHED  # Tajikistan and its neighbours
    assert settings.recipients.watch_officer == "watch-officer@localhost"


def test_precedence_init_over_env_over_dotenv_over_toml(config, tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("FRAGWATCH_SMTP__PORT=2525\nFRAGWATCH_OUTBOX_DIR=dotenv\n")
    assert load_settings(config).smtp.port == 2525  # .env beats the TOML file's 587
    monkeypatch.setenv("FRAGWATCH_SMTP__PORT", "1025")
    assert load_settings(config).smtp.port == 1025  # the environment beats .env
    assert str(load_settings(config).outbox_dir) == "dotenv"
    assert str(load_settings(config, outbox_dir="explicit").outbox_dir) == "explicit"


def test_a_named_settings_file_that_is_missing_is_an_error(config):
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(config, config / "nope.toml")


@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        (
            "port = 587",
            "port = 587\nportt = 25",
            "fragwatch.toml:12: field 'smtp.portt'",
            "unknown key",
        ),
        (
            'watch_officer = "watch-officer@localhost"',
            'watch_officer = "watch officer"',
            "fragwatch.toml:16: field 'recipients.watch_officer'",
            "not an e-mail address",
        ),
        ('countries = ["TJK", ', 'countries = ["Tajikistan", ', "field 'countries'", "ISO3"),
        (
            "port = 587",
            'port = 587\npassword = "hunter2"',
            "field 'smtp.password'",
            "must not be kept",
        ),
        ("port = 587", "port = 70000", "field 'smtp.port'", "less than 65536"),
        ("deliver_every_seconds = 60", "deliver_every_seconds = = 60", "fragwatch.toml:22", "TOML"),
    ],
    ids=[
        "unknown-key",
        "malformed-address",
        "bad-country",
        "password-in-file",
        "bad-port",
        "syntax",
    ],
)
def test_bad_settings_fail_with_one_located_line(config, old, new, where, words):
    path = config / "fragwatch.toml"
    assert old in GOOD  # the mistake is really made in the shipped file
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    result = run_cli("--config-dir", str(config), "config", "check", cwd=config.parent)
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.splitlines()
    assert where in line
    assert words in line
    assert result.stdout == ""


def test_smtp_user_without_password_fails_before_anything_runs(config, monkeypatch):
    monkeypatch.setenv("FRAGWATCH_SMTP__HOST", "smtp.example.org")
    monkeypatch.setenv("FRAGWATCH_SMTP__USER", "officer")
    with pytest.raises(ConfigError, match="needs a password"):
        load_settings(config)


def test_plain_smtp_to_a_remote_host_needs_explicit_consent(config, monkeypatch):
    monkeypatch.setenv("FRAGWATCH_SMTP__HOST", "smtp.example.org")
    monkeypatch.setenv("FRAGWATCH_SMTP__SECURITY", "none")
    with pytest.raises(ConfigError, match="in clear"):
        load_settings(config)
    monkeypatch.setenv("FRAGWATCH_SMTP__HOST", "127.0.0.1")
    assert load_settings(config).smtp.security == "none"  # loopback is fine
    monkeypatch.setenv("FRAGWATCH_SMTP__HOST", "smtp.example.org")
    monkeypatch.setenv("FRAGWATCH_SMTP__ALLOW_INSECURE", "true")
    assert load_settings(config).smtp.allow_insecure


def test_password_from_a_secrets_file(config, tmp_path, monkeypatch):
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret-from-file\n")
    monkeypatch.setenv("FRAGWATCH_SMTP__HOST", "smtp.example.org")
    monkeypatch.setenv("FRAGWATCH_SMTP__USER", "officer")
    monkeypatch.setenv("FRAGWATCH_SMTP__PASSWORD_FILE", str(secret))
    settings = load_settings(config)
    assert settings.smtp.password.get_secret_value() == "s3cret-from-file"
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in str(settings.masked())


def test_config_check_never_prints_the_password(config):
    env = {
        "FRAGWATCH_SMTP__HOST": "smtp.example.org",
        "FRAGWATCH_SMTP__USER": "officer",
        "FRAGWATCH_SMTP__PASSWORD": "hunter2-secret",
    }
    result = subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", "--config-dir", str(config), "config", "check"],
        cwd=config.parent,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    shown = json.loads(result.stdout[result.stdout.index("{") :])
    assert shown["smtp"]["password"] == "********"
    assert shown["smtp"]["host"] == "smtp.example.org"
