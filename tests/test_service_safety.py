"""The service as an operator meets it: bad config stops it before any job, mail over STARTTLS
with AUTH arrives, a wrong password is reported and never shown, an SMTP outage is ridden out
with backoff, and text from the config cannot add mail headers.

Every test runs the real command in a subprocess, in its own folder with a copy of the shipped
config, and with no FRAGWATCH_ variable from the caller's environment.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from .conftest import REPO
from .smtp_server import PASSWORD, USER, Recorder, authenticator, free_port

MONTHLY = "0 6 1 * *"  # periods on the first of each month, 06:00 UTC
# On a fresh store the shipped rules fire one alert for Tajikistan on this day: remittances of
# 48% of GDP (2024), above the 40% of 'remittances-dependence' (to the officer).
NOW = "2026-11-22T12:00"
RULE = "remittances-dependence"
OFFICER = "watch-officer@localhost"
WRONG = "Wr0ng-pa55word-Xyzzy"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A working folder holding config/ (the shipped files, assessed monthly, watching Tajikistan
    alone with no report readers: every mail is an alert) and nothing else."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    settings = tmp_path / "config" / "fragwatch.toml"
    edit(settings, 'assess_cron = "0 6 * * *"', f'assess_cron = "{MONTHLY}"')
    edit(settings, 'countries = ["TJK", "KGZ", "UZB", "AFG", "KAZ", "TKM"]', 'countries = ["TJK"]')
    edit(settings, 'report_readers = ["report-readers@localhost"]', "report_readers = []")
    return tmp_path


def fragwatch(home: Path, *args: str, timeout: float = 60, **env: str):
    """Run ``fragwatch --config-dir HOME/config ARGS`` in HOME with exactly these variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FRAGWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", "--config-dir", str(home / "config"), *args],
        cwd=home,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is no longer in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_number(path: Path, marker: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if marker in line)


def smtp_env(port: int, security: str = "none", **extra: str) -> dict[str, str]:
    return {
        "FRAGWATCH_SMTP__HOST": "127.0.0.1",
        "FRAGWATCH_SMTP__PORT": str(port),
        "FRAGWATCH_SMTP__SECURITY": security,
        **extra,
    }


def error_line(stderr: str) -> str:
    """Stderr is exactly one error line (logs only with --verbose)."""
    assert "Traceback" not in stderr
    (line,) = stderr.splitlines()
    assert line.startswith("fragwatch: error: "), stderr
    return line


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


# -- 1 and 6: a bad config fails at start, before any job ------------------------------------

