"""The report by mail, received by a real SMTP server on 127.0.0.1, and the report job on a real
SQLite store with a fixed clock: each report period is sent once, and after downtime the latest
missed period is sent once.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from fragwatch.delivery.message import message_id
from fragwatch.evidence.files import load_evidence
from fragwatch.scheduler.jobs import deliver_job
from fragwatch.scheduler.report_job import report_dedupe_key, report_job
from fragwatch.scheduler.wiring import build_service
from fragwatch.scoring.assessment import assess
from fragwatch.settings import load_model_spec
from fragwatch.settings.service import load_settings
from fragwatch.store.schema import outbox

from .conftest import MODEL_TOML, REPO
from .smtp_server import Recorder

SENDER = "fragwatch@reports.example.org"
READERS = ["reader-one@localhost", "reader-two@localhost"]
PNG = b"\x89PNG\r\n\x1a\n"


def over_78(text: str) -> list[str]:
    """Lines longer than 78 characters that are not one unbreakable word (a URL)."""
    lines = text.replace("\r\n", "\n").split("\n")
    return [line for line in lines if len(line) > 78 and len(line.split()) > 1]


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def smtp_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAGWATCH_")}
    env.update(
        FRAGWATCH_CONFIG_DIR=str(REPO / "config"),
        FRAGWATCH_SMTP__HOST="127.0.0.1",
        FRAGWATCH_SMTP__PORT=str(port),
        FRAGWATCH_SMTP__SECURITY="none",
        FRAGWATCH_SMTP__SENDER=SENDER,
        FRAGWATCH_RECIPIENTS__REPORT_READERS=json.dumps(READERS),
        # Tajikistan alone (the shipped config watches it and its five neighbours).
        FRAGWATCH_COUNTRIES=json.dumps(["TJK"]),
    )
    return env


def fragwatch(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_report_arrives_as_text_and_html_with_every_chart_inline(
    tmp_path, start_server, evidence, spec
):
    recorder = Recorder()
    server = start_server(recorder)
    env = smtp_env(tmp_path, server.port)
    env["FRAGWATCH_REPORT__BASE_URL"] = "https://fragwatch.example.org/docs/"
    args = ("report", "--as-of", "2016-01-31", "--since", "2015-01-31", "--send")
    sent = fragwatch(tmp_path, env, *args)
    assert sent.returncode == 0, sent.stderr
    assert "delivered 1 message(s) to SMTP 127.0.0.1" in sent.stdout

    ((mail_from, rcpt_tos, raw),) = recorder.received
    assert mail_from == SENDER
    assert sorted(rcpt_tos) == sorted(READERS)
    msg = parse(raw)
    (now,) = assess(evidence, spec, ["TJK"], pd.Timestamp("2016-01-31"))
    (then,) = assess(evidence, spec, ["TJK"], pd.Timestamp("2015-01-31"))
    assert msg["Subject"] == (
        f"[fragwatch] TJK risk report as of 2016-01-31: {now.score:.1f} ({now.band}),"
        f" {now.score - then.score:+.1f}"
    )
    assert msg["From"] == SENDER
    assert [a.strip() for a in msg["To"].split(",")] == READERS
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Fragwatch-Kind"] == "report"
    assert msg["X-Fragwatch-As-Of"] == "2016-01-31"
    key = report_dedupe_key("TJK", date(2016, 1, 31), date(2015, 1, 31), spec.digest)
    assert msg["Message-ID"] == message_id(key, SENDER)

    # multipart/alternative: the text first, then the HTML with its images (related).
    assert msg.get_content_type() == "multipart/alternative"
    text_part, related = msg.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    text, html = text_part.get_content(), html_part.get_content()
    assert "WHAT CHANGED SINCE 2015-01-31" in text
    assert "SOURCES AND QUOTES" in text
    assert "What changed since 2015-01-31" in html
    # Readable in mutt and on a phone: 78 columns, only an unbreakable URL may be longer.
    assert over_78(text) == []
    # The method link is absolute (base_url + the relative methodology_url).
    absolute = "https://fragwatch.example.org/docs/docs/methodology.md"
    assert f"Methodology: {absolute}" in text.replace("\r\n", "\n")
    assert f'href="{absolute}"' in html

    cids = re.findall(r'src="cid:([^"]+)"', html)
    attached = {part["Content-ID"].strip("<>"): part for part in images}
    assert len(cids) == 4
    assert set(cids) == set(attached)  # every cid: has its image, and no image is unused
    for part in attached.values():
        assert part.get_content_type() == "image/png"
        assert part.get_content_disposition() == "inline"
        assert part.get_content().startswith(PNG)
    assert all(cid.endswith("@reports.example.org") for cid in cids)

    # The same period again: nothing new is queued or sent.
    again = fragwatch(tmp_path, env, *args)
    assert again.returncode == 0, again.stderr
    assert "queued before: nothing new to send" in again.stdout
    assert len(recorder.received) == 1


def test_the_message_id_is_the_same_for_the_same_report_period_anywhere(tmp_path, start_server):
    ids = []
    for name in ("one", "two"):
        recorder = Recorder()
        server = start_server(recorder)
        folder = tmp_path / name
        folder.mkdir()
        env = smtp_env(folder, server.port)
        result = fragwatch(folder, env, "report", "--as-of", "2016-03-31", "--send")
        assert result.returncode == 0, result.stderr
        ((_, _, raw),) = recorder.received
        ids.append(parse(raw)["Message-ID"])
    assert ids[0] == ids[1]
    # A one-off list (--to) is a different message, with an id of its own.
    recorder = Recorder()
    server = start_server(recorder)
    env = smtp_env(tmp_path / "one", server.port)
    args = ("report", "--as-of", "2016-03-31", "--send", "--to", "analyst@localhost")
    result = fragwatch(tmp_path / "one", env, *args)
    assert result.returncode == 0, result.stderr
    ((_, rcpt_tos, raw),) = recorder.received
    assert rcpt_tos == ["analyst@localhost"]
    assert parse(raw)["Message-ID"] != ids[0]


# -- the report job, called directly with a fixed clock -----------------------------------------


def make_service(tmp_path: Path, port: int, **extra):
    settings = load_settings(
        REPO / "config",
        database_url=f"sqlite:///{tmp_path / 'var' / 'fragwatch.db'}",
        outbox_dir=tmp_path / "var" / "outbox",
        smtp={"host": "127.0.0.1", "port": port, "security": "none", "sender": SENDER},
        recipients={"report_readers": READERS},
        report={"dir": tmp_path / "var" / "reports"},
        **{"countries": ["TJK"], **extra},
    )
    return build_service(
        settings, load_model_spec(MODEL_TOML), [], lambda: load_evidence([], countries=["TJK"])
    )


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def report_rows(svc) -> list[tuple[str, str]]:
    with svc.engine.connect() as conn:
        query = select(outbox.c.dedupe_key, outbox.c.message_id).where(outbox.c.kind == "report")
        return [(r.dedupe_key, r.message_id) for r in conn.execute(query.order_by(outbox.c.id))]


def test_a_report_period_is_sent_once_and_downtime_sends_only_the_latest_missed_one(
    tmp_path, start_server
):
    recorder = Recorder()
    server = start_server(recorder)
    svc = make_service(tmp_path, server.port)  # the shipped schedule: Mondays 07:00 UTC

    # Wednesday 3 February 2016: the period is Monday the 1st, compared with the 25th.
    first = report_job(at("2016-02-03"), svc)
    assert (first.period, first.since) == (date(2016, 2, 1), date(2016, 1, 25))
    assert first.queued == 1
    assert (tmp_path / "var" / "reports" / "TJK-2016-02-01" / "report.html").is_file()
    deliver_job(at("2016-02-03"), svc)
    assert len(recorder.received) == 1

    # The job runs again for the same period (a restart, a second timer): nothing new.
    again = report_job(at("2016-02-03", hour=18), svc)
    assert again.period == date(2016, 2, 1)
    assert again.queued == 0
    deliver_job(at("2016-02-03", hour=18), svc)
    assert len(recorder.received) == 1

    # Down from the 4th to Wednesday the 24th: the 8th, 15th and 22nd were missed. Only the
    # latest is sent, compared with the firing before it.
    back = report_job(at("2016-02-24"), svc)
    assert (back.period, back.since) == (date(2016, 2, 22), date(2016, 2, 15))
    assert back.queued == 1
    deliver_job(at("2016-02-24"), svc)
    assert len(recorder.received) == 2
    subjects = [parse(raw)["Subject"] for _, _, raw in recorder.received]
    assert "as of 2016-02-01" in subjects[0]
    assert "as of 2016-02-22" in subjects[1]
    rows = report_rows(svc)
    assert [k.split("|")[2] for k, _ in rows] == ["2016-02-01", "2016-02-22"]
    assert [parse(raw)["Message-ID"] for _, _, raw in recorder.received] == [m for _, m in rows]


def test_no_report_readers_no_report(tmp_path):
    # Without report readers the job does nothing and writes nothing.
    settings = load_settings(
        REPO / "config",
        database_url=f"sqlite:///{tmp_path / 'fragwatch.db'}",
        report={"dir": tmp_path / "reports"},
        recipients={"report_readers": []},
    )
    svc = build_service(settings, load_model_spec(MODEL_TOML), [], lambda: load_evidence([]))
    run = report_job(at("2016-02-03"), svc)
    assert run.period is None
    assert run.outcomes == []
    assert not (tmp_path / "reports").exists()


def test_run_once_queues_the_current_report_with_the_alerts(tmp_path, start_server):
    recorder = Recorder()
    server = start_server(recorder)
    env = smtp_env(tmp_path, server.port)
    # Monday 2016-02-08 after 07:00: the day's assess period (06:00) and report period (07:00).
    first = fragwatch(tmp_path, env, "run-once", "--now", "2016-02-08T07:30")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "assessed 2016-02-08; 1 alert message(s) queued",
        first.stdout.splitlines()[1],
        "delivered 2 message(s) to SMTP 127.0.0.1:" + str(server.port) + " (none)",
    ]
    assert first.stdout.splitlines()[1].startswith(
        "report queued: TJK risk report as of 2016-02-08: "
    )
    kinds = sorted(parse(raw)["X-Fragwatch-Kind"] for _, _, raw in recorder.received)
    assert kinds == ["firing", "report"]
    report = next(parse(r) for _, _, r in recorder.received if b"risk report" in r)
    # The report read the alert state the assess job had just written for its date.
    assert "remittances-dependence" in report.get_body(("html",)).get_content()

    second = fragwatch(tmp_path, env, "run-once", "--now", "2016-02-08T08:30")
    assert second.returncode == 0, second.stderr
    assert "report for TJK as of 2016-02-08: queued before" in second.stdout
    assert len(recorder.received) == 2


def test_serve_sends_the_current_report_after_its_catch_up_and_not_again_on_restart(
    tmp_path, start_server
):
    recorder = Recorder()
    server = start_server(recorder)
    env = smtp_env(tmp_path, server.port)
    env.update(
        FRAGWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'fragwatch.db'}",
        FRAGWATCH_SCHEDULE__DELIVER_EVERY_SECONDS="0.5",
    )
    log = tmp_path / "serve.log"

    def reports() -> list[email.message.EmailMessage]:
        mails = [parse(raw) for _, _, raw in recorder.received]
        return [m for m in mails if m["X-Fragwatch-Kind"] == "report"]

    def serve_until(condition, what: str) -> str:
        with log.open("ab") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "fragwatch.cli", "serve"],
                cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while not condition():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"timed out waiting for {what}"
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0, log.read_text()
        finally:
            proc.kill()
        return log.read_text()

    text = serve_until(lambda: len(reports()) == 1, "the report of the current period")
    assert "Traceback" not in text
    (report,) = reports()
    period = report["X-Fragwatch-As-Of"]
    # A restart finds the period reported already and sends nothing new.
    text = serve_until(
        lambda: log.read_text().count("was queued before: nothing new") >= 1, "the second look"
    )
    assert f"report for TJK as of {period} was queued before" in text
    assert len(reports()) == 1
