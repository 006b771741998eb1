"""The interval on every assessment: Monte Carlo over evidence ranges and weight noise."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from fragwatch.errors import ConfigError
from fragwatch.evidence.files import load_evidence
from fragwatch.scoring.assessment import assess
from fragwatch.scoring.uncertainty import alert_share, draw_between, fire_share, interval_of
from fragwatch.settings import load_model_spec

from .conftest import MODEL_TOML, run_cli

AS_OF = pd.Timestamp("2016-01-31")


@pytest.fixture(scope="module")
def one(evidence, spec):
    (a,) = assess(evidence, spec, ["TJK"], AS_OF)
    t = a.table.set_index("code").loc[spec.model.framework_.codes]
    return a, t["value"].to_numpy(float)[None]


def _interval(spec, value, low, high, noise, draws=2000):
    (found,), scores = interval_of(
        spec.model, value, low, high, draws=draws, weight_noise=noise, seed=7
    )
    return found, scores


def test_collapses_to_the_point_score_without_noise_or_ranges(spec, one):
    a, value = one
    found, scores = _interval(spec, value, value, value, 0.0)
    assert np.allclose(scores, a.score, atol=1e-9)
    assert found.low == pytest.approx(a.score)
    assert found.high == pytest.approx(a.score)


def test_widens_when_evidence_ranges_widen(spec, one):
    _, value = one
    widths = []
    for rel in (0.0, 0.1, 0.3, 0.6):
        spread = np.abs(value) * rel
        found, _ = _interval(spec, value, value - spread, value + spread, 0.0)
        widths.append(found.high - found.low)
    assert widths[0] == pytest.approx(0.0, abs=1e-9)
    assert all(b > a for a, b in itertools.pairwise(widths))


def test_widens_with_weight_noise(spec, one):
    _, value = one
    narrow, _ = _interval(spec, value, value, value, 0.05)
    wide, _ = _interval(spec, value, value, value, 0.3)
    assert 0 < narrow.high - narrow.low < wide.high - wide.low


def test_draws_stay_within_the_range_and_peak_at_the_value():
    rng = np.random.default_rng(1)
    x = draw_between(np.array([2.0]), np.array([1.0]), np.array([5.0]), rng.random((20000, 1)))
    assert x.min() >= 1.0
    assert x.max() <= 5.0
    assert np.median(x) == pytest.approx(5 - np.sqrt(0.5 * 4 * 3), abs=0.05)  # triangular


def test_withheld_scores_have_no_interval(spec):
    value = np.full((1, len(spec.model.framework_.codes)), np.nan)
    found, _ = _interval(spec, value, value, value, 0.1, draws=10)
    assert np.isnan(found.median)


def test_fire_share_marks_robust_score_alerts():
    class R:
        kind, fire = "score_above", 60.0

    assert fire_share(R, np.array([59.0, 61.0, 62.0, 70.0])) == 0.75


def test_uncertainty_settings_are_validated_with_location(tmp_path):
    text = MODEL_TOML.read_text()
    bad = tmp_path / "model.toml"
    bad.write_text(text.replace("weight_noise = 0.1", "weight_noise = -1"))
    with pytest.raises(ConfigError, match=r"model.toml:\d+: field 'uncertainty.weight_noise'"):
        load_model_spec(bad)
    bad.write_text(text.replace("draws = 400", "drawz = 400"))
    with pytest.raises(ConfigError, match="unknown key"):
        load_model_spec(bad)


def test_assess_and_explain_show_the_interval():
    done = run_cli("assess", "--country", "TJK", "--as-of", "2016-01-31")
    assert done.returncode == 0, done.stderr
    assert "interval: median" in done.stdout
    assert "robust at 80%" in done.stdout
    # Somalia, far into the high band: its score-high alert fires in nearly every draw.
    record = json.loads(
        run_cli("assess", "--country", "SOM", "--as-of", "2026-12-07", "--json").stdout
    )[0]
    assert record["interval"]["low"] <= record["interval"]["median"] <= record["interval"]["high"]
    assert record["alert_draw_shares"]["score-high"]["robust"] is True
    done = run_cli("explain", "--country", "TJK", "--as-of", "2016-12-31")
    assert done.returncode == 0
    assert done.stdout.splitlines()[1].startswith("interval: median")


def test_indicator_rules_are_judged_over_their_own_evidence_range(one, spec):
    from fragwatch.alerts.rules import Rule

    a, _ = one
    row = a.table.set_index("code").loc["migrant_returns"]
    lo, mode, hi = float(row["low"]), float(row["value"]), float(row["high"])
    draws = np.zeros(20_000)  # only their number matters to an indicator rule
    seed = spec.uncertainty.seed

    def share(kind: str, fire: float) -> float:
        rule = Rule("r", kind, "high", fire=fire, clear=fire, indicator="migrant_returns")
        return alert_share(rule, a, draws, seed=seed)

    # Triangular(lo, mode, hi): P(x >= t) for t between mode and hi is (hi - t)^2 / ((hi - lo)
    # (hi - mode)); by hand, not from the code.
    t = (mode + hi) / 2
    expected = (hi - t) ** 2 / ((hi - lo) * (hi - mode))
    assert share("indicator_above", t) == pytest.approx(expected, abs=0.01)
    assert share("indicator_below", t) == pytest.approx(1 - expected, abs=0.01)
    assert share("indicator_above", lo) == 1.0
    assert share("indicator_above", hi + 1) == 0.0
    # A point value: robust exactly when it fires.
    point = Rule("p", "indicator_above", "high", fire=40, clear=35, indicator="remittances_gdp")
    assert a.table.set_index("code").at["remittances_gdp", "value"] == 40
    assert alert_share(point, a, draws, seed=seed) == 1.0
    # Rules the draws cannot test have no share.
    band = Rule("b", "band_change", "high")
    assert alert_share(band, a, draws, seed=seed) is None


def test_many_cells_at_once_equal_each_cell_alone(spec):
    """A ranking draws all countries together; each country's draws must be exactly those it
    gets assessed alone (the same seed stream, the same arithmetic), withheld ones excluded."""
    countries = ["AFG", "KGZ", "TJK", "YEM", "SOM"]
    evidence = load_evidence([], countries=countries)
    found = assess(evidence, spec, countries, pd.Timestamp("2024-06-30"))
    codes = spec.model.framework_.codes

    def arrays(a):
        t = a.table.set_index("code").loc[codes]
        return [t[c].to_numpy(float)[None] for c in ("value", "low", "high")]

    value, low, high = (np.vstack(parts) for parts in zip(*map(arrays, found), strict=True))
    together, draws = interval_of(spec.model, value, low, high, draws=300, weight_noise=0.1,
                                  seed=5)  # fmt: skip
    for c, a in enumerate(found):
        (alone,), single = interval_of(spec.model, *arrays(a), draws=300, weight_noise=0.1,
                                       seed=5)  # fmt: skip
        np.testing.assert_array_equal(draws[:, c], single[:, 0])
        assert (together[c].median, together[c].low) == (alone.median, alone.low) or np.isnan(
            alone.median
        )
    assert np.isnan(draws).all(axis=0).any()  # YEM is withheld: no draws


def test_a_country_assessed_among_others_reads_as_assessed_alone():
    """`assess` draws the intervals of all its countries in one Monte Carlo: a country's
    interval and alert shares must not depend on which other countries were asked for."""
    args = ("--as-of", "2016-01-31", "--json")
    together = json.loads(run_cli("assess", "--country", "TJK", "--country", "AFG", *args).stdout)
    alone = json.loads(run_cli("assess", "--country", "AFG", *args).stdout)
    (afg,) = [record for record in together if record["country"] == "AFG"]
    # The evidence digest covers the open-data rows a command loaded, which are those of
    # the countries asked for; everything else is the country's own.
    del afg["evidence_digest"], alone[0]["evidence_digest"]
    assert afg == alone[0]
    assert afg["interval"]["low"] < afg["interval"]["high"]