# (file, old text, new text, marker of the line named, field named, words, environment)
BAD_CONFIG = {
    "toml-syntax": (
        "fragwatch.toml", "deliver_every_seconds = 60", "deliver_every_seconds = = 60",
        "= = 60", None, "TOML syntax error", {},
    ),
    "unknown-key": (
        "fragwatch.toml", "deliver_every_seconds = 60", "deliver_every_seconds = 60\nfrequency = 3",
        "frequency", "schedule.frequency", "unknown key", {},
    ),
    "clear-above-fire": (
        "alerts.toml", "clear = 55", "clear = 65",
        "clear = 65", "rule.0.clear", "must lie below the fire level 60", {},
    ),
    "unknown-indicator": (
        "alerts.toml", 'indicator = "remittances_gdp"', 'indicator = "remittances_gpd"',
        "remittances_gpd", "rule.3.indicator", "unknown indicator 'remittances_gpd'", {},
    ),
    "malformed-officer": (
        "fragwatch.toml", f'watch_officer = "{OFFICER}"', 'watch_officer = "officer at home"',
        "watch_officer", "recipients.watch_officer", "not an e-mail address", {},
    ),
    "user-without-password": (
        "fragwatch.toml", "", "", "[smtp]", "smtp", "user 'alice' needs a password",
        {"FRAGWATCH_SMTP__HOST": "127.0.0.1", "FRAGWATCH_SMTP__USER": "alice"},
    ),
    "malformed-cron": (
        "fragwatch.toml", f'assess_cron = "{MONTHLY}"', 'assess_cron = "0 6 1 *"',
        "assess_cron", "schedule.assess_cron", "not a crontab expression", {},
    ),
    # 6: plain text to another machine needs allow_insecure; the service refuses to start.
    "plain-smtp-to-remote-host": (
        "fragwatch.toml", "", "", "[smtp]", "smtp", "in clear",
        {"FRAGWATCH_SMTP__HOST": "smtp.example.org", "FRAGWATCH_SMTP__SECURITY": "none"},
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    "command", [("run-once", "--now", "2016-03-15T12:00"), ("serve",)], ids=["run-once", "serve"]
)
@pytest.mark.parametrize(
    ("file", "old", "new", "marker", "field", "words", "env"),
    list(BAD_CONFIG.values()),
    ids=list(BAD_CONFIG),
)
def test_bad_config_stops_the_service_with_one_line_before_any_job(
    home, command, file, old, new, marker, field, words, env
):
    """The operator gets one line naming the file, line and field; no store, no mail."""
    path = home / "config" / file
    if old:
        edit(path, old, new)
    result = fragwatch(home, *command, **env)
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("fragwatch: error: ")
    where = f"{path}:{line_number(path, marker)}:"
    assert where in line
    if field:
        assert f"{where} field '{field}'" in line
    assert words in line
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (home / "var").exists()  # neither var/fragwatch.db nor var/outbox/
    assert sorted(p.name for p in home.iterdir()) == ["config"]


# -- 2: STARTTLS with AUTH ------------------------------------------------------------------


@pytest.fixture
def starttls_server(start_server, server_tls):
    """aiosmtpd that takes mail only after STARTTLS and AUTH (and AUTH only over TLS)."""
    handler = Recorder()
    controller = start_server(
        handler,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    )
    return handler, controller.port


def test_alert_arrives_over_starttls_with_auth(home, starttls_server, ca_file):
    """The officer gets the alert through an authenticated, verified TLS session."""
    handler, port = starttls_server
    env = smtp_env(
        port,
        "starttls",
        FRAGWATCH_SMTP__USER=USER,
        FRAGWATCH_SMTP__PASSWORD=PASSWORD,
        FRAGWATCH_SMTP__CA_FILE=str(ca_file),
    )
    result = fragwatch(home, "run-once", "--now", NOW, **env)
    assert result.returncode == 0, result.stderr
    assert f"delivered 1 message(s) to SMTP 127.0.0.1:{port} (starttls)" in result.stdout
    ((mail_from, rcpt_tos, raw),) = handler.received
    assert mail_from == "fragwatch@localhost"
    assert rcpt_tos == [OFFICER]
    message = parse(raw)
    assert message["To"] == OFFICER
    assert f"{RULE} FIRING" in message["Subject"]
    assert not (home / "var" / "outbox").exists()  # sent by SMTP, not written as files


# -- 3: a wrong password --------------------------------------------------------------------


def test_wrong_password_keeps_the_mail_queued_and_is_never_shown(home, starttls_server, ca_file):
    """Exit 7 and one line about authentication; the password is in no output, store or mail."""
    handler, port = starttls_server
    env = smtp_env(
        port,
        "starttls",
        FRAGWATCH_SMTP__USER=USER,
        FRAGWATCH_SMTP__PASSWORD=WRONG,
        FRAGWATCH_SMTP__CA_FILE=str(ca_file),
    )
    first = fragwatch(home, "run-once", "--now", NOW, **env)
    assert first.returncode == 7, first.stderr
    line = error_line(first.stderr)
    assert line.startswith("fragwatch: error: run-once: ")
    assert "authentication failed for user 'alice'" in line
    assert "535" in line

    # Again after the backoff, with every job step logged.
    verbose = fragwatch(home, "run-once", "--now", "2026-11-22T14:00", "--verbose", **env)
    assert verbose.returncode == 7, verbose.stderr
    assert "authentication failed" in verbose.stderr
    assert len(verbose.stderr.splitlines()) > 1  # the logs are there to be searched

    listing = fragwatch(home, "outbox", "list", **env)
    assert listing.returncode == 0, listing.stderr
    assert "PENDING" in listing.stdout
    assert "attempts 2" in listing.stdout
    assert "last error: SMTP 127.0.0.1" in listing.stdout
    assert "authentication failed" in listing.stdout
    check = fragwatch(home, "config", "check", **env)
    assert check.returncode == 0, check.stderr
    assert '"password": "********"' in check.stdout

    assert handler.received == []
    assert handler.data_attempts == 0
    shown = [first.stdout, first.stderr, verbose.stdout, verbose.stderr]
    shown += [listing.stdout, listing.stderr, check.stdout, check.stderr]
    for text in shown:
        assert WRONG not in text
    stored = [p for p in (home / "var").iterdir() if p.name.startswith("fragwatch.db")]
    assert stored  # the database, and its -wal and -shm files if SQLite left them
    for path in stored:
        assert WRONG.encode() not in path.read_bytes(), path.name


# -- 4: the SMTP server is down, then up ----------------------------------------------------


def test_server_down_then_up_delivers_the_alert_once_after_the_backoff(home, start_server):
    """Mail waits in the outbox while the server is down, and arrives once when it is back."""
    port = free_port()  # nothing listens here yet
    env = smtp_env(port, FRAGWATCH_DELIVERY__RETRY_BASE_SECONDS="60")
    down = fragwatch(home, "run-once", "--now", NOW, **env)
    assert down.returncode == 7, down.stderr
    assert "connection refused" in error_line(down.stderr)
    assert "outbox: 1 waiting" in down.stdout

    listing = fragwatch(home, "outbox", "list", **env)
    assert "PENDING" in listing.stdout
    assert "connection refused" in listing.stdout
    next_try = datetime.fromisoformat(re.search(r"next try (\S+ \S+)", listing.stdout)[1])
    # The first retry waits 30 to 60 seconds (base 60 s, jittered down to half).
    before, after = "2026-11-22T12:00:20", "2026-11-22T13:00"
    assert datetime.fromisoformat(before) < next_try < datetime.fromisoformat(after)

    handler = Recorder()
    start_server(handler, port=port)
    early = fragwatch(home, "run-once", "--now", before, **env)
    assert "delivered 0 message(s)" in early.stdout, early.stderr
    assert "outbox: 1 waiting" in early.stdout
    assert early.returncode == 7  # a cron wrapper sees that mail is still waiting
    assert "not delivered yet" in error_line(early.stderr)
    assert handler.data_attempts == 0  # the stored backoff holds across processes

    back = fragwatch(home, "run-once", "--now", after, **env)
    assert back.returncode == 0, back.stderr
    assert f"delivered 1 message(s) to SMTP 127.0.0.1:{port} (none)" in back.stdout
    again = fragwatch(home, "run-once", "--now", "2026-11-22T14:00", **env)
    assert again.returncode == 0, again.stderr
    ((_, rcpt_tos, raw),) = handler.received
    assert rcpt_tos == [OFFICER]
    assert f"{RULE} FIRING" in parse(raw)["Subject"]


# -- 5: header injection from config text ---------------------------------------------------


def test_a_rule_name_with_control_characters_is_refused_at_start(home):
    alerts = home / "config" / "alerts.toml"
    edit(alerts, 'name = "stale-evidence"', r'name = "stale-evidence\nX-Injected: 1"')
    result = fragwatch(home, "run-once", "--now", NOW)
    assert result.returncode == 3
    line = error_line(result.stderr)
    assert f"alerts.toml:{line_number(alerts, 'X-Injected')}: field 'rule.4.name'" in line
    assert not (home / "var").exists()


def test_rule_text_cannot_add_headers_or_recipients(home, start_server):
    """A CR/LF in a rule's description (or the reading) stays text: no Bcc, no extra header."""
    alerts = home / "config" / "alerts.toml"
    edit(
        alerts,
        'description = "Remittances reached 40% of GDP: exposure to a downturn',
        r'description = "Desk note\r\nBcc: evil@example.org',
    )
    handler = Recorder()
    port = start_server(handler).port
    # Descriptions are free text and may hold anything: the mail must neutralise it.
    result = fragwatch(home, "run-once", "--now", NOW, **smtp_env(port))
    assert result.returncode == 0, result.stderr
    ((_, rcpt_tos, raw),) = handler.received
    assert rcpt_tos == [OFFICER]
    message = parse(raw)
    assert message["Bcc"] is None
    assert message["X-Injected"] is None
    assert {k.lower() for k in message} <= {
        "from", "to", "subject", "date", "message-id", "auto-submitted", "x-fragwatch-rule",
        "x-fragwatch-subject", "x-fragwatch-severity", "x-fragwatch-kind", "x-fragwatch-period",
        "x-fragwatch-alerts", "content-type",
        "content-transfer-encoding", "mime-version",
    }  # fmt: skip
    assert message["To"] == OFFICER
    assert message["X-Fragwatch-Rule"] == RULE
    for name, value in message.items():
        assert "evil@example.org" not in str(value), name
