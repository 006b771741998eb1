"""The matching rule: an imported event and a report event of one incident count once."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fragwatch.evidence.files import load_evidence
from fragwatch.evidence.matching import day_numbers, find_matches, match_incidents, within_reach
from fragwatch.indicators.registry import get_indicator

SOURCES = [
    {
        "source_id": "rep",
        "title": "A report",
        "publisher": "Crisis desk",
        "published": "2016-01-11",
        "kind": "report",
    },
    {
        "source_id": "acled-x",
        "title": "ACLED export",
        "publisher": "ACLED",
        "published": "2016-01-12",
        "kind": "dataset",
    },
    {
        "source_id": "acled-y",
        "title": "ACLED export, later",
        "publisher": "ACLED",
        "published": "2016-03-01",
        "kind": "dataset",
    },
    {
        "source_id": "ged",
        "title": "UCDP GED",
        "publisher": "UCDP",
        "published": "2016-06-30",
        "kind": "dataset",
    },
]
COLUMNS = [
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
]


def report(event_id, date, kind="armed_attack", deaths="", incident="", country="TJK"):
    return [event_id, country, date, kind, deaths, incident, "d", "rep", "q", "2016-01-11"]


def imported(event_id, date, kind="armed_clash", deaths="", source="acled-x", country="TJK"):
    incident = "acled:" + event_id.split(":")[-1] if source.startswith("acled") else ""
    published = {"acled-x": "2016-01-12", "acled-y": "2016-03-01", "ged": "2016-06-30"}[source]
    return [event_id, country, date, kind, deaths, incident, "d", source, "q", published]


def load(tmp_path, rows):
    folder = tmp_path / "evidence"
    folder.mkdir(exist_ok=True)
    with (folder / "sources.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["source_id", "title", "publisher", "published", "kind"])
        writer.writeheader()
        writer.writerows(SOURCES)
    # Armed violence is counted per head: the country's population, from a data set (a
    # report would make the country 'monitored' for every event indicator, see below).
    (folder / "observations.csv").write_text(
        "obs_id,country,quantity,period,value,low,high,unit,source_id,quote,published\n"
        "pop,TJK,population,2015,8200000,,,persons,acled-x,q,2016-01-12\n",
        encoding="utf-8",
    )
    with (folder / "events.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return load_evidence([folder], include_default=False)


def incidents(evidence) -> dict[str, str]:
    return dict(zip(evidence.events["event_id"], evidence.events["incident_id"], strict=True))


def armed_violence(evidence, as_of="2016-06-30") -> float:
    indicator = get_indicator("armed_violence")()
    return float(indicator.panel(evidence, ["TJK"], pd.DatetimeIndex([as_of]))["value"].iloc[0])


def test_a_matched_pair_counts_once(tmp_path):
    rows = [report("r1", "2015-09-04", deaths="22", incident="attack-0904")]
    alone = armed_violence(load(tmp_path, rows))
    both = load(tmp_path, [*rows, imported("acled-x:T1", "2015-09-05", deaths="20")])
    assert incidents(both)["acled-x:T1"] == "attack-0904"
    # The imported row takes the report's kind and incident: the reading is unchanged.
    assert both.events.set_index("event_id").loc["acled-x:T1", "kind"] == "armed_attack"
    assert (
        "matched to report incident attack-0904 (imported as armed_clash)"
        in (both.events.set_index("event_id").loc["acled-x:T1", "note"])
    )
    assert armed_violence(both) == pytest.approx(alone)


def test_two_different_incidents_stay_two(tmp_path):
    rows = [report("r1", "2015-09-04", deaths="22", incident="attack-0904")]
    alone = armed_violence(load(tmp_path, rows))
    far = load(tmp_path, [*rows, imported("acled-x:T2", "2015-09-20", deaths="2")])
    assert incidents(far)["acled-x:T2"] == "acled:T2"
    assert armed_violence(far) > alone


@pytest.mark.parametrize(
    ("report_date", "imported_date", "matched"),
    [
        ("2015-09", "2015-09-30", True),  # any day of the month
        ("2015-09", "2015-10-03", True),  # ... and three days either side
        ("2015-09", "2015-10-04", False),
        ("2015-09", "2015-08-29", True),
        ("2015-09", "2015-08-28", False),
        ("2015-09-04", "2015-09-07", True),
        ("2015-09-04", "2015-09-08", False),
        ("2015", "2015-09-04", False),  # a year-level mention pins down no incident
        ("2015-Q3", "2015-09-04", False),
    ],
)
def test_date_window_respects_the_report_precision(tmp_path, report_date, imported_date, matched):
    evidence = load(
        tmp_path, [report("r1", report_date, incident="inc"), imported("acled-x:T1", imported_date)]
    )
    assert (incidents(evidence)["acled-x:T1"] == "inc") is matched


@pytest.mark.parametrize(
    ("report_deaths", "imported_deaths", "matched"),
    [
        ("22", "20", True),
        ("25", "13", True),
        ("13", "3", False),
        ("1", "3", True),
        ("", "40", True),
        ("22", "", True),
    ],
)
def test_fatalities_must_agree_where_both_are_known(
    tmp_path, report_deaths, imported_deaths, matched
):
    evidence = load(
        tmp_path,
        [
            report("r1", "2015-09-04", deaths=report_deaths, incident="inc"),
            imported("acled-x:T1", "2015-09-04", deaths=imported_deaths),
        ],
    )
    assert (incidents(evidence)["acled-x:T1"] == "inc") is matched


def test_kinds_must_be_compatible_and_countries_equal(tmp_path):
    evidence = load(
        tmp_path,
        [
            report("r1", "2015-09-04", kind="opposition_ban", incident="ban"),
            report("r2", "2015-09-04", kind="armed_attack", incident="attack", country="KGZ"),
            imported("acled-x:T1", "2015-09-04", kind="armed_clash"),
        ],
    )
    assert incidents(evidence)["acled-x:T1"] == "acled:T1"


def test_one_to_one_per_data_set(tmp_path):
    evidence = load(
        tmp_path,
        [
            report("r1", "2015-09", incident="sept"),
            report("r2", "2015-09-04", deaths="22", incident="sept"),
            imported("acled-x:T1", "2015-09-20"),
            imported("acled-x:T2", "2015-09-04", deaths="22"),
            imported("ged:9", "2015-09-04", deaths="22", source="ged"),
        ],
    )
    found = incidents(evidence)
    # The report incident takes the closest ACLED event (the same day, same deaths) ...
    assert found["acled-x:T2"] == "sept"
    assert found["acled-x:T1"] == "acled:T1"
    # ... and, from another data set, UCDP's description of it too.
    assert found["ged:9"] == "sept"


def test_later_downloads_of_one_event_follow_it(tmp_path):
    evidence = load(
        tmp_path,
        [
            report("r1", "2015-09-04", deaths="22", incident="attack"),
            imported("acled-x:T1", "2015-09-04", deaths="22"),
            imported("acled-y:T1", "2015-09-04", deaths="23", source="acled-y"),
        ],
    )
    assert {incidents(evidence)[e] for e in ("acled-x:T1", "acled-y:T1")} == {"attack"}


def test_without_imported_events_nothing_changes(evidence):
    assert find_matches(evidence.events, evidence.sources).empty
    assert match_incidents(evidence.events, evidence.sources) is evidence.events


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(6))))
def test_row_order_does_not_matter(tmp_path_factory, order):
    rows = [
        report("r1", "2015-09", incident="sept"),
        report("r2", "2015-09-16", kind="armed_clash", deaths="25", incident="romit"),
        imported("acled-x:T1", "2015-09-20"),
        imported("acled-x:T2", "2015-09-04", deaths="22"),
        imported("acled-x:T3", "2015-09-16", deaths="25"),
        imported("acled-x:T4", "2015-09-17", deaths="24"),
    ]
    tmp = tmp_path_factory.mktemp("order")
    first = incidents(load(tmp, rows))
    shuffled = incidents(load(tmp, [rows[i] for i in order]))
    assert shuffled == first
    assert first["acled-x:T3"] == "romit"  # same day beats a day later
    assert sum(v == "sept" for v in first.values()) == 2  # r1 and one ACLED event


def test_monitoring_by_an_event_data_set(tmp_path):
    """Imported events of an indicator's kinds keep it monitored, as reports do."""
    rows = [imported("acled-x:T1", "2015-09-04", deaths="3")]
    evidence = load(tmp_path, rows)
    assert armed_violence(evidence, "2016-06-30") > 0
    assert np.isnan(
        float(
            get_indicator("opposition_repression")()
            .panel(evidence, ["TJK"], pd.DatetimeIndex(["2016-06-30"]))["value"]
            .iloc[0]
        )
    )


