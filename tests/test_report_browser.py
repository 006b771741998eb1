"""The written report in a real browser: Debian's headless Chromium, driven by Selenium through
/usr/bin/chromedriver (so Selenium Manager never looks for a browser to download).

The page must load with every chart decoded, and the hostile evidence planted in it must stay
text: no script runs (a script or handler would rename the page), no element carries a handler.
A full-page screenshot is kept in tests/artifacts/ (ignored by git) for a person to look at.
`make test` installs chromium and chromium-driver; in CI a missing browser fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO
from .report_helpers import HOSTILE_QUOTE, write_hostile_evidence

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = REPO / "tests" / "artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=800,1000",
)

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.fail(
        "chromium and chromium-driver are missing: `make test` (or `make browser`) installs them",
        pytrace=False,
    )


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_the_written_report_renders_with_every_chart_and_runs_no_evidence_text(tmp_path, browser):
    folder = write_hostile_evidence(tmp_path / "hostile")
    out = tmp_path / "report"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAGWATCH_")}
    env["FRAGWATCH_CONFIG_DIR"] = str(REPO / "config")
    env["FRAGWATCH_COUNTRIES"] = '["TJK"]'  # one country's report; the shipped config has six
    made = subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", "--evidence", str(folder), "report",
         "--as-of", "2016-01-31", "--since", "2015-01-31", "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr

    browser.get((out / "report.html").as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    images = browser.execute_script(
        "return Array.from(document.images).map("
        "i => ({src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth}))"
    )
    assert sorted(i["src"] for i in images) == sorted(
        ["history.png", "contributions.png", "change.png", "indicators.png"]
    )
    assert all(i["complete"] and i["width"] > 0 for i in images), images

    # Nothing of the evidence ran: every payload would have renamed the page.
    title = browser.execute_script("return document.title")
    assert title.startswith("TJK risk report as of 2016-01-31")
    assert "pwned" not in title
    assert browser.execute_script("return document.scripts.length") == 0
    handlers = browser.execute_script(
        "return Array.from(document.querySelectorAll('*')).filter("
        "e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length"
    )
    assert handlers == 0
    assert HOSTILE_QUOTE in browser.execute_script("return document.body.innerText")

    # The whole page, for a person to look at.
    shot = full_page_screenshot(browser, 800, "report-TJK-2016-01-31.png")
    print(f"screenshot: {shot}")


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG, from its IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def full_page_screenshot(driver, width: int, name: str) -> Path:
    """The whole page at ``width`` CSS pixels into tests/artifacts/``name``: the window is made
    as high as the page first (a screenshot holds only what the window shows), and the PNG is
    checked to be that high."""
    height = int(driver.execute_script("return document.body.scrollHeight"))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    assert driver.save_screenshot(str(target))
    assert png_size(target) == (width, height), target
    return target
