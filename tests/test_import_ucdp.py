"""``fragwatch import ucdp``: a UCDP GED event file into events, on a fixture in GED's layout."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from fragwatch.evidence.imports import ucdp_release, ucdp_version

from .open_data import FIXTURES, Workspace, assert_one_line_error, snapshot

SAMPLE = "ucdp_ged_sample_v24_1.csv"


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path)


def events(ws: Workspace):
    (batch,) = ws.batches()
    return pq.read_table(ws.library / batch / "events.parquet").to_pandas().set_index("incident_id")


def test_imports_events_with_best_low_high(ws):
    result = ws.run("import", "ucdp", str(FIXTURES / SAMPLE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        f"imported 5 events from {FIXTURES / SAMPLE} (UCDP GED)",
        "  countries: AFG, TJK; dated 2010-09-19 to 2015",
    ]
    table = events(ws)
    attack = table.loc["ucdp-ged:900002"]
    assert attack["event_id"].startswith("ucdp-ged-24.1-")
    assert (attack["fatalities"], attack["fatalities_low"], attack["fatalities_high"]) == (
        22,
        20,
        26,
    )
    assert attack["note"] == "deaths best 22, low 20, high 26; dates 2015-09-04 to 2015-09-04"
    assert attack["kind"] == "armed_clash"
    assert str(attack["published"]) == "2024-06-30"  # GED 24.1, released in June 2024
    assert attack["quote"].startswith('"900002","TJK-2015-1-900002","2015",')
    # The narrowest period covering date_start..date_end.
    assert table.loc["ucdp-ged:900004", "date"] == "2014-12"
    assert table.loc["ucdp-ged:900004", "kind"] == "border_clash"  # "border post"
    assert table.loc["ucdp-ged:900005", "date"] == "2015"


def test_country_filter_and_idempotence(ws):
    first = ws.run("import", "ucdp", str(FIXTURES / SAMPLE), "--country", "tjk")
    assert first.returncode == 0, first.stderr
    assert "1 row of other countries left out" in first.stdout
    assert set(events(ws)["country"]) == {"TJK"}
    before = snapshot(ws.library)
    again = ws.run("import", "ucdp", str(FIXTURES / SAMPLE), "--country", "TJK")
    assert again.stdout.startswith("already imported: ")
    assert snapshot(ws.library) == before


def test_version_and_release_date(ws):
    assert ucdp_version(FIXTURES / SAMPLE) == "24.1"
    assert ucdp_version(FIXTURES / "GEDEvent_v25_0_6.csv") == "25.0.6"
    assert ucdp_version(FIXTURES / "ged241.csv") == "24.1"
    assert ucdp_release("24.1").isoformat() == "2024-06-30"
    assert ucdp_release("25.0.6") is None
    path = ws.copy(SAMPLE, as_name="ged_events.csv")
    assert_one_line_error(ws.run("import", "ucdp", str(path)), 2, "--version: ")
    assert_one_line_error(
        ws.run("import", "ucdp", str(path), "--version", "25.0.6"), 2, "--released: "
    )
    result = ws.run("import", "ucdp", str(path), "--version", "25.0.6", "--released", "2025-07-10")
    assert result.returncode == 0, result.stderr
    assert str(events(ws).loc["ucdp-ged:900002", "published"]) == "2025-07-10"


def test_old_column_names(ws):
    path = ws.copy(SAMPLE, lambda t: t.replace(",best,high,low,", ",best_est,high_est,low_est,", 1))
    result = ws.run("import", "ucdp", str(path))
    assert result.returncode == 0, result.stderr
    assert events(ws).loc["ucdp-ged:900003", "fatalities"] == 25


ROMIT = "2015-09-16 00:00:00.000,2015-09-16"


BAD = [
    pytest.param(
        lambda t: t.replace(ROMIT, "2015-09-31 00:00:00.000,2015-09-16"),
        ":4: field 'date_start': '2015-09-31 00:00:00.000' is not a date",
        id="bad-date",
    ),
    pytest.param(
        lambda t: t.replace("900003,TJK-2015-1-900003,2015,1,Clear,1,", "900003,,2015,1,Clear,4,"),
        ":4: field 'type_of_violence': '4' is not 1, 2 or 3",
        id="unknown-type-of-violence",
    ),
    pytest.param(
        lambda t: t.replace(",best,high,low,", ",high,low,", 1),
        ":1: missing column 'best'",
        id="missing-column",
    ),
    pytest.param(
        lambda t: t.replace(",22,26,20,702", ",22,twenty-six,20,702"),
        ":3: field 'high': 'twenty-six' is not a whole number",
        id="high-not-a-number",
    ),
    pytest.param(
        lambda t: t.replace(ROMIT, "2015-09-16 00:00:00.000,2015-09-10"),
        ":4: field 'date_end': 2015-09-10 is before date_start 2015-09-16",
        id="end-before-start",
    ),
]


@pytest.mark.parametrize(("edit", "message"), BAD)
def test_malformed_rows_fail_whole_with_the_place(ws, edit, message):
    path = ws.copy(SAMPLE, edit, as_name="GEDEvent_v24_1.csv")
    line = assert_one_line_error(ws.run("import", "ucdp", str(path)), 4, f"{path}")
    assert message in line
    assert ws.batches() == []


def test_the_malformed_fixture_imports_with_a_located_warning(ws):
    # best 25 above high 24: kept, the range widened (real GED files have such rows).
    path = FIXTURES / "ucdp_ged_malformed_v24_1.csv"
    result = ws.run("import", "ucdp", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"fragwatch: warning: {path}:4: field 'best': best 25 is not between low 25 and"
        " high 24; kept best, range widened to 24..25"
    ]
    row = events(ws).loc["ucdp-ged:900003"]
    assert (row["fatalities"], row["fatalities_low"], row["fatalities_high"]) == (25, 24, 25)
