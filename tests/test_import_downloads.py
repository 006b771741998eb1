"""Real downloads as they come: the quirks of published GED and ACLED files, on verbatim copies.

``ucdp_ged_v23_1_sample_excerpt.csv`` holds 13 rows of UCDP GED 23.1, seven of which give a
``best`` outside ``low..high``; ``ucdp_ged191_download.zip`` is GED 19.1 for Bangladesh and
Myanmar, zipped (3,194 rows, six outside); ``ucdp_hdx_conflict_data_BGD_excerpt.csv`` is HDX's
UCDP file with its HXL row; ``acled_pre2019_algeria_2001.csv`` is an ACLED file in the layout
before 2019 (origins in tests/fixtures/open_data/README.md). Every test runs the real command.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pyarrow.parquet as pq
import pytest

from .open_data import FIXTURES, PREFIX, Workspace, assert_one_line_error, snapshot

GED = "ucdp_ged_v23_1_sample_excerpt.csv"
ACLED_OLD = "acled_pre2019_algeria_2001.csv"
ACLED = "acled_sample.csv"


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path)


def events(ws: Workspace, batch: str | None = None):
    if batch is None:
        (batch,) = [b for b in ws.batches() if not b.startswith(".")]
    table = pq.read_table(ws.library / batch / "events.parquet").to_pandas()
    return table.set_index("incident_id")


def ged_records() -> list[tuple[int, dict[str, str]]]:
    """(line, record) of every row of the GED excerpt, read with the csv module."""
    text = (FIXTURES / GED).read_text("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    out, line = [], reader.line_num
    for record in reader:
        out.append((line + 1, dict(zip(header, record, strict=True))))
        line = reader.line_num
    return out


def outside_range() -> list[tuple[int, dict[str, str]]]:
    return [
        (line, r)
        for line, r in ged_records()
        if not int(r["low"]) <= int(r["best"]) <= int(r["high"])
    ]


def warnings(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("fragwatch: warning")]


# -- UCDP: best outside low..high -------------------------------------------------------------


def test_ged_rows_with_best_outside_low_high_are_kept_with_located_warnings(ws):
    odd = outside_range()
    assert len(odd) == 7  # the published rows, as UCDP released them
    result = ws.run("import", "ucdp", str(FIXTURES / GED))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"imported 13 events from {FIXTURES / GED} (UCDP GED)")
    shown = warnings(result)
    # The first five are named by file, line and field; the rest are counted.
    for (line, record), warning in zip(odd[:5], shown[:5], strict=True):
        assert warning.startswith(f"fragwatch: warning: {FIXTURES / GED}:{line}: field 'best': ")
        assert f"best {record['best']} is not between low {record['low']}" in warning
    assert shown[5].endswith("2 more records repaired the same way")
    table = events(ws)
    for _, record in odd:
        row = table.loc[f"ucdp-ged:{record['id']}"]
        best, low, high = (int(record[k]) for k in ("best", "low", "high"))
        # best is kept; the range is the smallest that holds all three published figures.
        assert row["fatalities"] == best
        assert row["fatalities_low"] == min(best, low, high) <= best
        assert row["fatalities_high"] == max(best, low, high) >= best
        assert row["note"].endswith(f"(the file gives low {low}, high {high})")
    # A row inside its range is untouched.
    tajik = table.loc["ucdp-ged:60826"]
    assert (tajik["fatalities"], tajik["fatalities_low"], tajik["fatalities_high"]) == (4, 4, 4)


# -- zip archives -------------------------------------------------------------------------------


def zipped(ws: Workspace, name: str, members: dict[str, bytes]):
    path = ws.root / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


def test_a_zip_archive_is_read_through_its_one_csv(ws):
    archive = zipped(ws, "ged231-csv.zip", {"GEDEvent_v23_1.csv": (FIXTURES / GED).read_bytes()})
    result = ws.run("import", "ucdp", str(archive), "--country", "TJK")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported 2 events")
    table = events(ws)
    assert sorted(table.index) == ["ucdp-ged:60826", "ucdp-ged:61235"]
    assert table["event_id"].str.startswith("ucdp-ged-23.1-").all()  # version from the name
    # The scratch copy of the member is not left in the library.
    (batch,) = ws.batches()
    # (index.json and matches.parquet: what the batch records for reading by question)
    assert sorted(p.name for p in (ws.library / batch).iterdir()) == [
        "batch.json",
        "events.parquet",
        "index.json",
        "matches.parquet",
        "sources.csv",
    ]
    # Warnings name the member inside the archive.
    ws.run("import", "ucdp", str(archive), "--country", "AFG")
    again = ws.run("import", "ucdp", str(archive), "--country", "KGZ")
    line = outside_range()[0][0]
    assert f"{archive}[GEDEvent_v23_1.csv]:{line}: field 'best'" in warnings(again)[0]


def test_the_real_ged_19_1_zip_keeps_its_six_rows_outside_low_high(ws):
    # GED 19.1 for Bangladesh and Myanmar, zipped, as the HDX UCDP scraper downloads it.
    archive = FIXTURES / "ucdp_ged191_download.zip"
    with zipfile.ZipFile(archive) as opened:
        (member,) = opened.namelist()
        text = opened.read(member).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    odd = [
        (reader.line_num, r["id"])
        for r in reader
        if not int(r["low"]) <= int(r["best"]) <= int(r["high"])
    ]
    assert member == "ged191.csv"
    assert len(odd) == 6  # of 3,194
    result = ws.run("import", "ucdp", str(archive))  # the version from the member's name
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"imported 3,194 events from {archive} (UCDP GED)")
    shown = warnings(result)
    for (line, _), warning in zip(odd[:5], shown, strict=False):
        assert warning.startswith(f"fragwatch: warning: {archive}[{member}]:{line}: field 'best'")
    assert shown[5].endswith(": 1 more record repaired the same way")
    table = events(ws)
    assert table["event_id"].str.startswith("ucdp-ged-19.1-").all()
    assert set(table["country"]) == {"BGD", "MMR"}
    for _, event in odd:
        row = table.loc[f"ucdp-ged:{event}"]
        assert row["fatalities_low"] <= row["fatalities"] <= row["fatalities_high"]


def test_an_acled_zip_is_read_too(ws):
    archive = zipped(ws, "acled-2001.zip", {ACLED_OLD: (FIXTURES / ACLED_OLD).read_bytes()})
    result = ws.run("import", "acled", str(archive), "--downloaded", "2019-01-15")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported 4 events")


def test_a_zip_without_exactly_one_csv_is_refused_naming_its_members(ws):
    data = (FIXTURES / GED).read_bytes()
    two = zipped(ws, "ged231-csv.zip", {"GEDEvent_v23_1.csv": data, "readme/extra.csv": data})
    line = assert_one_line_error(ws.run("import", "ucdp", str(two)), 4, f"{two}: ")
    assert "2 CSV files" in line
    assert "GEDEvent_v23_1.csv, readme/extra.csv" in line
    none = zipped(ws, "ged231-pdf.zip", {"ged231.pdf": b"%PDF-1.4"})
    line = assert_one_line_error(ws.run("import", "ucdp", str(none)), 4, f"{none}: ")
    assert "no CSV file (members: ged231.pdf)" in line
    assert ws.batches() == []


# -- encodings ----------------------------------------------------------------------------------


def cp1252_copy(ws: Workspace, source: str, name: str):
    path = ws.root / name
    path.write_bytes((FIXTURES / source).read_text("utf-8").encode("cp1252"))
    return path


def test_a_cp1252_file_is_read_with_encoding_and_a_guess_says_so(ws):
    # GED text holds a typographic apostrophe (Pajhwok) and a Swedish headline (Svenska
    # Dagbladet): bytes 0x92 and 0xf6 in cp1252, invalid as UTF-8.
    path = cp1252_copy(ws, GED, "GEDEvent_v23_1.csv")
    result = ws.run("import", "ucdp", str(path), "--encoding", "cp1252")
    assert result.returncode == 0, result.stderr
    quotes = events(ws)["quote"]
    assert "Taliban’s judge among four dead" in quotes["ucdp-ged:226889"]
    assert "Dödsoffer i Tajikistan" in quotes["ucdp-ged:60826"]
    assert not any("not UTF-8" in w for w in warnings(result))


def test_without_encoding_a_non_utf8_file_is_read_with_a_reported_guess(ws):
    path = cp1252_copy(ws, GED, "GEDEvent_v23_1.csv")
    result = ws.run("import", "ucdp", str(path))
    assert result.returncode == 0, result.stderr
    (guess,) = [w for w in warnings(result) if "not UTF-8" in w]
    assert guess.startswith(f"fragwatch: warning: {path}: not UTF-8; read as ")
    assert "a guess" in guess
    assert "--encoding" in guess


def test_acled_takes_encoding_and_an_unknown_one_is_a_usage_error(ws):
    path = cp1252_copy(ws, ACLED_OLD, "algeria.csv")
    bad = ws.run("import", "acled", str(path), "--downloaded", "2019-01-15", "--encoding", "x-1")
    assert_one_line_error(bad, 2, "--encoding: unknown encoding 'x-1'")
    result = ws.run(
        "import", "acled", str(path), "--downloaded", "2019-01-15", "--encoding", "cp1252"
    )
    assert result.returncode == 0, result.stderr
    assert len(events(ws)) == 4


def test_a_wrong_encoding_names_the_line(ws):
    # The excerpt is UTF-8; read as ASCII, its first non-ASCII byte is on the 226889 row.
    line = next(n for n, r in ged_records() if r["id"] == "226889")
    error = ws.run("import", "ucdp", str(FIXTURES / GED), "--encoding", "ascii")
    message = assert_one_line_error(error, 4, f"{FIXTURES / GED}:{line}: ")
    assert "not ascii text" in message
    assert ws.batches() == []


# -- HXL hashtag row ----------------------------------------------------------------------------

HDX_BGD = "ucdp_hdx_conflict_data_BGD_excerpt.csv"  # HDX's UCDP file, with its HXL row


def test_an_hxl_hashtag_row_is_read_as_such(ws):
    lines = (FIXTURES / HDX_BGD).read_text("utf-8").splitlines()
    assert lines[1].startswith(",#date+year,")  # the published tag row, first cell empty
    result = ws.run("import", "ucdp", str(FIXTURES / HDX_BGD), "--version", "19.1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"imported {len(lines) - 2} events")  # not the tag row
    assert set(events(ws)["country"]) == {"BGD"}


def test_after_an_hxl_row_errors_still_name_the_file_line(ws):
    # One changed cell on the fifth line of the file (the third record).
    path = ws.copy(
        HDX_BGD, lambda t: t.replace(",1991-02-28,1991-02-28,", ",1991-02-30,1991-02-28,")
    )
    assert path.read_text("utf-8").splitlines()[4].startswith("72633,")
    error = ws.run("import", "ucdp", str(path), "--version", "19.1")
    line = assert_one_line_error(error, 4, f"{path}:5: ")
    assert "field 'date_start': '1991-02-30' is not a date" in line


# -- header only ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "fixture", "extra"),
    [
        ("ucdp", GED, []),
        ("acled", ACLED, []),
        ("acled", ACLED_OLD, ["--downloaded", "2019-01-15"]),
    ],
)
def test_a_header_only_file_is_refused_and_nothing_is_written(ws, dataset, fixture, extra):
    name = "GEDEvent_v23_1.csv" if dataset == "ucdp" else "export.csv"
    path = ws.copy(fixture, lambda t: t.split("\n", 1)[0] + "\n", as_name=name)
    line = assert_one_line_error(ws.run("import", dataset, str(path), *extra), 4, f"{path}: ")
    assert "no records under the header" in line
    assert ws.batches() == []


# -- re-importing with another --country ---------------------------------------------------------


def test_reimporting_with_another_country_keeps_both(ws):
    first = ws.run("import", "ucdp", str(FIXTURES / GED), "--country", "TJK")
    assert first.returncode == 0, first.stderr
    second = ws.run("import", "ucdp", str(FIXTURES / GED), "--country", "AFG")
    assert second.returncode == 0, second.stderr
    assert "kept from the earlier import of this file: countries TJK" in second.stdout
    table = events(ws)
    assert set(table["country"]) == {"AFG", "TJK"}
    assert len(table) == 12
    # A typo never empties the batch: it is refused and the library is unchanged.
    before = snapshot(ws.library)
    typo = ws.run("import", "ucdp", str(FIXTURES / GED), "--country", "UZB")
    line = assert_one_line_error(typo, 4, f"{FIXTURES / GED}: ")
    assert "no rows of UZB in this file: nothing changed" in line
    assert snapshot(ws.library) == before
    # Asked with a country that is there, the missing one is a warning.
    both = ws.run("import", "ucdp", str(FIXTURES / GED), "--country", "KGZ", "--country", "UZB")
    assert both.returncode == 0, both.stderr
    assert f"fragwatch: warning: {FIXTURES / GED}: no rows of UZB (check --country)" in warnings(
        both
    )
    assert set(events(ws)["country"]) == {"AFG", "KGZ", "TJK"}


def test_reimporting_acled_and_wdi_with_another_country_keeps_both(ws):
    assert ws.run("import", "acled", str(FIXTURES / ACLED), "--country", "TJK").returncode == 0
    result = ws.run("import", "acled", str(FIXTURES / ACLED), "--country", "KGZ")
    assert result.returncode == 0, result.stderr
    assert set(events(ws)["country"]) == {"KGZ", "TJK"}

    other = Workspace(ws.root / "wdi")
    other.root.mkdir()
    bulk = FIXTURES / "wdi_bulk_remittances.csv"
    assert other.run("import", "wdi", str(bulk), "--country", "TJK").returncode == 0
    result = other.run("import", "wdi", str(bulk), "--country", "KGZ")
    assert result.returncode == 0, result.stderr
    (batch,) = other.batches()
    rows = (other.library / batch / "observations.csv").read_text("utf-8")
    assert ",TJK," in rows
    assert ",KGZ," in rows


# -- the ACLED layout before 2019 ----------------------------------------------------------------


def test_the_pre_2019_acled_layout_is_mapped(ws):
    no_date = ws.run("import", "acled", str(FIXTURES / ACLED_OLD))
    assert_one_line_error(no_date, 2, "--downloaded: ")
    result = ws.run("import", "acled", str(FIXTURES / ACLED_OLD), "--downloaded", "2019-01-15")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "  countries: DZA; dated 2001-04-18 to 2001-04-21"
    table = events(ws)
    assert table.loc["acled:1416RTA", "date"] == "2001-04-18"  # 18/04/2001, day first
    assert table.loc["acled:1416RTA", "fatalities"] == 1
    kinds = table["kind"].to_dict()
    assert kinds == {
        "acled:1416RTA": "armed_attack",  # "Violence against civilians"
        "acled:2229RTA": "riot",  # "Riots/Protests": "Riots were reported ..."
        "acled:2230RTA": "protest",  # "Students protested ..."
        "acled:2231RTA": "riot",  # "Rioters threw molotov cocktails ..."
    }
    assert (table["published"].astype(str) == "2019-01-15").all()
    assert table.loc["acled:2230RTA", "description"] == (
        "Riots/Protests; admin1 Bejaia; 0 fatalities; source: Crisis Group"
    )


def test_an_unknown_old_event_type_is_refused_in_one_line(ws):
    path = ws.copy(ACLED_OLD, lambda t: t.replace(",Violence against civilians,", ",Looting,"))
    line = assert_one_line_error(
        ws.run("import", "acled", str(path), "--downloaded", "2019-01-15"), 4, f"{path}:2: "
    )
    assert "field 'event_type': 'Looting'" in line


# -- the publication rule ------------------------------------------------------------------------


def test_published_event_plus_n_days_never_after_the_timestamp(ws):
    # TJK103: the event of 2015-09-04, timestamp 1441843200 = 2015-09-10 (its last edit).
    result = ws.run("import", "acled", str(FIXTURES / ACLED), "--published", "event+3")
    assert result.returncode == 0, result.stderr
    assert str(events(ws).loc["acled:TJK103", "published"])[:10] == "2015-09-07"
    later = ws.run("import", "acled", str(FIXTURES / ACLED), "--published", "event+30 days")
    assert later.stdout.startswith("re-imported")
    assert str(events(ws).loc["acled:TJK103", "published"])[:10] == "2015-09-10"
    default = ws.run("import", "acled", str(FIXTURES / ACLED))
    assert default.stdout.startswith("re-imported")
    assert str(events(ws).loc["acled:TJK103", "published"])[:10] == "2015-09-10"


def test_published_event_plus_n_needs_no_download_date_for_old_files(ws):
    result = ws.run("import", "acled", str(FIXTURES / ACLED_OLD), "--published", "event+7")
    assert result.returncode == 0, result.stderr
    assert str(events(ws).loc["acled:2231RTA", "published"])[:10] == "2001-04-28"


def test_a_bad_publication_rule_is_a_usage_error(ws):
    bad = ws.run("import", "acled", str(FIXTURES / ACLED), "--published", "weekly")
    line = assert_one_line_error(bad, 2, "--published: ")
    assert line == PREFIX + (
        "--published: 'weekly' is not a publication rule: 'timestamp' or 'event+N' (N days)"
    )
    assert ws.batches() == []


def test_a_bad_byte_past_the_first_mib_names_its_line_and_suggests_encoding(ws):
    # The first MiB decides the encoding; a cp1252 byte further on is found while reading.
    def edit(text: str) -> str:
        long_note = "Around 30 relatives" + " of detained men" * 70_000
        text = text.replace("Around 30 relatives", long_note, 1)
        return text.replace("in the Romit gorge", "in the Romit gorge’s", 1)

    source = (FIXTURES / ACLED).read_text("utf-8")
    path = ws.root / "export.csv"
    path.write_bytes(edit(source).encode("cp1252"))
    assert path.stat().st_size > 1 << 20
    line = next(n for n, text in enumerate(source.splitlines(), 1) if "Romit gorge" in text)
    message = assert_one_line_error(ws.run("import", "acled", str(path)), 4, f"{path}:{line}: ")
    assert "not UTF-8" in message
    assert message.endswith("name its encoding with --encoding (e.g. cp1252)")
    assert ws.batches() == []
