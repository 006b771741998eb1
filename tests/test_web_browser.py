"""The web desk in a real browser: Debian's headless Chromium driven by Selenium through
/usr/bin/chromedriver, against ``fragwatch web`` running in a subprocess on a loopback port.

An officer logs in, reads the overview and a country, acknowledges one alert, silences
another and runs a scenario; an analyst accepts one candidate of the review queue, rejects
another and runs a shipped and an uploaded scenario; the archive shows a written report.
Every page is checked at phone width (390 px: no horizontal scroll) and desktop width
(1280 px), and screenshots of both are kept in tests/artifacts/ (ignored by git). The hostile
evidence layered on the embedded base must stay text: no script runs, no handler exists.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from .chromium import FLAGS, start_chromium
from .conftest import REPO
from .report_helpers import HOSTILE_QUOTE
from .web_helpers import (
    ACCEPT,
    HOSTILE,
    PASSWORD,
    REFUSED,
    REJECT,
    make_service,
    start_web,
    stop_web,
)

ARTIFACTS = REPO / "tests" / "artifacts" / "web"
WIDTHS = {"phone": 390, "desktop": 1280}


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("webbrowser") / "service"
    settings = make_service(folder, report=True)
    running = start_web(folder, settings)
    yield running
    stop_web(running)


@pytest.fixture
def browser(tmp_path):
    """The desk's browser: a wider window than the report's, and more patience for a page."""
    flags = (*(f for f in FLAGS if not f.startswith("--window-size")), "--window-size=1280,900")
    driver = start_chromium(tmp_path / "profile", flags)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def shown(browser, css: str, words: str = "", seconds: float = 120) -> str:
    """The text of the element once the page a click asked for shows it (with ``words``): a
    form post answers only after the desk has done the work (a scenario's draws, a refreshed
    page), and until then the old page, with its own flash message, is still there."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(b):
        try:
            for element in b.find_elements(By.CSS_SELECTOR, css):
                if words in element.text:
                    return element.text
        except WebDriverException as error:
            # The old page's element, read while the new page replaces it: Chromium reports
            # some such reads as an inspector error instead of a stale element.
            if "does not belong to the document" not in str(error):
                raise
        return False

    waiting = WebDriverWait(browser, seconds, ignored_exceptions=[StaleElementReferenceException])
    return waiting.until(found, f"no {css} showing {words!r}")


