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

from .chromium import full_page_screenshot
from .conftest import REPO
from .report_helpers import HOSTILE_QUOTE, write_hostile_evidence


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
