"""What `fragwatch assess` loads at start: not the service settings' libraries nor the
entry-point scan, while the watched countries still follow the file, the environment and .env
exactly as the full settings read them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

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