def log_in(browser, desk, user: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(desk.url + "/login")
    browser.find_element(By.ID, "username").send_keys(user)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    WebDriverWait(browser, 60).until(lambda b: not b.current_url.endswith("/login"))
    assert browser.current_url.rstrip("/") == desk.url, browser.current_url


def inert(browser) -> None:
    """Nothing from evidence ran or became an element with a handler."""
    assert "pwned" not in browser.title
    assert browser.execute_script("return document.scripts.length") == 0
    handlers = browser.execute_script(
        "return Array.from(document.querySelectorAll('*')).filter("
        "e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length"
    )
    assert handlers == 0


def check_widths(browser, name: str) -> None:
    """At each width: no horizontal scroll on a phone; a full-page screenshot kept."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        browser.set_window_size(width, 900)
        # The layout viewport is the window here (headless, scrollbars hidden).
        scroll, client = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if label == "phone":
            assert scroll <= client, f"{name}: {scroll} px wide in a {client} px viewport"
        height = browser.execute_script("return document.documentElement.scrollHeight")
        # The window cannot grow past the headless screen: the whole page is shot through a
        # device-metrics override of the page's height instead.
        metrics = {"width": width, "height": min(int(height), 12000), "deviceScaleFactor": 1}
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "mobile": False})
        shot = ARTIFACTS / f"{name}-{width}.png"
        assert browser.save_screenshot(str(shot))
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        assert shot.stat().st_size > 5_000
    browser.set_window_size(1280, 900)


def test_an_officer_works_the_desk_in_a_browser(desk, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    log_in(browser, desk, "olga")

    # Overview: the watched country with its score, band, interval and trend.
    card = browser.find_element(By.CSS_SELECTOR, '#overview .card[data-country="TJK"]')
    text = card.text
    assert "TJK" in text
    assert "as of 2016-02-01" in text
    assert "90%" in text
    assert "coverage" in text
    # The world map under the cards: drawn, the watched country filled like its card's border.
    worldmap = browser.find_element(By.ID, "worldmap")
    assert worldmap.is_displayed()
    assert worldmap.size["height"] > 200
    assert browser.execute_script("return document.querySelectorAll('#worldmap path').length") > 170
    tjk = browser.find_element(By.CSS_SELECTOR, '#worldmap path[data-country="TJK"]')
    fill, border = (
        tjk.value_of_css_property("fill"),
        card.value_of_css_property("border-left-color"),
    )
    assert re.findall(r"\d+", fill)[:3] == re.findall(r"\d+", border)[:3], (fill, border)
    inert(browser)
    check_widths(browser, "overview")

    # Country: history chart with bands and alert marks, what changed, evidence quotes.
    card.click()
    assert browser.current_url.endswith("/country/TJK")
    headline = browser.find_element(By.ID, "headline").text
    assert "as of 2016-02-01" in headline
    assert "90% interval" in headline
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart polyline")) >= 1
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart .alert-mark")) >= 1
    # By default the change over the year before: open data scored 2015-02-01 too.
    assert browser.find_element(By.ID, "since").text.startswith("Since 2015-02-01 the score rose")
    # In 1995 the score was withheld (too little open data yet): say so.
    browser.get(desk.url + "/country/TJK?since=1995-12-31")
    assert browser.find_element(By.ID, "since").text.startswith("On 1995-12-31 the score was")
    browser.get(desk.url + "/country/TJK?since=2015-12-31")
    since = browser.find_element(By.ID, "since").text
    assert since.startswith("Since 2015-12-31 the score rose from")
    assert "mostly through" in since
    body = browser.find_element(By.TAG_NAME, "body").text
    assert HOSTILE_QUOTE in body  # shown as the text it is
    inert(browser)
    check_widths(browser, "country-TJK")

    # Alerts: acknowledge one firing alert, silence another.
    browser.find_element(By.LINK_TEXT, "Alerts").click()
    firing = browser.find_elements(By.CSS_SELECTOR, "section.alert.state-firing")
    assert len(firing) >= 2
    first, second = firing[0], firing[1]
    acked = (first.get_attribute("data-rule"), first.get_attribute("data-subject"))
    silenced = (second.get_attribute("data-rule"), second.get_attribute("data-subject"))
    first.find_element(By.CSS_SELECTOR, "button.ack").click()
    assert "Acknowledged" in shown(browser, ".flash", "Acknowledged")
    sections = {
        (s.get_attribute("data-rule"), s.get_attribute("data-subject")): s
        for s in browser.find_elements(By.CSS_SELECTOR, "section.alert")
    }
    assert "acknowledged by web:olga" in sections[acked].text
    form = sections[silenced].find_element(By.CSS_SELECTOR, "form.silence")
    Select(form.find_element(By.NAME, "duration")).select_by_value("3d")
    form.find_element(By.NAME, "comment").send_keys("seen, <b>briefed</b> the desk")
    form.find_element(By.CSS_SELECTOR, "button.silence-button").click()
    assert "Silenced" in shown(browser, ".flash", "Silenced")
    row = browser.find_element(By.CSS_SELECTOR, ".silence-row")
    assert f"{silenced[0]} {silenced[1]}" in row.text
    assert "seen, <b>briefed</b> the desk" in row.text
    inert(browser)
    check_widths(browser, "alerts")

    with sqlite3.connect(desk.database) as db:
        ack = db.execute(
            "SELECT acked_by FROM alert_state WHERE rule = ? AND subject = ?", acked
        ).fetchone()
        silence = db.execute("SELECT rule_pattern, subject_pattern, created_by FROM silences")
        audit = db.execute(
            "SELECT who, action FROM web_audit WHERE who LIKE 'web:%' AND action NOT LIKE 'login%'"
        ).fetchall()
        silence = silence.fetchall()
    assert ack == ("web:olga",)
    assert silence == [(*silenced, "web:olga")]
    assert audit == [("web:olga", "alert.ack"), ("web:olga", "silence.add")]

    # End the silence again.
    browser.find_element(By.CSS_SELECTOR, "button.unsilence").click()
    assert "removed" in shown(browser, ".flash", "removed")
    assert not browser.find_elements(By.CSS_SELECTOR, ".silence-row")

    # Scenario beside the baseline; nothing written, nothing queued.
    with sqlite3.connect(desk.database) as db:
        before = db.execute("SELECT count(*), max(computed_at) FROM assessments").fetchone()
        mails = db.execute("SELECT count(*) FROM outbox").fetchone()
    browser.find_element(By.LINK_TEXT, "Scenarios").click()
    Select(browser.find_element(By.ID, "scenario")).select_by_value("remittance-collapse")
    browser.find_element(By.ID, "run").click()
    # The run takes seconds (the interval's draws): wait for the page it answers with.
    result = shown(browser, "#result")
    assert "Baseline" in result
    assert "Scenario" in result
    assert "TJK" in result
    inert(browser)
    check_widths(browser, "scenario")
    with sqlite3.connect(desk.database) as db:
        assert db.execute("SELECT count(*), max(computed_at) FROM assessments").fetchone() == before
        assert db.execute("SELECT count(*) FROM outbox").fetchone() == mails


def test_evidence_reports_and_a_reader_without_actions(desk, browser):
    from selenium.webdriver.common.by import By

    log_in(browser, desk, "rita")
    browser.get(desk.url + "/evidence?country=TJK&text=Militants+attacked")
    rows = browser.find_elements(By.CSS_SELECTOR, "#evidence .evidence-row")
    assert len(rows) == 1
    assert HOSTILE_QUOTE in rows[0].text
    inert(browser)
    check_widths(browser, "evidence")

    browser.get(desk.url + "/alerts")
    assert not browser.find_elements(By.CSS_SELECTOR, "button.ack")
    assert not browser.find_elements(By.CSS_SELECTOR, "form.silence")

    browser.get(desk.url + "/reports")
    link = browser.find_element(By.CSS_SELECTOR, "#reports a")
    assert link.text == "TJK-2016-01-31"
    link.click()
    assert browser.title.startswith("TJK risk report as of 2016-01-31")
    images = browser.execute_script(
        "return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)"
    )
    assert images
    assert all(images)
    inert(browser)


def test_an_analyst_reviews_candidates_and_runs_scenarios(desk, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from fragwatch.feeds.library import Library

    log_in(browser, desk, "anna")
    browser.find_element(By.LINK_TEXT, "Review").click()
    queued = browser.find_elements(By.CSS_SELECTOR, "#queue .candidate")
    assert {c.get_attribute("data-id") for c in queued} == {ACCEPT, REJECT, HOSTILE, REFUSED}
    assert HOSTILE_QUOTE in browser.find_element(By.ID, "queue").text  # shown as text
    inert(browser)
    check_widths(browser, "review")

    # Accept one: its quote and source on the page, then into the evidence library.
    browser.find_element(By.CSS_SELECTOR, f'.candidate[data-id="{ACCEPT}"] a').click()
    assert "reached 45% of GDP" in browser.find_element(By.ID, "quote").text
    assert "Central Asia <b>passages</b>" in browser.find_element(By.ID, "source").text
    inert(browser)
    check_widths(browser, "candidate")
    browser.find_element(By.ID, "accept").click()
    assert ACCEPT in shown(browser, ".flash", "Accepted")

    # Reject another; the hostile one stays text on its own page too.
    browser.get(f"{desk.url}/review/{REJECT}")
    browser.find_element(By.ID, "reject").click()
    assert REJECT in shown(browser, ".flash", "Rejected")
    cards = browser.find_elements(By.CSS_SELECTOR, ".candidate")
    left = {c.get_attribute("data-id") for c in cards}
    assert left == {HOSTILE, REFUSED}
    browser.get(f"{desk.url}/review/{HOSTILE}")
    assert browser.find_element(By.ID, "quote").text == HOSTILE_QUOTE
    inert(browser)

    status = {r["id"]: r["status"] for r in Library(desk.folder / "var" / "feeds").queue()}
    assert (status[ACCEPT], status[REJECT], status[HOSTILE]) == ("accepted", "rejected", "pending")
    (batch,) = (desk.folder / "var" / "evidence").iterdir()
    assert ACCEPT in (batch / "observations.csv").read_text("utf-8")
    with sqlite3.connect(desk.database) as db:
        audit = db.execute(
            "SELECT who, action, target FROM web_audit WHERE action LIKE 'review.%' ORDER BY id"
        ).fetchall()
    assert audit == [("web:anna", "review.accept", ACCEPT), ("web:anna", "review.reject", REJECT)]

    # A shipped scenario, then an uploaded file, then a bad one: nothing written, nothing sent.
    with sqlite3.connect(desk.database) as db:
        before = db.execute("SELECT count(*), max(computed_at) FROM assessments").fetchone()
        mails = db.execute("SELECT count(*) FROM outbox").fetchone()
    browser.find_element(By.LINK_TEXT, "Scenarios").click()
    Select(browser.find_element(By.ID, "scenario")).select_by_value("border-escalation")
    browser.find_element(By.ID, "run").click()
    assert "TJK" in shown(browser, "#result", "border-escalation")
    mine = tmp_path / "half-remittances.toml"
    mine.write_text(
        'name = "half-remittances"\ndescription = "Remittances halve."\ncountries = ["TJK"]\n'
        'as_of = 2016-01-31\n\n[[shock]]\nindicator = "remittances_gdp"\nop = "multiply"\n'
        "value = 0.5\n",
        encoding="utf-8",
    )
    browser.find_element(By.ID, "scenario-file").send_keys(str(mine))
    browser.find_element(By.ID, "run-file").click()
    result = shown(browser, "#result", "half-remittances (uploaded file)")
    assert "2016-01-31" in result
    inert(browser)
    check_widths(browser, "scenario-upload")
    bad = tmp_path / "bad.toml"
    bad.write_text(mine.read_text("utf-8").replace('"multiply"', '"explode"'), "utf-8")
    browser.find_element(By.ID, "scenario-file").send_keys(str(bad))
    browser.find_element(By.ID, "run-file").click()
    error = shown(browser, "#upload-error", "bad.toml")
    assert error.startswith("bad.toml:8: field 'shock.0.op': unknown op 'explode'")
    assert not browser.find_elements(By.ID, "result")
    check_widths(browser, "scenario-upload-error")
    with sqlite3.connect(desk.database) as db:
        assert db.execute("SELECT count(*), max(computed_at) FROM assessments").fetchone() == before
        assert db.execute("SELECT count(*) FROM outbox").fetchone() == mails
