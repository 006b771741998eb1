"""The web desk's country view keeps its replay of the stored runs and steps only the runs a
catch-up adds: the firings it shows must be those of a replay of every stored run, before and
after the store grows (a real store that ``run-once`` filled, then extended by another)."""

from __future__ import annotations

from datetime import date

from fragwatch.alerts.lifecycle import replay
from fragwatch.store.assessments import stored_series
from fragwatch.store.engine import read_connection

from .conftest import REPO
from .web_helpers import Desk, make_service


def test_country_firings_follow_the_store_as_it_grows(tmp_path, monkeypatch):
    from fragwatch.cli import Context
    from fragwatch.commands.web import build_desk

    folder = tmp_path / "service"
    settings = make_service(folder)
    monkeypatch.setenv("FRAGWATCH_CONFIG_DIR", str(REPO / "config"))
    monkeypatch.chdir(folder)
    desk = build_desk(Context(None, None, [folder / "hostile"], True, settings))

    def full() -> list:
        with read_connection(desk.engine) as conn:
            runs = stored_series(conn, "TJK", desk.spec.digest, date.today())
        return replay(list(desk.rules), runs).firings, len(runs)

    with read_connection(desk.engine) as conn:
        before = desk._firings(conn, "TJK")
    expected, stored = full()
    assert before == expected
    assert before  # the two years hold firings

    # Another run-once months later: the store gains the periods since.
    service = Desk("", folder, settings, None)  # type: ignore[arg-type]
    grown = service.cli("run-once", "--now", "2016-09-02T00:00")
    assert grown.returncode == 0, grown.stderr
    expected, now_stored = full()
    assert now_stored > stored
    with read_connection(desk.engine) as conn:
        assert desk._firings(conn, "TJK") == expected
        assert desk._firings(conn, "TJK") == expected  # and again, with nothing new
