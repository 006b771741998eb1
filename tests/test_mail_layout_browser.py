"""The report and an alert mail's HTML fit a phone: headless Chromium (Debian's chromium and
chromedriver through Selenium, as in test_report_browser) at 390 CSS pixels wide (an iPhone
12-15 in portrait; the report also at 360) and at 1200. No horizontal scroll at any width: the
page is no wider than the window. Screenshots of each width are kept in tests/artifacts/.

The report is the one for 2016-01-31 (every indicator scored, the widest tables) written by the
real command; the alert mail is the group of 2016-02-01 (score-high, band-change, score-jump and
remittances-dependence) composed from the embedded data. The catch-up summary is the one the
service sends after a backfill of Tajikistan from 2014, taken from the real SMTP server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from selenium.webdriver.common.by import By

from fragwatch.alerts.lifecycle import AlertState, step
from fragwatch.alerts.rules import evaluate
from fragwatch.delivery.compose import AlertMail, compose_html
from fragwatch.scoring.assessment import assess
from fragwatch.settings.alerts import load_alert_rules

from .chromium import full_page_screenshot
from .conftest import REPO
from .smtp_server import Recorder

WIDTHS = (390, 1200)
REPORT_WIDTHS = (360, 390, 1200)  # the report promises to be fluid from 360 px


def alert_page(folder: Path, evidence, spec) -> Path:
    rules = {r.name: r for r in load_alert_rules(REPO / "config", set(spec.indicators))}
    (before,) = assess(evidence, spec, ["TJK"], pd.Timestamp("2016-01-01"))
    (now,) = assess(evidence, spec, ["TJK"], pd.Timestamp("2016-02-01"))
    mails = []
    # Levels where Tajikistan's two-layer score moves (36 -> 45): every alert fires.
    rules["score-high"] = replace(rules["score-high"], fire=40, clear=38)
    rules["score-jump"] = replace(rules["score-jump"], fire=8)
    for name in ("score-high", "band-change", "score-jump", "remittances-dependence"):
        rule = rules[name]
        reading = evaluate(rule, now, before)
        state, note = step(rule, AlertState(name, reading.subject), reading,
                           datetime(2016, 2, 1, 6, tzinfo=UTC))  # fmt: skip
        assert note is not None
        mails.append(AlertMail(note, rule, now, before, state.since))
    page = folder / "alert.html"
    page.write_text(compose_html(mails, evidence), encoding="utf-8")
    return page


def report_page(folder: Path) -> Path:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAGWATCH_")}
    env["FRAGWATCH_CONFIG_DIR"] = str(REPO / "config")
    # Tajikistan alone: with the shipped six countries --out would be a folder per country.
    env["FRAGWATCH_COUNTRIES"] = '["TJK"]'
    out = folder / "report"
    made = subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", "report", "--as-of", "2016-01-31",
         "--since", "2015-01-31", "--out", str(out)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    page = out / "report.html"
    assert page.is_file(), made.stdout
    return page


def fits(driver, page: Path, width: int, shot: str) -> tuple[int, int]:
    """Open ``page`` as a ``width``-pixel screen; save a full-page screenshot; the widths."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    driver.get(page.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    inner = driver.execute_script("return window.innerWidth")
    target = full_page_screenshot(driver, width, shot)
    assert target.stat().st_size > 5_000
    return scroll, inner


@pytest.mark.parametrize("width", REPORT_WIDTHS)
def test_the_report_has_no_horizontal_scroll(tmp_path, browser, width):
    page = report_page(tmp_path)
    scroll, inner = fits(browser, page, width, f"report-TJK-2016-01-31-{width}px.png")
    assert inner == width
    assert scroll <= inner
    # Every chart is loaded and drawn no wider than the page.
    images = browser.execute_script(
        "return Array.from(document.images).map(i => ({right: i.getBoundingClientRect().right,"
        " loaded: i.complete && i.naturalWidth > 0}))"
    )
    assert len(images) == 4
    assert all(i["loaded"] for i in images), images
    assert max(i["right"] for i in images) <= inner


@pytest.mark.parametrize("width", WIDTHS)
def test_an_alert_mail_has_no_horizontal_scroll(tmp_path, browser, width, evidence, spec):
    page = alert_page(tmp_path, evidence, spec)
    scroll, inner = fits(browser, page, width, f"alert-TJK-2016-02-01-{width}px.png")
    assert inner == width
    assert scroll <= inner
    text = browser.execute_script("return document.body.innerText")
    assert "SCORE-HIGH FIRING" in text
    assert "fragwatch alerts ack score-high TJK" in text


def test_the_catch_up_summary_has_no_horizontal_scroll(tmp_path, browser, start_server):
    # The summary as the service sends it: a backfill of Tajikistan from 2014, delivered
    # through the real SMTP server on 127.0.0.1; its HTML part is what the phone shows.
    from .test_alert_groups import run, service

    handler = Recorder()
    svc = service(tmp_path, start_server(handler).port, backfill=date(2014, 1, 1))
    (summary,) = [m for m in run(svc, "2016-08-15", handler) if m["X-Fragwatch-Kind"] == "summary"]
    assert summary.get_content_type() == "multipart/alternative"
    page = tmp_path / "summary.html"
    page.write_text(summary.get_body(("html",)).get_content(), encoding="utf-8")
    for width in WIDTHS:
        scroll, inner = fits(browser, page, width, f"summary-TJK-2014-01-01-{width}px.png")
        assert inner == width
        assert scroll <= inner
        text = browser.execute_script("return document.body.innerText")
        # Each past period is a section of its own; the resolution and what still fires.
        assert browser.find_elements(By.CSS_SELECTOR, '[data-period="2016-02-01"]')
        assert "RESOLVED" in text
        assert "remittances-dependence" in text
        still = browser.find_element(By.CSS_SELECTOR, "[data-still-firing]").text
        assert "score-high" in still
        assert "remittances-dependence" not in still  # it cleared on 2016-07-01