def _events_frame(reports, imports) -> pd.DataFrame:
    """Event rows for ``find_matches``: (country, first day, span in days, deaths) each."""
    rows = [(f"r{i}", *r, "armed_attack", "rep") for i, r in enumerate(reports)]
    rows += [(f"acled-x:T{i}", *r, "armed_clash", "acled-x") for i, r in enumerate(imports)]
    frame = pd.DataFrame(
        rows, columns=["event_id", "country", "day", "span", "fatalities", "kind", "source_id"]
    )
    base = np.datetime64("2015-01-01")
    frame["date_start"] = base + frame["day"].to_numpy().astype("timedelta64[D]")
    frame["date_end"] = frame["date_start"] + frame["span"].to_numpy().astype("timedelta64[D]")
    frame["incident_id"] = np.where(
        frame["source_id"] == "rep", "inc-" + frame["event_id"], "acled:" + frame["event_id"]
    )
    return frame


def _reach(frame: pd.DataFrame) -> np.ndarray:
    imported = frame["source_id"].to_numpy() != "rep"
    days = {c: day_numbers(frame[c]) for c in ("date_start", "date_end")}
    return within_reach(
        frame["country"].to_numpy(dtype=object)[imported],
        days["date_start"][imported],
        days["date_end"][imported],
        frame["country"].to_numpy(dtype=object)[~imported],
        days["date_start"][~imported],
        days["date_end"][~imported],
    )


