"""``fragwatch import acled``: an ACLED export into events, on a fixture in ACLED's layout."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
import pytest

from fragwatch.evidence.files import load_evidence

from .open_data import FIXTURES, Workspace, assert_one_line_error, snapshot

SAMPLE = "acled_sample.csv"


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path)


def test_imports_the_sample_with_provenance(ws):
    result = ws.run("import", "acled", str(FIXTURES / SAMPLE), "--country", "TJK")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"imported 7 events from {FIXTURES / SAMPLE} (ACLED); 1 row of other countries left out"
    )
    assert lines[1] == "  countries: TJK; dated 2014-12-20 to 2016-01-05"
    (batch,) = ws.batches()
    assert batch.startswith("acled-acled_sample-")
    folder = ws.library / batch
    assert sorted(p.name for p in folder.iterdir()) == [
        "batch.json",
        "events.parquet",
        "index.json",  # countries and first publication, read instead of the rows
        "matches.parquet",  # the incidents that join a report's, worked out at import
        "sources.csv",
    ]

    evidence = load_evidence([folder])
    source = evidence.sources.loc[evidence.sources["kind"] == "dataset"]
    source = source[source.index.str.startswith("acled-")].iloc[0]
    assert source["publisher"].startswith("ACLED")
    assert source["published"].date().isoformat() == "2016-01-12"  # the latest row timestamp
    assert "sha256" in source["published_note"]
    events = evidence.events[evidence.events["source_id"] == source.name]
    assert len(events) == 7
    attack = events[events["event_id"].str.endswith(":TJK103")].iloc[0]
    assert attack["fatalities"] == 22
    assert attack["published"].date().isoformat() == "2015-09-10"  # from ACLED's timestamp
    assert attack["description"] == (
        "Battles / Armed clash; admin1 Dushanbe; 22 fatalities; source: Reuters; Asia-Plus"
    )
    # The quote is the whole record, so every figure is traceable to the downloaded row.
    record = next(csv.reader(io.StringIO(attack["quote"])))
    original = next(r for r in csv.reader((FIXTURES / SAMPLE).open()) if r[0] == "TJK103")
    assert record == original


def test_kinds_come_from_the_mapping_table(ws):
    result = ws.run("import", "acled", str(FIXTURES / SAMPLE))
    assert result.returncode == 0, result.stderr
    (batch,) = ws.batches()
    table = pq.read_table(ws.library / batch / "events.parquet").to_pandas()
    kinds = dict(zip(table["incident_id"], table["kind"], strict=True))
    assert kinds == {
        "acled:TJK101": "border_abduction",  # "border conscripts" in the notes
        "acled:TJK102": "protest",
        "acled:TJK103": "armed_clash",
        "acled:TJK104": "armed_clash",
        "acled:TJK105": "armed_clash",
        "acled:TJK106": "arrests",
        "acled:KGZ201": "armed_clash",
        "acled:TJK107": "riot",
    }


def test_importing_the_same_file_twice_changes_nothing(ws):
    first = ws.run("import", "acled", str(FIXTURES / SAMPLE), "--country", "TJK")
    assert first.returncode == 0, first.stderr
    before = snapshot(ws.library)
    again = ws.run("import", "acled", str(FIXTURES / SAMPLE), "--country", "TJK")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("already imported: ")
    assert again.stdout.rstrip().endswith("nothing changed")
    assert snapshot(ws.library) == before
    # The same bytes under another name are the same file.
    copy = ws.copy(SAMPLE, as_name="renamed.csv")
    third = ws.run("import", "acled", str(copy), "--country", "TJK")
    assert third.stdout.startswith("already imported: ")
    assert snapshot(ws.library) == before


def test_other_options_replace_the_batch(ws):
    ws.run("import", "acled", str(FIXTURES / SAMPLE), "--country", "TJK")
    result = ws.run("import", "acled", str(FIXTURES / SAMPLE))
    assert result.stdout.startswith("re-imported 8 events")
    assert len(ws.batches()) == 1


def test_month_precision_and_old_date_format(ws):
    def edit(text: str) -> str:
        text = text.replace("TJK105,2015-09-20,2015,1,", "TJK105,2015-09-20,2015,3,")
        return text.replace("TJK107,2016-01-05,", "TJK107,05 January 2016,")

    path = ws.copy(SAMPLE, edit)
    result = ws.run("import", "acled", str(path), "--country", "TJK")
    assert result.returncode == 0, result.stderr
    (batch,) = ws.batches()
    table = pq.read_table(ws.library / batch / "events.parquet").to_pandas()
    dates = dict(zip(table["incident_id"], table["date"], strict=True))
    assert dates["acled:TJK105"] == "2015-09"  # only the month is known
    assert dates["acled:TJK107"] == "2016-01-05"


def test_without_timestamps_the_download_date_is_needed(ws):
    def drop_timestamp(text: str) -> str:
        return "\n".join(line.rsplit(",", 1)[0] for line in text.splitlines()) + "\n"

    path = ws.copy(SAMPLE, drop_timestamp)
    assert_one_line_error(ws.run("import", "acled", str(path)), 2, "--downloaded: ")
    assert ws.batches() == []
    result = ws.run("import", "acled", str(path), "--downloaded", "2016-02-01")
    assert result.returncode == 0, result.stderr


def test_monthly_table(ws):
    out = ws.root / "monthly.csv"
    result = ws.run(
        "import", "acled", str(FIXTURES / SAMPLE), "--country", "TJK", "--monthly", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text().splitlines() == [
        "country,month,kind,incidents,fatalities",
        "TJK,2014-12,border_abduction,1,0",
        "TJK,2015-06,protest,1,0",
        # TJK103 joined the report incident of 4 September, an armed attack.
        "TJK,2015-09,armed_attack,1,22",
        "TJK,2015-09,armed_clash,2,27",
        "TJK,2015-09,opposition_arrests,1,0",
        "TJK,2016-01,riot,1,0",
    ]


BAD = [
    pytest.param(
        lambda t: t.replace("TJK103,2015-09-04", "TJK103,2015-09-34"),
        ":4: field 'event_date': '2015-09-34' is not a date",
        id="bad-date",
    ),
    pytest.param(
        lambda t: t.replace(",22,,1441843200", ",many,,1441843200"),
        ":4: field 'fatalities': 'many' is not a whole number",
        id="fatalities-not-a-number",
    ),
    pytest.param(
        lambda t: t.replace(",Strategic developments,Arrests,", ",Diplomacy,Arrests,"),
        ":7: field 'event_type': 'Diplomacy' / 'Arrests' is not an ACLED event type",
        id="unknown-event-type",
    ),
    pytest.param(
        lambda t: t.replace(",fatalities,", ",deaths,", 1),
        ":1: missing column 'fatalities'",
        id="missing-column",
    ),
    pytest.param(
        lambda t: t.replace("TJK104,", "TJK103,"),
        ":5: field 'event_id_cnty': duplicate id 'TJK103' (also on line 4)",
        id="duplicate-id",
    ),
    pytest.param(
        lambda t: t.replace("TJK105,2015-09-20,2015,1,", "TJK105,2015-09-20,2015,1,x,"),
        ":6: 32 fields where the header has 31",
        id="extra-field",
    ),
    pytest.param(
        lambda t: t.replace(",1443744000", ",1400000000"),
        ":7: field 'timestamp': '1400000000' (2014-05-13) is before the event date 2015-09-29",
        id="published-before-event",
    ),
    pytest.param(
        lambda t: t.replace(
            ",762,Caucasus and Central Asia,Tajikistan,Khatlon,,,Kulob",
            ",999,Caucasus and Central Asia,Narnia,Khatlon,,,Kulob",
        ),
        ":6: field 'country': 'Narnia' is not a country fragwatch knows",
        id="unknown-country",
    ),
]


@pytest.mark.parametrize(("edit", "message"), BAD)
def test_malformed_rows_fail_whole_with_the_place(ws, edit, message):
    path = ws.copy(SAMPLE, edit, as_name="export.csv")
    line = assert_one_line_error(ws.run("import", "acled", str(path)), 4, f"{path}")
    assert message in line
    assert ws.batches() == []  # nothing written, not even a hidden partial folder


def test_a_line_break_inside_a_cell_is_valid_and_the_quote_stays_one_line(ws):
    path = ws.copy(SAMPLE, lambda t: t.replace('"Around 30 relatives', '"Around 30\nrelatives'))
    result = ws.run("import", "acled", str(path), "--country", "TJK")
    assert result.returncode == 0, result.stderr
    (batch,) = ws.batches()
    table = pq.read_table(ws.library / batch / "events.parquet").to_pandas()
    quote = table.loc[table["incident_id"] == "acled:TJK102", "quote"].iloc[0]
    assert "Around 30 relatives" in quote
    assert "\n" not in quote
    # Errors after it still name the right line (the cell spans lines 3-4).
    bad = ws.copy(
        SAMPLE,
        lambda t: t.replace('"Around 30 relatives', '"Around 30\nrelatives').replace(
            "TJK103,2015-09-04", "TJK103,2015-13-04"
        ),
        as_name="bad.csv",
    )
    line = assert_one_line_error(ws.run("import", "acled", str(bad)), 4, f"{bad}:5: ")
    assert "'2015-13-04' is not a date" in line


def test_missing_file(ws):
    assert_one_line_error(ws.run("import", "acled", "nope.csv"), 4, "nope.csv: no such file")


def test_the_malformed_fixture(ws):
    path = FIXTURES / "acled_malformed.csv"
    line = assert_one_line_error(ws.run("import", "acled", str(path)), 4, f"{path}:4: ")
    assert line.endswith("field 'fatalities': 'about 22' is not a whole number of deaths >= 0")
    assert ws.batches() == []
