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
            # The digest takes a batch's known rows by file and position (see
            # test_the_digest_identifies_imported_rows_without_reading_them); all else is equal.
            for record in (*old, *new):
                record.pop("evidence_digest")
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


def _first_imported(evidence: Evidence) -> pd.Timestamp:
    imported = evidence.events[evidence.events["origin"].str.contains("events.parquet:")]
    return imported["published"].min()


def test_the_digest_identifies_imported_rows_without_reading_them(library, tmp_path):
    """Digest v2: the known rows of a batch count by the batch file's SHA-256 and their
    positions in it. Before any imported row is known it is the digest as it was (every row
    hashed); after, it changes with the file and with the date, is the same whether the rows
    were read or not, and reading them is not needed."""
    paths = library_folders(library)
    first = _first_imported(load_evidence(paths))
    early = first - pd.Timedelta(days=1)
    as_before = load_as_before(paths)
    assert load_evidence(paths).known_by(early).digest() == as_before.known_by(early).digest()

    late = pd.Timestamp("2025-12-31")
    unread = load_evidence(paths).known_by(late)
    digest = unread.digest()
    assert "_events_all" not in unread.__dict__  # no imported row was read for it
    assert digest != as_before.known_by(early).digest()
    read = load_evidence(paths)
    assert len(read.events) > 3000  # every row read, validated and matched
    assert read.known_by(late).digest() == digest
    assert load_evidence(paths).known_by(first).digest() != digest

    # Another export of the same batch (one fatality count revised) is other evidence.
    import pyarrow as pa
    import pyarrow.parquet as pq

    copy = tmp_path / "library"
    shutil.copytree(library, copy)
    batch = library_folders(copy)[-1] / "events.parquet"
    table = pq.read_table(batch)
    frame = table.to_pandas()
    frame.loc[0, "fatalities"] += 1
    pq.write_table(pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False), batch)
    assert load_evidence(library_folders(copy)).known_by(late).digest() != digest


def test_the_first_publication_date_is_known_without_reading_the_batches(library):
    """`assess` checks its --as-of against the first figure published: the batches' index
    answers for them, so a command that needs none of their rows reads none."""
    from fragwatch.cli import check_as_of
    from fragwatch.errors import UsageError

    paths = library_folders(library)
    unread = load_evidence(paths, include_default=False)
    read = load_evidence(paths, include_default=False)
    first = read.first_published()
    assert first == pd.concat([read.observations["published"], read.events["published"]]).min()
    assert unread.first_published() == first
    assert unread.for_countries(["AFG"]).first_published() == _first_of(read, "AFG")
    with pytest.raises(UsageError, match="before the earliest evidence"):
        check_as_of(first - pd.Timedelta(days=1), unread, "--as-of")
    check_as_of(first, unread, "--as-of")
    assert "_events_all" not in unread.__dict__  # no imported row was read


def _first_of(evidence: Evidence, country: str) -> pd.Timestamp:
    events = evidence.events[evidence.events["country"] == country]
    observations = evidence.observations[evidence.observations["country"] == country]
    return pd.concat([events["published"], observations["published"]]).min()


def test_assessing_one_country_reads_only_its_imported_rows(library, spec, monkeypatch):
    """With every imported row published, an assessment of TJK reads TJK's rows (its event
    indicators count them) and no other country's: not for the digest, nor for the layer of
    the evidence it cites (an import's rows are a data set's: not read for that at all)."""
    from fragwatch.evidence.store import ImportedEvents

    paths = library_folders(library)
    late = pd.Timestamp("2025-12-31")
    everything = load_evidence(paths).events
    imported = everything[everything["origin"].str.contains("events.parquet:")]
    tjk_rows = int(((imported["country"] == "TJK") & (imported["published"] <= late)).sum())
    assert 0 < tjk_rows < len(imported) / 10
    read_rows = []
    original = ImportedEvents.read

    def counting(self, **options):
        parts = original(self, **options)
        read_rows.append(sum(len(part) for part in parts))
        return parts

    monkeypatch.setattr(ImportedEvents, "read", counting)
    (found,) = assess(load_evidence(paths), spec, ["TJK"], late)
    assert any(i.startswith("acled-") for i in found.evidence_ids)
    assert max(read_rows) == tjk_rows


def test_a_batch_citing_a_report_source_is_still_read_for_its_layer(library, spec, tmp_path):
    """A batch whose rows cite a source that is not a data set (hand-made, not an import's)
    may hold report evidence: its cited rows are read to tell, as loading everything did."""
    copy = tmp_path / "library"
    shutil.copytree(library, copy)
    paths = library_folders(copy)
    for folder in paths:
        sources = folder / "sources.csv"
        sources.write_text(sources.read_text("utf-8").replace(",dataset,", ",report,"), "utf-8")
    now = load_evidence(paths)
    assert not now.imported.from_data_sets_only()
    (tjk,) = assess(now, spec, ["TJK"], pd.Timestamp("2025-12-31"))
    assert tjk.coverage_by_layer["report"] > 0  # imported rows count as a report's here
    _same(load_as_before(paths), now, spec)
