"""Every mail the service sends fits Gmail: its HTML part under 100,000 bytes.

Gmail clips a message whose HTML exceeds about 102 KB ("[Message clipped] View entire
message"), hiding the end of a report (its sources and method note) from the most common
reader. The mails are the real ones: `run-once` today and `report --as-of 2016-01-31 --send`
(the default period and the year since 2015-01-31, the widest) for every watched country, in a
temporary folder, delivered as .eml files. Each report must still carry what a reader relies on:
the trend call, what happened, the history chart, the contributions table, the alerts on its
date, the sources behind its figures and the method note.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, WATCHED
from .report_helpers import Sections

GMAIL_CLIP = 100_000  # bytes; Gmail clips at about 102 KB, this leaves a margin
TRENDS = {"deteriorated", "improved", "no significant change"}


def fragwatch(cwd: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAGWATCH_")}
    env["FRAGWATCH_CONFIG_DIR"] = str(REPO / "config")  # six watched countries, no SMTP host
    result = subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def mails(folder: Path) -> list[email.message.EmailMessage]:
    files = sorted((folder / "var" / "outbox").glob("*.eml"))
    assert files, f"no mail in {folder}"
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


def assert_fits_gmail(msg: email.message.EmailMessage) -> None:
    """The HTML part is under the limit as sent (quoted-printable), which is never smaller than
    the UTF-8 a client decodes from it."""
    part = msg.get_body(("html",))
    decoded, sent = len(part.get_content().encode("utf-8")), len(part.get_payload().encode("ascii"))
    assert decoded <= sent
    assert sent < GMAIL_CLIP, (msg["Subject"], decoded, sent)


def check_sections(msg: email.message.EmailMessage, as_of: str) -> None:
    """The parts of the report a reader relies on, in the HTML the client shows."""
    html_part = msg.get_body(("html",))
    raw = html_part.get_content()
    html = Sections(raw)
    country = msg["X-Fragwatch-Country"]
    # The trend call, in words.
    (trend,) = html.of("trend")
    assert trend in TRENDS, (country, trend)
    assert html.text[f"data-trend={trend}"].lower().startswith(trend)
    assert html.text["data-happened=yes"].strip().startswith("What happened since")
    # The history and contributions charts, each with its image attached to the mail.
    figures = html.of("figure")
    assert {"history", "contributions", "indicators"} <= set(figures), figures
    cids = re.findall(r'src="cid:([^"]+)"', raw)
    attached = {
        p["Content-ID"].strip("<>") for p in msg.walk() if p.get_content_maintype() == "image"
    }
    assert len(cids) == len(figures)
    assert set(cids) == attached
    assert "data:image" not in raw  # charts travel as parts, never inlined as base64
    # The contributions table: a row per indicator of the model.
    rows = html.of("indicator")
    assert len(rows) >= 10, rows
    assert len(set(rows)) == len(rows), rows
    # The alerts on the report's date, however they stood then.
    alerts = html.text["data-section=alerts"]
    assert html.of("alerts"), country
    assert f"as of {as_of}" in alerts, alerts
    # Sources: every number a caption or the table points to is a listed source.
    listed = set(html.of("source"))
    assert html.of("quote"), country
    pointed = {
        n
        for k in html.keys
        if k.startswith(("data-figure=", "data-indicator="))
        for group in re.findall(r"\[([\d, ]+)\]", html.text[k])
        for n in re.split(r",\s*", group)
    }
    assert pointed, country
    assert pointed <= listed, (pointed - listed, country)
    # The method note, last.
    method = html.text["data-section=method"]
    assert "Monte Carlo draws" in method
    assert "Model" in method
    assert [k for k in html.keys if k.startswith("data-section=")][-1] == "data-section=method"
    # The text part says the same sections.
    text = msg.get_body(("plain",)).get_content()
    for heading in ("WHAT HAPPENED SINCE", "INDICATORS AS OF", "ACTIVE ALERTS",
                    "SOURCES AND QUOTES", "METHOD"):  # fmt: skip
        assert heading in text, (country, heading)


@pytest.fixture(scope="module")
def year_reports(tmp_path_factory) -> list[email.message.EmailMessage]:
    folder = tmp_path_factory.mktemp("year")
    fragwatch(folder, "report", "--as-of", "2016-01-31", "--since", "2015-01-31", "--send")
    return mails(folder)


def test_the_reports_of_2016_01_31_fit_gmail_with_every_section(tmp_path, year_reports):
    week = tmp_path / "week"
    week.mkdir()
    fragwatch(week, "report", "--as-of", "2016-01-31", "--send")
    for sent in (mails(week), year_reports):
        assert sorted(m["X-Fragwatch-Country"] for m in sent) == sorted(WATCHED)
        for msg in sent:
            assert msg["X-Fragwatch-As-Of"] == "2016-01-31"
            assert_fits_gmail(msg)
            check_sections(msg, "2016-01-31")


def test_the_sources_quote_what_the_report_prints_and_count_the_rest(year_reports):
    # Tajikistan's year: five years of raw values behind the charts, most not quoted.
    (tjk,) = [m for m in year_reports if m["X-Fragwatch-Country"] == "TJK"]
    html = Sections(tjk.get_body(("html",)).get_content())
    counted = html.of("more-quotes")
    assert counted
    for ref in counted:
        said = html.text[f"data-more-quotes={ref}"]
        assert re.match(r"\+?\d+ (more )?passages? behind earlier values in the charts", said)
    # A source named only by the charts is still listed, with its link.
    links = [a.get("href", "") for t, a in html.elements if t == "a"]
    assert any(href.startswith("https://") for href in links)


def test_every_mail_of_a_run_today_fits_gmail(tmp_path):
    fragwatch(tmp_path, "run-once")
    sent = mails(tmp_path)
    reports = [m for m in sent if m["X-Fragwatch-Kind"] == "report"]
    assert sorted(m["X-Fragwatch-Country"] for m in reports) == sorted(WATCHED)
    # The alerts firing today are mailed too (Afghanistan's score is high on the embedded data).
    assert len(sent) > len(reports)
    for msg in sent:
        assert_fits_gmail(msg)
    for msg in reports:
        check_sections(msg, msg["X-Fragwatch-As-Of"])
