"""The pre-parsed copy of the open-data layer: what it gives is exactly what parsing the shipped
lines gives, it is never read when it does not match the shipped files, and a cache that cannot
be written or read changes nothing a user sees."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from fragwatch.evidence import opendata
from fragwatch.evidence.opencache import CACHE_ENV, KEY_FIELD, layer_key

from .conftest import run_cli

AS_OF = "2024-12-31"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "fragwatch"


def _parsed(countries=None) -> pd.DataFrame:
    return opendata.observations_table(opendata.datasets(), countries=countries)


def _loaded(countries=None) -> pd.DataFrame:
    return opendata._observations(opendata.datasets(), countries)


def _cache_file(cache_dir: Path) -> Path:
    (path,) = (cache_dir / "open").glob("*.arrow")
    return path


@pytest.mark.parametrize(
    "countries",
    [None, frozenset({"TJK"}), frozenset({"AFG", "KGZ", "ZZZ"}), frozenset()],
    ids=["world", "TJK", "two-and-unknown", "none"],
)
def test_the_cached_layer_equals_the_parse_of_the_lines(cache_dir, countries):
    """Built on the first read, read back on the second: every value, text, date, quote, the
    index and the dtypes are those the parse of the shipped lines gives, row for row."""
    parsed = _parsed(countries)
    first = _loaded(countries)  # parses, stores the whole world
    assert _cache_file(cache_dir).stat().st_size > 0
    second = _loaded(countries)  # from the stored copy
    for frame in (first, second):
        pd.testing.assert_frame_equal(frame, parsed, check_exact=True)
        assert list(frame.dtypes) == list(parsed.dtypes)
        assert frame.index.dtype == object
        assert frame["quote"].dtype == object


def test_a_copy_that_does_not_hold_its_key_is_not_read(cache_dir):
    """A stored copy whose recorded key is not the shipped files' (a stale or altered file put
    under the current name) is ignored: the values come from the lines."""
    _loaded()
    path = _cache_file(cache_dir)
    with pa.OSFile(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    doubled = pa.compute.multiply(table["value"], 2.0)
    altered = table.set_column(table.column_names.index("value"), "value", doubled)
    altered = altered.replace_schema_metadata({KEY_FIELD: b"another key"})
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, altered.schema) as out:
        out.write_table(altered)
    pd.testing.assert_frame_equal(_loaded(), _parsed(), check_exact=True)


def test_a_truncated_copy_is_not_read(cache_dir):
    _loaded()
    path = _cache_file(cache_dir)
    path.write_bytes(path.read_bytes()[:1000])
    pd.testing.assert_frame_equal(_loaded(frozenset({"TJK"})), _parsed(frozenset({"TJK"})))


def test_the_key_changes_with_a_release_file_or_the_declarations(tmp_path):
    folder = tmp_path / "open"
    shutil.copytree(opendata.open_data_dir(), folder)
    files = [d.file for d in opendata.datasets()]
    parser = Path(opendata.__file__)
    before = layer_key(folder, files, parser)
    assert layer_key(folder, files, parser) == before
    (folder / files[0]).write_bytes((folder / files[0]).read_bytes() + b"\0")
    changed_file = layer_key(folder, files, parser)
    toml = folder / "datasets.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert len({before, changed_file, layer_key(folder, files, parser)}) == 3


COMMANDS = [
    ("rank", "--as-of", AS_OF, "--json"),
    ("assess", "--country", "TJK", "--as-of", AS_OF, "--json"),
    ("assess", "--country", "KGZ", "--country", "AFG", "--as-of", AS_OF, "--json"),
    ("explain", "--country", "TJK", "--as-of", AS_OF, "--json"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_commands_print_the_same_bytes_from_the_lines_and_from_the_copy(tmp_path, command):
    """The first run parses the lines and stores the copy, the second reads the copy, a run
    whose cache folder cannot be made (a file is in the way) parses again: all three print the
    same bytes."""
    cache = tmp_path / "cache"
    parsed = run_cli(*command, env={CACHE_ENV: str(cache)})
    assert parsed.returncode == 0, parsed.stderr
    assert len(list((cache / "fragwatch" / "open").glob("*.arrow"))) == 1
    cached = run_cli(*command, env={CACHE_ENV: str(cache)})
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    unwritable = run_cli(*command, env={CACHE_ENV: str(blocked)})
    assert cached.returncode == 0, cached.stderr
    assert unwritable.returncode == 0, unwritable.stderr
    assert cached.stdout == parsed.stdout == unwritable.stdout
    assert cached.stderr == parsed.stderr == unwritable.stderr == ""


def test_older_copies_beyond_the_newest_four_are_removed(cache_dir):
    """Copies of other versions share the folder; writing a new one keeps the newest four."""
    folder = cache_dir / "open"
    folder.mkdir(parents=True)
    for age in range(5):
        old = folder / f"old-{age}.arrow"
        old.write_bytes(b"an older copy")
        os.utime(old, (1_000_000 - age, 1_000_000 - age))
    _loaded(frozenset({"TJK"}))
    left = sorted(p.name for p in folder.glob("*.arrow"))
    assert len(left) == 4
    assert _cache_file_named(folder) in left
    assert [f"old-{age}.arrow" for age in range(3)] == [n for n in left if n.startswith("old")]


def _cache_file_named(folder: Path) -> str:
    files = [d.file for d in opendata.datasets()]
    return layer_key(opendata.open_data_dir(), files, Path(opendata.__file__)) + ".arrow"
