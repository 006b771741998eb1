"""Debian's headless Chromium for the browser tests: where it is, its flags, a driver, and
full-page screenshots kept in tests/artifacts/ (ignored by git) for a person to look at.
`make test` installs chromium and chromium-driver; a missing browser fails the tests that
use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import REPO

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


def start_chromium(profile: Path, flags: tuple[str, ...] = FLAGS):
    """Debian's Chromium, headless, driven through /usr/bin/chromedriver (Selenium Manager never
    looks for a browser to download), with a fresh profile folder."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    return driver


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
