"""The matching rule: an imported event and a report event of one incident count once."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fragwatch.evidence.files import load_evidence
from fragwatch.evidence.matching import find_matches, match_incidents
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
