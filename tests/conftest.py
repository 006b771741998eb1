from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller

from fragwatch.evidence.files import load_evidence
from fragwatch.settings import load_model_spec

from .postgres import PostgresServer
from .smtp_server import Recorder, free_port

REPO = Path(__file__).resolve().parents[1]
MODEL_TOML = REPO / "config" / "model.toml"


# The watched countries of config/fragwatch.toml: Tajikistan and its neighbours.
WATCHED = ["TJK", "KGZ", "UZB", "AFG", "KAZ", "TKM"]


@pytest.fixture(scope="session")
def evidence():
    """The embedded default evidence base, loaded and validated once: the report layer and the
    watched countries' open data (the whole open-data layer is 227 countries; tests that need
    it load it themselves)."""
    return load_evidence([], countries=WATCHED)


@pytest.fixture(scope="session")
def spec():
    """The default model from config/model.toml."""
    return load_model_spec(MODEL_TOML)


@pytest.fixture(scope="session")
def strict_spec(tmp_path_factory):
    """The default model with a 75% minimum coverage, as a desk that wants report evidence
    before it trusts a score may set it: once the 2015 report events age out, open data alone
    (about 70% of the weight) no longer suffices and Tajikistan's score is withheld."""
    text = MODEL_TOML.read_text(encoding="utf-8")
    strict = text.replace("min_coverage = 0.5", "min_coverage = 0.75", 1)
    assert strict != text
    path = tmp_path_factory.mktemp("strict") / "model.toml"
    path.write_text(strict, encoding="utf-8")
    return load_model_spec(path)


def run_cli(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real command in a subprocess, as a user would (``env`` adds variables)."""
    return subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env} if env else None,
    )


# -- a real PostgreSQL server on 127.0.0.1 (see postgres.py) ----------------------------------


@pytest.fixture(scope="session")
def postgres():
    """One throwaway server for the whole run; each test takes its own database from it."""
    server = PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres) -> str:
    """The URL of a new, empty database on the test server (role ``fragwatch``)."""
    return postgres.new_database()


# -- a real SMTP server on 127.0.0.1 (see smtp_server.py) ------------------------------------


@pytest.fixture(scope="session")
def ca():
    return trustme.CA()


@pytest.fixture
def ca_file(ca, tmp_path):
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="session")
def server_tls(ca):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def start_server():
    """Start aiosmtpd controllers on 127.0.0.1; every one is stopped at teardown."""
    started: list[Controller] = []

    def start(handler: Recorder, port: int | None = None, **kwargs) -> Controller:
        controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(), **kwargs)
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        if not controller.loop.is_closed():  # a test may have stopped it already
            controller.stop()


@pytest.fixture
def browser(tmp_path):
    """Debian's headless Chromium (tests/chromium.py), with a fresh profile, closed afterwards."""
    from .chromium import start_chromium

    driver = start_chromium(tmp_path / "chromium-profile")
    yield driver
    driver.quit()
