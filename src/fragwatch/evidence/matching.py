"""The matching rule: an imported event and a report event describing the same incident.

Reports and event data sets (ACLED, UCDP) often describe the same attack. Each row stays as
evidence, but indicators must count the incident once, so a matched imported event joins the
report's incident: it takes the report row's ``incident_id`` and ``kind``. An imported row (its
source is of kind ``dataset``) matches a report row (source ``report`` or ``news``) when:

1. both name the same country;
2. their kinds are compatible: ``incident_kinds.csv`` lists, for each kind a loader gives,
   the report kinds it may describe (an ACLED armed clash may be a report's border raid);
3. both are dated to within ``max_span_days`` (a day or a month, not a year or a quarter: a
   year-level mention summarises, it does not pin down one incident);
4. their dates are at most ``window_days`` apart, each date being the span its precision gives
   ("2015-09" is 1-30 September, so it matches any day of September, and 3 days either side);
5. their fatalities agree where both are known:
   ``|a - b| <= max(fatality_slack, fatality_share * max(a, b))``.

Matches are one to one per data set: a report incident absorbs at most one incident of each
publisher's data set, and an imported incident joins at most one report incident. Among
candidates the closest dates win, then the more precise report date (a day before a month),
then known and closest fatalities, then the smaller ids; the pairing is greedy on mutual best
choices, so it does not depend on row order.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

DAY_US = 86_400_000_000
WINDOW_DAYS = 3  # rule 4
MAX_SPAN_DAYS = 31  # rule 3


@cache
def compatible_kinds() -> pd.DataFrame:
    """(imported_kind, report_kind) pairs from incident_kinds.csv."""
    source = resources.files("fragwatch.evidence") / "incident_kinds.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        pairs = [
            (row["imported_kind"], report)
            for row in csv.DictReader(handle)
            for report in row["report_kinds"].split()
        ]
    return pd.DataFrame(pairs, columns=["imported_kind", "report_kind"])


def day_numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """Dates as whole days since 1970 (int64)."""
    return np.asarray(values, dtype="datetime64[us]").view(np.int64) // DAY_US


def find_matches(
    events: pd.DataFrame,
    sources: pd.DataFrame,
    *,
    window_days: int = WINDOW_DAYS,
    max_span_days: int = MAX_SPAN_DAYS,
    fatality_slack: float = 2.0,
    fatality_share: float = 0.5,
) -> pd.DataFrame:
    """The matched pairs: imported and report incident, kind, the two rows and their distance."""
    columns = [
        "imported_incident",
        "report_incident",
        "report_kind",
        "imported_event",
        "report_event",
        "days_apart",
        "fatality_gap",
    ]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if events.empty:
        return empty
    source_kind = events["source_id"].map(sources["kind"]).to_numpy(dtype=object)
    if not (source_kind == "dataset").any():  # the usual case: no imported events at all
        return empty
    start, end = day_numbers(events["date_start"]), day_numbers(events["date_end"])
    precise = end - start <= max_span_days
    report = (source_kind != "dataset") & precise
    if not report.any():
        return empty
    kinds = events["kind"].to_numpy(dtype=object)
    country = events["country"].to_numpy(dtype=object)
    # Report rows, once for each imported kind that may describe them.
    rep = pd.DataFrame({"r": np.flatnonzero(report)})
    rep["report_kind"] = kinds[rep["r"]]
    rep = rep.merge(compatible_kinds(), on="report_kind")
    # Imported rows of those kinds and countries (a cheap filter first: most rows go here).
    imported = (source_kind == "dataset") & precise
    imported &= pd.Series(country).isin(set(country[rep["r"]])).to_numpy()
    imported &= pd.Series(kinds).isin(set(rep["imported_kind"])).to_numpy()
    imp = np.flatnonzero(imported)
    if rep.empty or imp.size == 0:
        return empty
    publisher = events["source_id"].to_numpy(dtype=object)[imp]
    publisher = pd.Series(publisher).map(sources["publisher"]).to_numpy(dtype=object)
    dataset = np.empty(len(events), dtype=object)
    dataset[imp] = publisher
    # Sorted by (country, kind, start) to find each report row's window with two searches.
    group_of = pd.Index(pd.unique(pd.Series(country[imp] + "\x1f" + kinds[imp])))
    group = group_of.get_indexer(country[imp] + "\x1f" + kinds[imp])
    span = int(start.max() - start.min()) + 4 * (max_span_days + window_days) + 1
    key = group.astype(np.int64) * span + (start[imp] - start.min())
    order = np.argsort(key, kind="stable")
    imp, key = imp[order], key[order]

    r = rep["r"].to_numpy()
    rep_group = group_of.get_indexer(country[r] + "\x1f" + rep["imported_kind"].to_numpy(object))
    has = rep_group >= 0
    r, rep_group = r[has], rep_group[has]
    base = rep_group.astype(np.int64) * span - start.min()
    lo = np.searchsorted(key, base + start[r] - window_days - max_span_days, side="left")
    hi = np.searchsorted(key, base + end[r] + window_days, side="right")
    count = hi - lo
    pair_r = np.repeat(r, count)
    pair_i = imp[np.repeat(lo - np.cumsum(count) + count, count) + np.arange(count.sum())]

    apart = np.maximum.reduce(
        [np.zeros(len(pair_r), np.int64), start[pair_i] - end[pair_r], start[pair_r] - end[pair_i]]
    )
    deaths = events["fatalities"].to_numpy(dtype=float)
    a, b = deaths[pair_i], deaths[pair_r]
    gap = np.abs(a - b)
    agree = np.isnan(gap) | (gap <= np.maximum(fatality_slack, fatality_share * np.fmax(a, b)))
    keep = (apart <= window_days) & agree
    ids = events["event_id"].to_numpy(dtype=object)
    incident = events["incident_id"].to_numpy(dtype=object)
    cand = pd.DataFrame(
        {
            "imported_incident": incident[pair_i[keep]],
            "report_incident": incident[pair_r[keep]],
            "report_kind": kinds[pair_r[keep]],
            "imported_event": ids[pair_i[keep]],
            "report_event": ids[pair_r[keep]],
            "days_apart": apart[keep],
            "report_span": (end - start)[pair_r[keep]],
            "deaths_unknown": np.isnan(gap[keep]),
            "fatality_gap": np.nan_to_num(gap[keep], nan=0.0),
            "dataset": dataset[pair_i[keep]],
        }
    )
    # The best row pair for each pair of incidents, then one-to-one by mutual best choice.
    rank = ["days_apart", "report_span", "deaths_unknown", "fatality_gap"]
    cand = cand.sort_values(
        [*rank, "imported_event", "report_event"], kind="stable"
    ).drop_duplicates(["imported_incident", "report_incident"])
    cand["slot"] = cand["report_incident"] + "\x1f" + cand["dataset"].astype(str)
    chosen = []
    while not cand.empty:
        mutual = cand[~cand.duplicated("slot") & ~cand.duplicated("imported_incident")]
        chosen.append(mutual)
        taken = cand["imported_incident"].isin(mutual["imported_incident"])
        cand = cand[~taken & ~cand["slot"].isin(mutual["slot"])]
    if not chosen:
        return empty
    found = pd.concat(chosen, ignore_index=True)[columns]
    return found.sort_values(["report_incident", "imported_incident"], ignore_index=True)


def within_reach(
    country: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    report_country: np.ndarray,
    report_start: np.ndarray,
    report_end: np.ndarray,
) -> np.ndarray:
    """Mask of the imported rows that rules 1, 3 and 4 leave able to meet some report row.

    Dates are day numbers (int64). Lets an import drop, before building any Python object, the
    rows no report row can pair with: a row whose date span is too wide, or that starts outside
    every window ``[report start - MAX_SPAN_DAYS - WINDOW_DAYS, report end + WINDOW_DAYS]`` of
    a precise report row of its country (the same window ``find_matches`` searches).
    """
    precise = report_end - report_start <= MAX_SPAN_DAYS
    codes = pd.Index(pd.unique(pd.Series(report_country[precise], dtype=object)))
    if len(codes) == 0:
        return np.zeros(len(country), dtype=bool)
    # Country and day in one sortable key; a country's keys stay within its own stretch.
    reach = MAX_SPAN_DAYS + WINDOW_DAYS
    low = int(np.concatenate([start, report_start]).min()) - reach - 1
    width = int(np.concatenate([end, report_end]).max()) + reach + 1 - low
    group = codes.get_indexer(report_country[precise]).astype(np.int64) * width - low
    lo = np.sort(group + report_start[precise] - reach)
    hi = np.sort(group + report_end[precise] + WINDOW_DAYS)
    row_group = codes.get_indexer(pd.Series(country, dtype=object))
    key = row_group.astype(np.int64) * width - low + start
    # Inside some window: more windows have opened at or before the key than closed before it.
    inside = np.searchsorted(lo, key, side="right") > np.searchsorted(hi, key, side="left")
    return inside & (row_group >= 0) & (end - start <= MAX_SPAN_DAYS)


def apply_matches(events: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """Events with each matched imported incident merged into its report incident."""
    if matches.empty:
        return events
    joined = pd.Index(matches["imported_incident"].to_numpy(dtype=object))
    where = joined.get_indexer(events["incident_id"].to_numpy(dtype=object))
    rows = np.flatnonzero(where >= 0)
    out = events.copy(deep=False)  # copy-on-write: only the columns set below are copied
    target = matches.iloc[where[rows]]
    old_kind = out["kind"].to_numpy(dtype=object)[rows]
    note = out["note"].astype(object).to_numpy()[rows]
    remark = np.array(
        [
            f"matched to report incident {inc} (imported as {kind})"
            for inc, kind in zip(target["report_incident"], old_kind, strict=True)
        ],
        dtype=object,
    )
    position = out.columns.get_loc
    out.iloc[rows, position("incident_id")] = target["report_incident"].to_numpy(dtype=object)
    out.iloc[rows, position("kind")] = target["report_kind"].to_numpy(dtype=object)
    out.iloc[rows, position("note")] = np.where(note == "", remark, note + "; " + remark)
    return out


def match_incidents(events: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """``apply_matches(events, find_matches(events, sources))`` with the default parameters."""
    return apply_matches(events, find_matches(events, sources))
