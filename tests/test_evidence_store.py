"""Imported batches read by question give exactly what loading everything gave.

The load as it was (every imported row read, validated, then everything matched at once) is
rebuilt here from its parts and compared with the evidence the library now gives, which reads
only the rows a view asks for: assessments (with their evidence digests), the monthly history
with its cited ids, the citations, the countries; with the matches recorded at import, without
them (worked out again), and with another report added since the import.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from fragwatch.evidence import Evidence
from fragwatch.evidence.files import _same_dtypes, load_evidence
from fragwatch.evidence.imports import import_acled, import_ucdp
from fragwatch.evidence.library import library_folders
from fragwatch.evidence.matching import match_incidents
from fragwatch.evidence.parquet import read_events_parquet
from fragwatch.evidence.query import filter_rows
from fragwatch.evidence.store import MATCHES
from fragwatch.scoring.assessment import assess, score_history

from .open_data import FIXTURES

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from make_acled import make

DATES = ["2014-06-30", "2015-12-31", "2016-03-31", "2019-06-30", "2025-12-31"]


def load_as_before(paths: list[Path]) -> Evidence:
    """Every imported row read and validated, concatenated after the CSV events, and the
    matching rule applied to everything: the load before batches were read by question."""
    now = load_evidence(paths)
    own = now.imported.shared.events
    parts = [read_events_parquet(b.path, now.sources) for b in now.imported.shared.batches]
    events = match_incidents(pd.concat(_same_dtypes([own, *parts])), now.sources)
    return Evidence(now.sources, now.observations, events, texts=now.texts)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("store")
    import pyarrow.csv as pacsv

    generated = root / "acled_generated.csv"
    pacsv.write_csv(make(3000, seed=3), generated)
    library = root / "library"
    import_acled(FIXTURES / "acled_sample.csv", library)
    import_ucdp(FIXTURES / "ucdp_ged_sample_v24_1.csv", library)
    import_acled(generated, library)
    return library


def _same(before: Evidence, now: Evidence, spec) -> None:
    assert now.countries == before.countries
    for country in ("TJK", "afg"):  # `fragwatch evidence list --country`
        listed = filter_rows(now, country=country)
        assert len(listed) > 5
        pd.testing.assert_frame_equal(listed, filter_rows(before, country=country))
    for country in ("TJK", "AFG"):
        for as_of in DATES:
            old = [a.to_dict() for a in assess(before, spec, [country], pd.Timestamp(as_of))]
            new = [a.to_dict() for a in assess(now, spec, [country], pd.Timestamp(as_of))]
            assert new == old
            cited = sorted({i for a in assess(before, spec, [country], pd.Timestamp(as_of))
                            for i in a.evidence_ids})  # fmt: skip
            pd.testing.assert_frame_equal(now.citations(cited), before.citations(cited))
    dates = pd.date_range("2013-01-01", "2025-12-31", freq="ME")
    old_panel, old_scores = score_history(before, spec, ["TJK", "AFG"], dates)
    new_panel, new_scores = score_history(now, spec, ["TJK", "AFG"], dates)
    pd.testing.assert_frame_equal(new_panel.value, old_panel.value)
    pd.testing.assert_series_equal(new_scores.score, old_scores.score)


def test_reading_by_question_gives_what_loading_everything_gave(library, spec):
    paths = library_folders(library)
    before = load_as_before(paths)
    # Not vacuous: imported events are known at later dates, and some joined a report incident.
    assert len(before.events) > 3000
    assert before.events["note"].str.contains("matched to report incident").any()
    tjk = assess(before, spec, ["TJK"], pd.Timestamp("2025-12-31"))[0]
    assert any(i.startswith("acled-") for i in tjk.evidence_ids)
    _same(before, load_evidence(paths), spec)


def test_without_recorded_matches_they_are_worked_out_again(library, spec, tmp_path):
    copy = tmp_path / "library"
    shutil.copytree(library, copy)
    for folder in library_folders(copy):
        (folder / MATCHES).unlink(missing_ok=True)
    paths = library_folders(copy)
    _same(load_as_before(paths), load_evidence(paths), spec)


def test_a_report_added_since_the_import_is_matched_too(library, spec, tmp_path):
    """An --evidence folder with a report event that an imported event describes."""
    before_all = load_as_before(library_folders(library))
    imported = before_all.events[before_all.events["source_id"].str.startswith("acled-")]
    row = imported[(imported["country"] == "AFG") & (imported["date"].str.len() == 10)].iloc[0]
    report = tmp_path / "report"
    report.mkdir()
    source = before_all.sources[before_all.sources["kind"] == "report"].iloc[0]
    (report / "events.csv").write_text(
        "event_id,country,date,kind,fatalities,incident_id,description,source_id,quote,"
        "published,note\n"
        f"afg-report-1,AFG,{row['date']},armed_attack,{int(row['fatalities'])},afg-inc-1,"
        f"an attack,{source.name},q,2025-01-01,\n",
        "utf-8",
    )
    paths = [*library_folders(library), report]
    before = load_as_before(paths)
    assert before.events.loc["afg-report-1", "incident_id"] == "afg-inc-1"
    assert (before.events["incident_id"] == "afg-inc-1").sum() == 2  # the import joined it
    _same(before, load_evidence(paths), spec)
