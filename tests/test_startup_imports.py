"""What `fragwatch assess` loads at start: not the service settings' libraries nor the
entry-point scan, while the watched countries still follow the file, the environment and .env
exactly as the full settings read them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import REPO, run_cli

AS_OF = "2016-01-31"


def _countries(result) -> list[str]:
    assert result.returncode == 0, result.stderr
    return [a["country"] for a in json.loads(result.stdout)]


def _work(tmp_path, countries: str):
    (tmp_path / "config").mkdir()
    shutil.copyfile(REPO / "config" / "model.toml", tmp_path / "config" / "model.toml")
    (tmp_path / "config" / "fragwatch.toml").write_text(
        f"countries = {countries}\n", encoding="utf-8"
    )
    return tmp_path


def test_assess_loads_neither_pydantic_nor_the_entry_point_scan():
    code = (
        "import sys\n"
        "from fragwatch.cli import main\n"
        f"rc = main(['assess', '--as-of', '{AS_OF}', '--json'])\n"
        "assert rc in (0, None), rc\n"
        "loaded = [m for m in ('pydantic', 'pydantic_settings', 'importlib.metadata')"
        " if m in sys.modules]\n"
        "print('LOADED', loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "LOADED []"


def test_the_watched_countries_come_from_the_file(tmp_path):
    work = _work(tmp_path, '["KGZ", "TJK"]')
    assert _countries(run_cli("assess", "--as-of", AS_OF, "--json", cwd=work)) == ["KGZ", "TJK"]


def test_the_environment_overrides_the_file(tmp_path):
    work = _work(tmp_path, '["KGZ", "TJK"]')
    result = run_cli(
        "assess", "--as-of", AS_OF, "--json", cwd=work, env={"FRAGWATCH_COUNTRIES": '["AFG"]'}
    )
    assert _countries(result) == ["AFG"]


def test_a_dotenv_file_overrides_the_file(tmp_path):
    work = _work(tmp_path, '["KGZ", "TJK"]')
    (work / ".env").write_text('FRAGWATCH_COUNTRIES=["UZB"]\n', encoding="utf-8")
    assert _countries(run_cli("assess", "--as-of", AS_OF, "--json", cwd=work)) == ["UZB"]


def test_a_bad_country_in_the_file_is_the_settings_error(tmp_path):
    work = _work(tmp_path, '["TJK", "kgz"]')
    result = run_cli("assess", "--as-of", AS_OF, "--json", cwd=work)
    assert result.returncode != 0
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "fragwatch.toml:1" in line
    assert "'kgz' is not an ISO3 country code" in line


def test_the_installed_command_prints_everything_and_keeps_exit_codes(tmp_path):
    # The installed script ends through `entry` (which skips the last garbage collection at
    # exit); its output and exit codes must be those of `main` run without that shortcut.
    installed = Path(sys.executable).with_name("fragwatch")
    assert installed.exists(), "the fragwatch script is not installed next to this Python"
    args = ["assess", "--as-of", AS_OF, "--json"]
    by_script = subprocess.run(
        [installed, *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    by_main = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys\nfrom fragwatch.cli import main\nsys.exit(main({args!r}))",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert by_script.returncode == by_main.returncode == 0, by_script.stderr
    assert by_script.stdout == by_main.stdout
    assert len(json.loads(by_script.stdout)) >= 6

    bad = subprocess.run(
        [installed, "assess", "--as-of", "2016-13-45"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1, bad.stderr
    assert "--as-of" in bad.stderr
