"""A real web desk for the web tests: a service folder whose store holds two years of monthly
assessments and the alerts they fired (``run-once`` with a backfill), users of every role made
with ``fragwatch users add``, hostile evidence layered on the embedded base, and ``fragwatch web``
running in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from .conftest import REPO
from .report_helpers import HOSTILE_QUOTE, write_hostile_evidence
from .smtp_server import free_port

PASSWORD = "correct horse battery staple"
USERS = {"olga": "officer", "rita": "reader", "anna": "analyst", "adam": "admin"}
NOW = "2016-02-02T00:00"  # run-once as if then: the store ends at the 2016-02-01 period
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Desk:
    url: str
    folder: Path
    settings: Path
    process: subprocess.Popen

    @property
    def database(self) -> Path:
        return self.folder / "var" / "fragwatch.db"

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "fragwatch.cli", "--settings", str(self.settings),
             "--evidence", str(self.folder / "hostile"), *args],
            cwd=self.folder, env=_env(), input=stdin, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip

    @contextmanager
    def client(self, user: str | None = None) -> Iterator[httpx.Client]:
        """An HTTP client, logged in as ``user`` when given."""
        with httpx.Client(base_url=self.url, timeout=60, follow_redirects=False) as client:
            if user is not None:
                assert login(client, user).status_code == 303, user
            yield client


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAGWATCH_")}
    env["FRAGWATCH_CONFIG_DIR"] = str(REPO / "config")
    return env


def csrf_of(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return CSRF.search(page.text).group(1)


def login(client: httpx.Client, user: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(client, "/login")
    return client.post(
        "/login", data={"username": user, "password": password, "csrf_token": token, "next": "/"}
    )


def make_service(folder: Path, *, report: bool = False) -> Path:
    """The service folder with its store filled; returns the settings file."""
    folder.mkdir(parents=True)
    write_hostile_evidence(folder / "hostile")
    settings = folder / "fragwatch.toml"
    settings.write_text(
        f'database_url = "sqlite:///{folder}/var/fragwatch.db"\n'
        f'outbox_dir = "{folder}/var/outbox"\n'
        'countries = ["TJK"]\n'
        "[schedule]\n"
        'assess_cron = "0 6 1 * *"\n'
        "backfill_from = 2014-02-01\n"
        "[report]\n"
        f'dir = "{folder}/var/reports"\n'
        "[feeds]\n"
        f'dir = "{folder}/var/feeds"\n',
        encoding="utf-8",
    )
    desk = Desk("", folder, settings, None)  # type: ignore[arg-type]
    done = desk.cli("run-once", "--now", NOW)
    assert done.returncode == 0, done.stderr
    for name, role in USERS.items():
        made = desk.cli("users", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD)
        assert made.returncode == 0, made.stderr
    write_review_queue(folder / "var" / "feeds")
    if report:
        written = desk.cli("report", "--as-of", "2016-01-31", "--since", "2015-01-31")
        assert written.returncode == 0, written.stderr
    return settings


# A fetched report and the candidates read from it: one to accept, one to reject, one whose
# quote is hostile markup, one for the correction an accept refuses.
REPORT_TEXT = (
    "Tajikistan in 2024. In 2024, remittances from labour migrants reached 45% of GDP. "
    "Customs officers seized 1,200 kg of heroin in 2024. " + HOSTILE_QUOTE + " "
    "Some 310,000 migrants returned home in 2024."
)
ACCEPT, REJECT, HOSTILE, REFUSED = (
    "tjk-remittances_gdp-2024-feed",
    "tjk-heroin_seizures-2024-feed",
    "tjk-armed_attack-2024-01-feed",
    "tjk-migrant_returns-2024-feed",
)


def write_review_queue(feeds: Path) -> None:
    from datetime import date, datetime

    from fragwatch.feeds.library import QUEUE_COLUMNS, Library
    from fragwatch.feeds.model import Report

    report = Report(
        title="Central Asia <b>passages</b>", publisher="Passages Press",
        published=date(2025, 3, 1), url="https://example.org/passages/2025-03",
        text=REPORT_TEXT, countries=("TJK",), origin="https://example.org/feed.xml",
    )  # fmt: skip

    def candidate(cid, quote, confidence, **fields):
        start = REPORT_TEXT.index(quote)
        row = dict.fromkeys(QUEUE_COLUMNS, "")
        row.update(id=cid, country="TJK", source_id=report.report_id, quote=quote,
                   published="2025-03-01", start=str(start), end=str(start + len(quote)),
                   confidence=confidence, status="pending", **fields)  # fmt: skip
        return row

    queued = [
        candidate(
            ACCEPT,
            "In 2024, remittances from labour migrants reached 45% of GDP.",
            "0.90",
            record="observation",
            quantity="remittances_gdp",
            period="2024",
            value="45",
            unit="percent",
        ),
        candidate(
            REJECT,
            "Customs officers seized 1,200 kg of heroin in 2024.",
            "0.80",
            record="observation",
            quantity="heroin_seizures",
            period="2024",
            value="1200",
            unit="kg",
        ),
        candidate(
            HOSTILE, HOSTILE_QUOTE, "0.70", record="event", kind="armed_attack", date="2024-01"
        ),
        candidate(
            REFUSED,
            "Some 310,000 migrants returned home in 2024.",
            "0.60",
            record="observation",
            quantity="migrant_returns",
            period="2024",
            value="310000",
            unit="persons",
        ),
    ]
    Library(feeds).store([report], queued, datetime(2025, 3, 2, 8, 0))


def start_web(folder: Path, settings: Path, *extra: str) -> Desk:
    port = free_port()
    env = {**_env(), "FRAGWATCH_WEB_SECRET": "test-secret-" + "x" * 40}
    process = subprocess.Popen(
        [sys.executable, "-m", "fragwatch.cli", "--settings", str(settings),
         "--evidence", str(folder / "hostile"), "web", "--port", str(port), *extra],
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"fragwatch web exited: {process.stdout.read()}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return Desk(url, folder, settings, process)
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError("fragwatch web did not answer within 120 s")


def stop_web(desk: Desk) -> None:
    desk.process.terminate()
    try:
        desk.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        desk.process.kill()
        desk.process.wait()
