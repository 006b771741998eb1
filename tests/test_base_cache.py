"""The stored copy of the loaded evidence base: commands print the same bytes from it as from
the files, a copy under another key or a damaged copy is never used, and a cache folder that
cannot be written changes nothing a user sees."""

from __future__ import annotations

import csv
import os
import pickle
import shutil
from pathlib import Path

import pytest

from fragwatch.evidence import basecache, files
from fragwatch.evidence.files import ShippedBase
from fragwatch.evidence.library import LIBRARY_ENV
from fragwatch.evidence.opencache import CACHE_ENV

from .conftest import run_cli

AS_OF = "2016-01-31"
ASSESS = ("assess", "--as-of", AS_OF, "--json")


def _copies(cache: Path) -> list[Path]:
    return sorted((cache / "fragwatch" / "base").glob("*.pickle"))


def _run(cache: Path, *args: str):
    done = run_cli(*args, env={CACHE_ENV: str(cache)})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


@pytest.mark.parametrize(
    "command",
    [
        ASSESS,
        ("explain", "--country", "TJK", "--as-of", AS_OF, "--json"),
        ("history", "--country", "TJK", "--freq", "year"),
    ],
    ids=["assess", "explain", "history"],
)
def test_commands_print_the_same_bytes_from_the_files_and_from_the_copy(tmp_path, command):
    cache = tmp_path / "cache"
    loaded = _run(cache, *command)
    (copy,) = _copies(cache)  # the first run stored it
    stored = copy.read_bytes()
    read_back = _run(cache, *command)
    assert read_back == loaded
    assert copy.read_bytes() == stored  # read, not rewritten
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    assert _run(blocked, *command) == loaded


def test_a_copy_is_used_only_for_the_countries_it_was_loaded_for(tmp_path):
    """The open-data rows depend on the countries asked for: each set has its own copy."""
    cache = tmp_path / "cache"
    afg = _run(cache, "assess", "--country", "AFG", "--as-of", AS_OF, "--json")
    _run(cache, *ASSESS)
    assert len(_copies(cache)) == 2
    assert _run(cache, "assess", "--country", "AFG", "--as-of", AS_OF, "--json") == afg


def test_a_damaged_copy_or_one_holding_another_key_is_not_read(tmp_path):
    cache = tmp_path / "cache"
    loaded = _run(cache, *ASSESS)
    (copy,) = _copies(cache)
    key, evidence = pickle.loads(copy.read_bytes())
    # The same name holding another key's tables (a different base): ignored and replaced.
    other = evidence.observations.assign(value=evidence.observations["value"] * 2)
    planted = type(evidence)(evidence.sources, other, evidence.events, texts=evidence.texts)
    copy.write_bytes(pickle.dumps(("0" * 64, planted)))
    assert _run(cache, *ASSESS) == loaded
    assert pickle.loads(copy.read_bytes())[0] == key
    copy.write_bytes(copy.read_bytes()[:1000])  # truncated
    assert _run(cache, *ASSESS) == loaded


def test_the_key_changes_with_the_countries_and_with_any_module_of_the_package():
    tjk = basecache.base_key(["TJK"])
    assert basecache.base_key(["TJK", "TJK"]) == tjk
    assert basecache.base_key(["TJK", "AFG"]) == basecache.base_key(["AFG", "TJK"]) != tjk
    assert basecache.base_key(None) not in (tjk, basecache.base_key([]))
    module = Path(basecache.__file__).with_name("schema.py")  # the validation rules
    before = module.stat()
    try:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
        assert basecache.base_key(["TJK"]) != tjk
    finally:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert basecache.base_key(["TJK"]) == tjk


def test_older_copies_beyond_the_newest_sixteen_are_removed(tmp_path):
    cache = tmp_path / "cache"
    folder = cache / "fragwatch" / "base"
    folder.mkdir(parents=True)
    for age in range(basecache.KEEP):
        old = folder / f"old-{age}.pickle"
        old.write_bytes(b"an older copy")
        os.utime(old, (1_000_000 - age, 1_000_000 - age))
    _run(cache, *ASSESS)
    left = {p.name for p in _copies(cache)}
    assert len(left) == basecache.KEEP
    assert "old-15.pickle" not in left  # the oldest went
    assert "old-0.pickle" in left


# -- with a library: the shipped base read and checked is stored too, and the library added to it


def _library(tmp_path: Path) -> Path:
    """A library holding a real ACLED excerpt, imported by the command itself."""
    library = tmp_path / "library"
    fixture = Path(__file__).parent / "fixtures" / "open_data" / "acled_sample.csv"
    done = run_cli(
        "import", "acled", str(fixture), env={LIBRARY_ENV: str(library), CACHE_ENV: str(tmp_path)}
    )
    assert done.returncode == 0, done.stderr
    return library


@pytest.mark.parametrize(
    "command",
    [
        ("assess", "--as-of", "2026-01-31", "--json"),
        ("history", "--country", "TJK", "--freq", "year"),
    ],
    ids=["assess", "history"],
)
def test_a_library_is_added_to_the_stored_base_with_the_same_result(tmp_path, command):
    library = _library(tmp_path)
    cache = tmp_path / "cache"
    env = {LIBRARY_ENV: str(library), CACHE_ENV: str(cache)}
    first = run_cli(*command, env=env)  # reads the base from its files and stores it
    assert first.returncode == 0, first.stderr
    (copy,) = _copies(cache)
    _, parts = pickle.loads(copy.read_bytes())
    assert isinstance(parts, ShippedBase)
    again = run_cli(*command, env=env)  # the stored base, the library added to it
    assert again.stdout == first.stdout
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    cold = run_cli(*command, env={**env, CACHE_ENV: str(blocked)})  # nothing can be stored
    assert cold.stdout == first.stdout
    # The library's events are in the result: without them the output differs.
    alone = run_cli(*command, env={CACHE_ENV: str(cache)})
    assert alone.stdout != first.stdout


def test_a_library_row_clashing_with_the_shipped_base_names_both_files(tmp_path):
    shipped = Path(basecache.__file__).with_name("data")
    source = next(csv.DictReader((shipped / "sources.csv").open(encoding="utf-8")))
    folder = tmp_path / "library" / "mine"
    folder.mkdir(parents=True)
    fields = list(source)
    with (folder / "sources.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerow({**source, "file": ""})
    env = {LIBRARY_ENV: str(tmp_path / "library"), CACHE_ENV: str(tmp_path / "cache")}
    messages = []
    for _ in range(2):  # from the files, then from the stored base
        done = run_cli(*ASSESS, env=env)
        assert done.returncode != 0
        assert done.stdout == ""
        messages.append(done.stderr)
        assert len(_copies(tmp_path / "cache")) == 1  # stored by the first run, read by the next
    assert messages[0] == messages[1]
    assert messages[0].count("\n") == 1
    assert f"source id '{source['source_id']}' is already defined in " in messages[0]
    assert str(shipped / "sources.csv") in messages[0]
    assert f"{folder / 'sources.csv'}:2" in messages[0]


def test_the_key_follows_where_the_shipped_base_lies(monkeypatch, tmp_path):
    """A stored base names its files in messages: a base installed elsewhere has another key."""
    here = basecache.base_key(["TJK"])
    elsewhere = tmp_path / "site-packages" / "fragwatch" / "evidence" / "data"
    shutil.copytree(Path(basecache.__file__).with_name("data"), elsewhere)
    monkeypatch.setattr(files, "default_evidence_dir", lambda: elsewhere)
    assert basecache.base_key(["TJK"]) != here