EVENT = st.tuples(
    st.sampled_from(["TJK", "KGZ"]),
    st.integers(0, 50),
    st.sampled_from([0, 0, 6, 29, 31, 32, 364]),
    st.sampled_from([np.nan, 0.0, 3.0, 20.0]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(EVENT, min_size=1, max_size=3), st.lists(EVENT, min_size=1, max_size=8))
# The edges of the window: three days after a report day, and a month-long row ending three
# days before one.
@example([("TJK", 10, 0, np.nan)], [("TJK", 13, 0, np.nan)])
@example([("TJK", 40, 0, np.nan)], [("TJK", 6, 31, np.nan)])
def test_an_import_dropping_rows_out_of_reach_finds_the_same_matches(reports, imports):
    """An import matches only the rows ``within_reach`` keeps; no pair may be lost by that."""
    frame = _events_frame(reports, imports)
    sources = pd.DataFrame(SOURCES).set_index("source_id")
    keep = np.concatenate([np.ones(len(reports), dtype=bool), _reach(frame)])
    everything = find_matches(frame, sources)
    assert find_matches(frame[keep], sources).equals(everything)


def test_rows_out_of_every_window_are_not_within_reach():
    frame = _events_frame(
        [("TJK", 100, 0, 5.0), ("TJK", 200, 29, np.nan)],
        [
            ("TJK", 103, 0, 5.0),  # three days after the first report row: in reach
            ("TJK", 104, 0, 5.0),  # four days after: out
            ("TJK", 200 - 34, 0, 5.0),  # may span into the month: in reach
            ("TJK", 200 - 35, 0, 5.0),  # out
            ("TJK", 150, 40, 5.0),  # dated to more than a month: never matched
            ("KGZ", 100, 0, 5.0),  # another country
        ],
    )
    assert _reach(frame).tolist() == [True, False, True, False, False, False]
