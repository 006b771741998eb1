"""The vectorised transforms agree with one-date-at-a-time panels on awkward synthetic evidence.

The synthetic base has several countries, observations with overlapping periods, same-day ties
(averaged), revisions (same period published later), ranges and one-sided bounds, and events
with shared incident ids (also reused across countries), vague dates (year or month) and
publication before the end of the vague period. A many-date panel is computed in one pass and
compared cell by cell, values and cited evidence ids, with panels computed for each date alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fragwatch.evidence import Evidence
from fragwatch.evidence.schema import TableRef, validate_events, validate_observations
from fragwatch.indicators import registered, transforms
from fragwatch.indicators.kernels import segments

QUANTITIES = {
    "remittances_gdp": ("percent", 5.0, 60.0),
    "heroin_seizures": ("kg", 100.0, 3000.0),
    "migrant_returns": ("persons", 1e4, 8e5),
    "population": ("persons", 5e6, 2e7),
    "is_recruits": ("persons", 50.0, 2000.0),
    "militants_near_border": ("fighters", 100.0, 9000.0),
    "conflict_death_rate": ("per 100,000", 0.0, 20.0),
    # The open-data layer's quantities (values kept positive: a range's bounds stay ordered).
    "conflict_deaths": ("deaths", 0.0, 5000.0),
    "remittances_usd": ("USD", 1e8, 5e9),
    "gdp_growth": ("percent", 0.5, 12.0),
    "inflation": ("percent", 0.5, 40.0),
    "unemployment": ("percent", 1.0, 30.0),
    "political_stability": ("index", 0.1, 2.5),
    "civil_liberties": ("index", 0.05, 0.8),
    "cso_repression": ("index", 0.1, 3.0),
    "physical_integrity": ("index", 0.05, 0.8),
    "homicide_rate": ("per 100,000", 0.2, 60.0),
    "refugees_abroad": ("persons", 0.0, 5e5),
    "infant_mortality": ("per 1,000 live births", 2.0, 90.0),
}
EVENT_KINDS = [
    "armed_attack",
    "armed_clash",
    "suicide_bombing",
    "riot",
    "border_raid",
    "border_clash",
    "border_abduction",
    "security_defection",
    "opposition_ban",
    "terrorist_designation",
    "exiled_leader_killed",
    "loss_of_seats",
    "opposition_arrests",
    "forced_resignations",
    "extremist_propaganda",  # known, read by no indicator
]


def _country_code(i: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "Q" + letters[(i // 26) % 26] + letters[i % 26]


def _period(rng: np.random.Generator, year: int) -> str:
    shape = rng.integers(5)
    if shape == 0:
        return f"{year}"
    if shape == 1:
        return f"{year}-H{rng.integers(1, 3)}"
    if shape == 2:
        return f"{year}-Q{rng.integers(1, 5)}"
    if shape == 3:
        return f"{year}-{rng.integers(1, 13):02d}"
    return f"{year}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"


def _start(period: str) -> pd.Timestamp:
    year = int(period[:4])
    if len(period) == 4:
        return pd.Timestamp(year, 1, 1)
    if period[5] == "H":
        return pd.Timestamp(year, 1 + 6 * (int(period[6]) - 1), 1)
    if period[5] == "Q":
        return pd.Timestamp(year, 1 + 3 * (int(period[6]) - 1), 1)
    return pd.Timestamp(period + ("-01" if len(period) == 7 else ""))


def _figure(rng: np.random.Generator, lo: float, hi: float) -> tuple[str, str, str]:
    x = rng.uniform(lo, hi)
    shape = rng.integers(6)
    if shape <= 2:
        return f"{x:.4g}", "", ""
    if shape == 3:
        return "", f"{x * 0.8:.4g}", f"{x * 1.2:.4g}"
    if shape == 4:
        return "", f"{x:.4g}", ""
    return "", "", f"{x:.4g}"


def synthetic_evidence(base: Evidence, n_countries: int = 6, seed: int = 0) -> Evidence:
    """A random evidence base on the embedded sources (validated like a loaded file)."""
    rng = np.random.default_rng(seed)
    source_ids = list(base.sources.index)
    obs_rows: list[list[str]] = []
    ev_rows: list[list[str]] = []
    for c in range(n_countries):
        country = _country_code(c)
        for quantity, (unit, lo, hi) in QUANTITIES.items():
            for _ in range(rng.integers(0, 12)):
                # Years to 2022: a figure and its revisions are all published by today.
                period = _period(rng, int(rng.integers(1996, 2023)))
                published = _start(period) + pd.Timedelta(days=int(rng.integers(0, 900)))
                copies = 1 + (rng.random() < 0.25) + (rng.random() < 0.1)
                for copy in range(copies):
                    if copy and rng.random() < 0.5:  # a revision, published later
                        published += pd.Timedelta(days=int(rng.integers(1, 400)))
                    if not copy or rng.random() < 0.6:  # else the same figure again (a tie)
                        value, low, high = _figure(rng, lo, hi)
                    obs_rows.append(
                        [
                            f"{country}-{quantity}-{len(obs_rows)}",
                            country,
                            quantity,
                            period,
                            value,
                            low,
                            high,
                            unit,
                            source_ids[rng.integers(len(source_ids))],
                            "q",
                            published.strftime("%Y-%m-%d"),
                            "",
                        ]
                    )
        incidents = [f"inc-{i}" for i in range(int(rng.integers(1, 12)))]
        for _ in range(rng.integers(0, 45)):
            shape = rng.integers(3)
            year, month = int(rng.integers(1998, 2025)), int(rng.integers(1, 13))
            date = (
                f"{year}"
                if shape == 0
                else f"{year}-{month:02d}"
                if shape == 1
                else f"{year}-{month:02d}-{rng.integers(1, 29):02d}"
            )
            published = _start(date) + pd.Timedelta(days=int(rng.integers(0, 500)))
            incident = "" if rng.random() < 0.3 else incidents[rng.integers(len(incidents))]
            deaths = "" if rng.random() < 0.5 else str(int(rng.integers(0, 60)))
            for _ in range(1 + (rng.random() < 0.2)):  # a second source, same incident
                ev_rows.append(
                    [
                        f"{country}-ev-{len(ev_rows)}",
                        country,
                        date,
                        EVENT_KINDS[rng.integers(len(EVENT_KINDS))],
                        deaths,
                        incident,
                        "d",
                        source_ids[rng.integers(len(source_ids))],
                        "q",
                        published.strftime("%Y-%m-%d"),
                        "",
                    ]
                )
    obs = pd.DataFrame(obs_rows, columns=list(base.observations.columns[:12]), dtype=object)
    events = pd.DataFrame(ev_rows, columns=list(base.events.columns[:11]), dtype=object)
    return Evidence(
        sources=base.sources,
        observations=validate_observations(obs, base.sources, TableRef("synthetic-obs")),
        events=validate_events(events, base.sources, TableRef("synthetic-events")),
    )


# --- the reference: the straightforward pandas merge/groupby implementation ------------------
# (the transforms as they were before they were vectorised in numpy; slow but obvious)

KEY = ["country", "as_of"]
DAY = pd.Timedelta(days=1)


def _ref_pairs(grid: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    pairs = grid.merge(rows, on="country", how="inner")
    return pairs[pairs["published"] <= pairs["as_of"]]


def _ref_result(frame: pd.DataFrame, ids: pd.Series | None = None) -> pd.DataFrame:
    out = frame.set_index(KEY)[["value", "low", "high"]]
    out["evidence_ids"] = ids.reindex(out.index) if ids is not None else None
    return out


def _ref_reduce_latest(pairs: pd.DataFrame) -> pd.DataFrame:
    columns = [*KEY, "point", "low", "high", "period_end", "obs_ids"]
    if pairs.empty:
        return pairs.assign(obs_ids=pd.Series(dtype=object))[columns]
    pairs = pairs[pairs["period_end"] == pairs.groupby(KEY)["period_end"].transform("max")]
    pairs = pairs[pairs["published"] == pairs.groupby(KEY)["published"].transform("max")]
    pairs = pairs.assign(
        low=pairs["low"].fillna(pairs["point"]), high=pairs["high"].fillna(pairs["point"])
    )
    return pairs.groupby(KEY, as_index=False).agg(
        point=("point", "mean"),
        low=("low", "mean"),
        high=("high", "mean"),
        period_end=("period_end", "first"),
        obs_ids=("obs_id", tuple),
    )[columns]


def _ref_level(grid, obs, staleness_days, denominator=None, scale=1.0):
    found = _ref_reduce_latest(_ref_pairs(grid, obs))
    found = found[found["as_of"] - found["period_end"] <= staleness_days * DAY]
    found = found.rename(columns={"point": "value"})
    if denominator is not None:
        base = _ref_reduce_latest(_ref_pairs(grid, denominator))
        found = found.merge(
            base[[*KEY, "point", "obs_ids"]].rename(columns={"obs_ids": "base_ids"}), on=KEY
        )
        for col in ("value", "low", "high"):
            found[col] = found[col] / found["point"] * scale
        found["obs_ids"] = found["obs_ids"] + found["base_ids"]
    return _ref_result(found, found.set_index(KEY)["obs_ids"])


def _ref_change(grid, obs, staleness_days):
    latest = _ref_reduce_latest(_ref_pairs(grid, obs))
    latest = latest[latest["as_of"] - latest["period_end"] <= staleness_days * DAY]
    pairs = _ref_pairs(grid, obs).merge(
        latest[[*KEY, "period_end"]].rename(columns={"period_end": "latest_end"}), on=KEY
    )
    previous = _ref_reduce_latest(pairs[pairs["period_end"] < pairs["latest_end"]])
    both = latest.merge(previous, on=KEY, suffixes=("", "_prev"))
    base = both["point_prev"]
    for col in ("value", "low", "high"):
        both[col] = (both["point" if col == "value" else col] - base) / base * 100.0
    both["obs_ids"] = both["obs_ids_prev"] + both["obs_ids"]
    return _ref_result(both, both.set_index(KEY)["obs_ids"])


def _ref_window_max(grid, obs, window_days):
    pairs = _ref_pairs(grid, obs)
    pairs = pairs[pairs["as_of"] - pairs["period_end"] <= window_days * DAY]
    pairs = pairs[pairs["period_end"] - window_days * DAY <= pairs["as_of"]]
    if pairs.empty:
        return _ref_result(pd.DataFrame(columns=[*KEY, "value", "low", "high"]))
    best = pairs.loc[pairs.groupby(KEY)["point"].idxmax()]
    best = best.assign(
        value=best["point"],
        low=best["low"].fillna(best["point"]),
        high=best["high"].fillna(best["point"]),
    )
    return _ref_result(best, pairs.groupby(KEY, sort=False)["obs_id"].agg(tuple))


def _ref_decayed(grid, evidence, severity, half_life_days, fatality_factor, staleness_days):
    obs, events, sources = evidence.observations, evidence.events, evidence.sources
    reports = sources.index[sources["kind"] != "dataset"]
    # Watching: reports, and an event data set for the kinds this indicator counts.
    watching = events["source_id"].isin(reports) | events["kind"].isin(list(severity))
    published = pd.concat(
        [
            obs.loc[obs["source_id"].isin(reports), ["country", "published"]],
            events.loc[watching, ["country", "published"]],
        ]
    )
    last = _ref_pairs(grid, published).groupby(KEY)["published"].max()
    index = grid.set_index(KEY).index
    as_of = pd.Series(index.get_level_values("as_of"), index=index)
    watched = as_of - last.reindex(index) <= pd.Timedelta(days=staleness_days)

    pairs = _ref_pairs(grid, events[events["kind"].isin(list(severity))])
    pairs = pairs.assign(
        kind_weight=pairs["kind"].map(severity).astype(float),
        deaths=pairs["fatalities"].fillna(0.0),
        happened=pairs[["date_end", "published"]].min(axis=1),
    )
    incident = pairs.groupby([*KEY, "incident_id"], as_index=False).agg(
        kind_weight=("kind_weight", "max"), deaths=("deaths", "max"), date_end=("happened", "min")
    )
    decay = np.power(0.5, (incident["as_of"] - incident["date_end"]) / DAY / half_life_days)
    counted = decay >= 0.05
    incident["weight"] = np.where(
        counted,
        incident["kind_weight"] * (1.0 + fatality_factor * np.log1p(incident["deaths"])) * decay,
        0.0,
    )
    totals = incident.groupby(KEY)["weight"].sum()
    cited = pairs.merge(incident.loc[counted, [*KEY, "incident_id"]], on=[*KEY, "incident_id"])
    value = totals.reindex(index).fillna(0.0).where(watched)
    out = pd.DataFrame({"value": value, "low": value, "high": value})
    out["evidence_ids"] = cited.groupby(KEY, sort=False)["event_id"].agg(tuple).reindex(index)
    return out


def reference_panel(indicator, evidence: Evidence, countries, dates) -> pd.DataFrame:
    """What ``indicator.panel`` gave with the reference transforms."""
    index = pd.MultiIndex.from_product([countries, pd.DatetimeIndex(dates)], names=KEY)
    grid = index.to_frame(index=False)
    evidence = evidence.for_countries(countries)
    obs = evidence.observations

    def quantity(name):
        return obs[obs["quantity"] == name]

    days = indicator.staleness_days
    if indicator.transform == "level":
        per = quantity(indicator.per) if indicator.per else None
        out = _ref_level(grid, quantity(indicator.quantity), days, per, indicator.scale)
    elif indicator.transform == "change":
        out = _ref_change(grid, quantity(indicator.quantity), days)
    elif indicator.transform == "window_max":
        out = _ref_window_max(grid, quantity(indicator.quantity), days)
    else:
        params = indicator.params
        out = _ref_decayed(
            grid,
            evidence,
            dict(params["severity"]),
            float(params["half_life_days"]),
            float(params["fatality_factor"]),
            days,
        )
    if indicator.transform == "decayed_events" and getattr(indicator, "per", None):
        # A count per head: divided by the latest known denominator, whose ids join the cell's.
        base = _ref_reduce_latest(_ref_pairs(grid, quantity(indicator.per))).set_index(KEY)
        base = base.reindex(out.index)
        for col in ("value", "low", "high"):
            out[col] = out[col] / base["point"] * indicator.scale
        valued = out["value"].notna()
        out["evidence_ids"] = [
            (x if isinstance(x, tuple) else ()) + b if v else ()
            for x, b, v in zip(out["evidence_ids"], base["obs_ids"], valued, strict=True)
        ]
    out = out.reindex(index)
    out["evidence_ids"] = [x if isinstance(x, tuple) else () for x in out["evidence_ids"]]
    return out


@pytest.fixture(scope="module")
def synthetic(evidence):
    return synthetic_evidence(evidence, n_countries=5, seed=7)


def _dates(evidence: Evidence) -> pd.DatetimeIndex:
    """Month ends, plus publication days and the days before them (the boundaries)."""
    published = pd.concat([evidence.observations["published"], evidence.events["published"]])
    edges = pd.DatetimeIndex(published.drop_duplicates().sort_values().iloc[::9])
    monthly = pd.date_range("1997-01-31", "2027-12-31", freq="7ME")
    return monthly.union(edges).union(edges - pd.Timedelta(days=1))


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert got.index.equals(expected.index)
    for col in ("value", "low", "high"):
        np.testing.assert_allclose(
            got[col].to_numpy(float), expected[col].to_numpy(float), rtol=1e-12, equal_nan=True
        )
    assert list(got["evidence_ids"]) == list(expected["evidence_ids"])


@pytest.mark.parametrize("code", sorted(registered()))
def test_many_dates_at_once_equal_one_date_at_a_time(code, synthetic):
    indicator = registered()[code]()
    countries = [*synthetic.countries, "ZZZ"]  # ZZZ: no evidence at all
    dates = _dates(synthetic)
    together = indicator.panel(synthetic, countries, dates)
    assert together["value"].notna().any()
    assert any(len(ids) > 1 for ids in together["evidence_ids"])
    one_by_one = pd.concat(
        [indicator.panel(synthetic, countries, pd.DatetimeIndex([d])) for d in dates]
    ).reindex(together.index)
    _assert_same(together, one_by_one)


@pytest.mark.parametrize("code", sorted(registered()))
def test_grid_order_does_not_matter(code, synthetic):
    indicator = registered()[code]()
    countries = [*synthetic.countries, "ZZZ"]
    dates = _dates(synthetic)
    forward = indicator.panel(synthetic, countries, dates)
    backward = indicator.panel(synthetic, countries[::-1], dates[::-1])
    _assert_same(backward.reindex(forward.index), forward)


def test_shared_evidence_tuples_survive_hash_collisions(synthetic, monkeypatch):
    """Cells citing the same rows share one tuple; a colliding hash must not merge others."""
    countries, dates = synthetic.countries, _dates(synthetic)
    expected = {
        code: cls().panel(synthetic, countries, dates) for code, cls in registered().items()
    }
    monkeypatch.setattr(segments, "_mix", lambda x: np.zeros(len(x), dtype=np.uint64))
    for code, cls in registered().items():
        _assert_same(cls().panel(synthetic, countries, dates), expected[code])


def test_dataframe_interface_matches_the_indicators(synthetic):
    """The DataFrame functions give the panels the indicator families compute."""
    countries, dates = [*synthetic.countries, "ZZZ"], _dates(synthetic)[::3]
    grid = pd.MultiIndex.from_product([countries, dates], names=transforms.KEY).to_frame(
        index=False
    )
    obs = synthetic.observations

    def quantity(name: str) -> pd.DataFrame:
        return obs[obs["quantity"] == name]

    def panel(code: str) -> pd.DataFrame:
        return registered()[code]().panel(synthetic, countries, dates)

    _assert_same(
        transforms.level(grid, quantity("is_recruits"), 730, quantity("population"), 1e6),
        panel("is_recruitment"),
    )
    _assert_same(
        transforms.level(grid, quantity("remittances_gdp"), 1095), panel("remittances_gdp")
    )
    _assert_same(
        transforms.change(grid, quantity("heroin_seizures"), 1095), panel("heroin_seizure_trend")
    )
    _assert_same(
        transforms.window_max(grid, quantity("militants_near_border"), 365),
        panel("militants_across_border"),
    )
    reports = synthetic.sources.index[synthetic.sources["kind"] != "dataset"]
    published = pd.concat(
        [
            obs.loc[obs["source_id"].isin(reports), ["country", "published"]],
            synthetic.events.loc[
                synthetic.events["source_id"].isin(reports), ["country", "published"]
            ],
        ]
    )
    watched = transforms.monitored(grid, published, 1095)
    assert watched.index.names == transforms.KEY
    indicator = registered()["border_incidents"]()
    _assert_same(
        transforms.decayed_events(
            grid,
            synthetic.events,
            severity=indicator.params["severity"],
            half_life_days=365.0,
            fatality_factor=0.5,
            monitored=watched,
        ),
        panel("border_incidents"),
    )
    latest = transforms.latest_observation(grid, quantity("remittances_gdp"))
    assert list(latest.columns) == [
        *transforms.KEY,
        "point",
        "low",
        "high",
        "period_end",
        "obs_ids",
    ]
    level = panel("remittances_gdp")
    fresh = level["value"].notna()
    found = latest.set_index(transforms.KEY).reindex(level.index[fresh])
    np.testing.assert_array_equal(found["point"].to_numpy(), level.loc[fresh, "value"].to_numpy())
    assert (
        (found["as_of"] if "as_of" in found else found.index.get_level_values("as_of"))
        .notna()
        .all()
    )


@pytest.mark.parametrize("code", sorted(registered()))
def test_agrees_with_the_reference_implementation(code, synthetic, evidence):
    indicator = registered()[code]()
    for base in (synthetic, evidence):
        countries, dates = [*base.countries, "ZZZ"], _dates(base)
        _assert_same(
            indicator.panel(base, countries, dates),
            reference_panel(indicator, base, countries, dates),
        )
