"""events.parquet: imported event batches load like events.csv, checked the same way."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fragwatch.errors import EvidenceError
from fragwatch.evidence.files import default_evidence_dir, load_evidence
from fragwatch.evidence.library import library_folders
from fragwatch.evidence.monthly import monthly_events
from fragwatch.evidence.parquet import event_schema, read_events_parquet

from .conftest import run_cli
from .open_data import FIXTURES, Workspace

CHECKED = [
    "event_id",
    "country",
    "date",
    "kind",
    "fatalities",
    "incident_id",
    "description",
    "source_id",
    "quote",
    "published",
    "note",
    "date_start",
    "date_end",
]


def as_parquet(events: pd.DataFrame, path) -> None:
    """The embedded events.csv rows, written as an events.parquet file."""
    table = pd.read_csv(default_evidence_dir() / "events.csv", dtype=str, keep_default_na=False)
    columns = {c: pa.array(table[c].tolist(), pa.string()) for c in table.columns}
    columns["fatalities"] = pa.array(pd.to_numeric(table["fatalities"]).astype("Int64"))
    columns["published"] = pa.array(pd.to_datetime(table["published"]).dt.date)
    columns["fatalities_low"] = pa.nulls(len(table), pa.int64())
    columns["fatalities_high"] = pa.nulls(len(table), pa.int64())
    pq.write_table(pa.table(columns, schema=event_schema()), path)


def test_parquet_gives_the_same_events_as_csv(evidence, tmp_path):
    path = tmp_path / "events.parquet"
    as_parquet(evidence.events, path)
    frame = read_events_parquet(path, evidence.sources)
    expected = evidence.events[CHECKED].reset_index(drop=True)
    got = frame[CHECKED].reset_index(drop=True)
    for column in CHECKED:
        left, right = got[column].to_numpy(dtype=object), expected[column].to_numpy(dtype=object)
        same = [(a == b) or (pd.isna(a) and pd.isna(b)) for a, b in zip(left, right, strict=True)]
        assert all(same), column
    assert list(frame.index) == list(evidence.events.index)
    assert frame["origin"].iloc[2] == f"{path}:3"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t.set_column(1, "country", pa.array(["tjk"] * t.num_rows)),
            ":1: field 'country': 'tjk' is not an ISO3 country code",
        ),
        (
            lambda t: t.set_column(2, "date", pa.array(["2015-02-30"] * t.num_rows)),
            ":1: field 'date': '2015-02-30' is not a date",
        ),
        (
            lambda t: t.set_column(0, "event_id", pa.array(["same"] * t.num_rows)),
            ":2: field 'event_id': 'same' duplicate id",
        ),
        (
            lambda t: t.set_column(7, "source_id", pa.array(["nobody"] * t.num_rows)),
            ":1: field 'source_id': 'nobody' unknown source",
        ),
        (
            lambda t: t.set_column(8, "quote", pa.array(["a\nb"] * t.num_rows)),
            ":1: field 'quote': 'a\\nb' contains a line break",
        ),
        (lambda t: t.drop_columns(["kind"]), ": missing column 'kind'"),
        (
            lambda t: t.set_column(
                t.schema.get_field_index("fatalities"),
                "fatalities",
                pa.array(["many"] * t.num_rows),
            ),
            ": a column has the wrong type",
        ),
    ],
)
def test_bad_parquet_rows_are_located(evidence, tmp_path, change, message):
    path = tmp_path / "events.parquet"
    as_parquet(evidence.events, path)
    pq.write_table(change(pq.read_table(path)), path)
    with pytest.raises(EvidenceError) as error:
        read_events_parquet(path, evidence.sources)
    assert message in error.value.one_line().replace(str(path), "")


def test_library_loads_parquet_batches_and_skips_hidden_ones(tmp_path):
    ws = Workspace(tmp_path)
    assert ws.run("import", "acled", str(FIXTURES / "acled_sample.csv")).returncode == 0
    (batch,) = library_folders(ws.library)
    # A half-written import (a hidden folder) is never loaded, even with valid files in it.
    shutil.copytree(batch, ws.library / f".{batch.name}.partial")
    assert library_folders(ws.library) == [batch]
    listed = ws.run("evidence", "list", "--kind", "riot", "--country", "TJK")
    assert listed.returncode == 0, listed.stderr
    assert "acled-" in listed.stdout
    assert ":TJK107" in listed.stdout
    # A single events.parquet file can be layered with --evidence too (with its sources).
    direct = run_cli(
        "--evidence",
        str(batch / "sources.csv"),
        "--evidence",
        str(batch / "events.parquet"),
        "evidence",
        "list",
        "--kind",
        "riot",
        "--country",
        "TJK",
        cwd=tmp_path,
        env={"FRAGWATCH_EVIDENCE_DIR": str(tmp_path / "empty")},
    )
    assert direct.returncode == 0, direct.stderr
    assert ":TJK107" in direct.stdout


def test_monthly_counts_incidents_once():
    events = pd.DataFrame(
        {
            "incident_id": ["a", "a", "b", "c"],
            "country": ["TJK", "TJK", "TJK", "KGZ"],
            "kind": ["armed_attack", "armed_attack", "riot", "riot"],
            "date_start": pd.to_datetime(["2015-09-04", "2015-09-01", "2015-09-30", "2015-10-02"]),
            "fatalities": [22.0, np.nan, np.nan, 1.0],
        }
    )
    table = monthly_events(events)
    assert table.values.tolist() == [
        ["KGZ", "2015-10", "riot", 1, 1],
        ["TJK", "2015-09", "armed_attack", 1, 22],
        ["TJK", "2015-09", "riot", 1, 0],
    ]
    assert monthly_events(events.iloc[:0]).empty


def test_whole_library_load_matches_imported_events(tmp_path):
    ws = Workspace(tmp_path)
    assert ws.run("import", "acled", str(FIXTURES / "acled_sample.csv")).returncode == 0
    evidence = load_evidence(library_folders(ws.library))
    rows = evidence.events.set_index("event_id")
    attack = rows[rows.index.str.endswith(":TJK103")].iloc[0]
    assert attack["incident_id"] == "dushanbe-vahdat-attacks-2015-09-04"


def test_digest_of_large_tables_is_byte_for_byte_the_same(evidence, tmp_path, monkeypatch):
    """Large tables are hashed column-wise with Arrow; the digest must not change."""
    import fragwatch.evidence.base as base

    ws = Workspace(tmp_path)
    assert ws.run("import", "acled", str(FIXTURES / "acled_sample.csv")).returncode == 0
    assert ws.run("import", "ucdp", str(FIXTURES / "ucdp_ged_sample_v24_1.csv")).returncode == 0
    with_imports = load_evidence(library_folders(ws.library))
    cases = [evidence, with_imports, with_imports.known_by("2015-12-31")]
    plain = [case.digest() for case in cases]
    monkeypatch.setattr(base, "LARGE", 1)
    assert [case.digest() for case in cases] == plain
