"""The scoring core on plain panels: hand-computed values and properties (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fragwatch.errors import PanelError
from fragwatch.scoring import FragilityModel
from fragwatch.scoring.model import score_panel

FRAMEWORK = pd.DataFrame(
    {
        "code": ["a", "b", "c", "econ", "sec"],
        "parent": ["econ", "econ", "sec", None, None],
        "direction": [1, -1, 1, None, None],
        "weight": [1.0, 3.0, 1.0, 1.0, 2.0],
        "lo": [0.0, 0.0, 10.0, None, None],
        "hi": [100.0, 10.0, 20.0, None, None],
    }
)


def test_hand_computed_panel():
    panel = pd.DataFrame(
        {"a": [50.0, 100.0, np.nan], "b": [5.0, np.nan, 0.0], "c": [15.0, 30.0, np.nan]},
        index=pd.Index(["u1", "u2", "u3"], name="unit"),
    )
    result = score_panel(panel, FRAMEWORK)
    # u1: s = (0.5, 1 - 0.5 = 0.5, 0.5). econ = (1*.5 + 3*.5)/4 = 0.5; sec = 0.5.
    #     score = 100 * (1*0.5 + 2*0.5)/3 = 50. Contributions: a = 100 * (1/3)(1/4)(.5) = 4.1667,
    #     b = 100 * (1/3)(3/4)(.5) = 12.5, c = 100 * (2/3)(.5) = 33.333.
    assert result.score["u1"] == pytest.approx(50.0)
    assert result.contributions.loc["u1"].tolist() == pytest.approx([25 / 6, 12.5, 100 / 3])
    assert result.coverage["u1"] == pytest.approx(1.0)
    # u2: b missing -> econ renormalises over a alone: econ = 1.0; c = 30 clips to 1.0.
    #     score = 100 * (1*1 + 2*1)/3 = 100; coverage = 1 - (1/3)(3/4) = 0.75.
    assert result.score["u2"] == pytest.approx(100.0)
    assert result.coverage["u2"] == pytest.approx(0.75)
    assert np.isnan(result.contributions.loc["u2", "b"])
    # u3: only b known (0 -> direction -1 -> s = 1): sec has no evidence, econ takes all.
    #     score = 100; coverage = (1/3)(3/4) = 0.25.
    assert result.score["u3"] == pytest.approx(100.0)
    assert result.coverage["u3"] == pytest.approx(0.25)
    assert result.band.tolist() == ["elevated", "very high", "very high"]


def test_minimum_coverage_withholds_the_score():
    panel = pd.DataFrame({"a": [np.nan], "b": [0.0], "c": [np.nan]})
    result = score_panel(panel, FRAMEWORK, min_coverage=0.5)
    assert np.isnan(result.score.iloc[0])
    assert result.band.iloc[0] == "withheld"
    assert result.coverage.iloc[0] == pytest.approx(0.25)
    assert result.contributions.iloc[0].isna().all()
    assert result.normalised.iloc[0]["b"] == pytest.approx(1.0)  # still inspectable


def test_a_dimension_whose_indicators_all_weigh_zero_counts_as_absent():
    # Zero weights are valid (a calibrated weight set or a scenario may switch an indicator
    # off); the 0/0 of such a dimension must not turn the score into NaN.
    framework = FRAMEWORK.assign(weight=[1.0, 3.0, 0.0, 1.0, 2.0])
    panel = pd.DataFrame({"a": [50.0], "b": [5.0], "c": [15.0]})
    result = score_panel(panel, framework)
    # econ = 0.5 and sec has no weight: the score is econ's alone, 50.
    assert result.score.iloc[0] == pytest.approx(50.0)
    assert result.contributions.iloc[0].tolist() == pytest.approx([12.5, 37.5, 0.0])
    assert result.coverage.iloc[0] == pytest.approx(1.0)  # nothing that weighs is missing


def test_no_evidence_at_all_is_nan_not_zero():
    panel = pd.DataFrame({"a": [np.nan], "b": [np.nan], "c": [np.nan]})
    result = score_panel(panel, FRAMEWORK)
    assert np.isnan(result.score.iloc[0])
    assert result.coverage.iloc[0] == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weight": [-1.0, 3.0, 1.0, 1.0, 2.0]}, "negative"),
        ({"lo": [100.0, 0.0, 10.0, None, None]}, "lo must be below hi"),
        ({"direction": [2, -1, 1, None, None]}, "direction"),
        ({"code": ["a", "a", "c", "econ", "sec"]}, "duplicate"),
    ],
)
def test_bad_framework_is_refused(change, message):
    bad = FRAMEWORK.assign(**change)
    with pytest.raises(PanelError, match=message):
        FragilityModel(bad).fit()


def test_panel_missing_an_indicator_column_is_refused():
    with pytest.raises(PanelError, match="no column for indicator 'c'"):
        score_panel(pd.DataFrame({"a": [1.0], "b": [1.0]}), FRAMEWORK)


def test_set_params_on_a_clone_leaves_the_original_alone():
    model = FragilityModel(FRAMEWORK).fit()
    scenario = model.clone().set_params(min_coverage=0.9).fit()
    assert model.min_coverage == 0.0
    assert scenario.min_coverage == 0.9
    with pytest.raises(ValueError, match="unknown parameter"):
        model.set_params(nope=1)


# ---- properties -------------------------------------------------------------------------

K = 6
values = st.one_of(st.floats(min_value=-1e6, max_value=1e6), st.just(np.nan))


@st.composite
def frameworks(draw):
    k = draw(st.integers(1, K))
    lo = np.array(draw(st.lists(st.floats(-1e3, 1e3), min_size=k, max_size=k)))
    width = np.array(draw(st.lists(st.floats(1e-2, 1e3), min_size=k, max_size=k)))
    return pd.DataFrame(
        {
            "code": [f"i{j}" for j in range(k)],
            "parent": draw(st.lists(st.sampled_from(["d1", "d2", "d3"]), min_size=k, max_size=k)),
            "direction": draw(st.lists(st.sampled_from([1, -1]), min_size=k, max_size=k)),
            "weight": draw(st.lists(st.floats(0.01, 100), min_size=k, max_size=k)),
            "lo": lo,
            "hi": lo + width,
        }
    )


@st.composite
def scored(draw):
    framework = draw(frameworks())
    k = len(framework)
    n = draw(st.integers(1, 8))
    raw = draw(arrays(np.float64, (n, k), elements=values))
    panel = pd.DataFrame(raw, columns=framework["code"])
    return framework, panel


@settings(max_examples=200, deadline=None)
@given(scored())
def test_score_is_bounded_and_contributions_sum_to_it(case):
    framework, panel = case
    result = score_panel(panel, framework)
    score = result.score.to_numpy()
    known = ~np.isnan(score)
    assert ((score[known] >= -1e-9) & (score[known] <= 100 + 1e-9)).all()
    sums = result.contributions.sum(axis=1, min_count=1).to_numpy()
    np.testing.assert_allclose(sums[known], score[known], atol=1e-9)
    coverage = result.coverage.to_numpy()
    assert ((coverage >= -1e-12) & (coverage <= 1 + 1e-12)).all()
    # A score exists exactly where some indicator is known.
    np.testing.assert_array_equal(known, panel.notna().any(axis=1).to_numpy())


@settings(max_examples=200, deadline=None)
@given(scored(), st.integers(0, K - 1), st.floats(0.0, 1e3))
def test_score_is_monotonic_in_each_indicators_direction(case, column, step):
    framework, panel = case
    j = column % len(framework)
    direction = framework["direction"].iloc[j]
    base = panel.fillna(0.0)
    moved = base.copy()
    moved.iloc[:, j] = moved.iloc[:, j] + direction * step  # a move towards 'more fragile'
    before = score_panel(base, framework).score.to_numpy()
    after = score_panel(moved, framework).score.to_numpy()
    assert (after >= before - 1e-9).all()


@settings(max_examples=200, deadline=None)
@given(scored(), st.floats(0.001, 1000.0))
def test_scaling_all_weights_changes_nothing(case, factor):
    framework, panel = case
    scaled = framework.assign(weight=framework["weight"] * factor)
    a, b = score_panel(panel, framework), score_panel(panel, scaled)
    np.testing.assert_allclose(a.score.to_numpy(), b.score.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(a.contributions.to_numpy(), b.contributions.to_numpy(), atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(scored())
def test_scoring_rows_together_equals_scoring_each_alone(case):
    framework, panel = case
    together = score_panel(panel, framework)
    for i in range(len(panel)):
        alone = score_panel(panel.iloc[[i]], framework)
        np.testing.assert_array_equal(
            together.contributions.iloc[[i]].to_numpy(), alone.contributions.to_numpy()
        )
        np.testing.assert_array_equal(together.score.iloc[[i]].to_numpy(), alone.score.to_numpy())


@settings(max_examples=60, deadline=None)
@given(frameworks(), st.integers(1, 5), st.integers(1, 6), st.randoms(use_true_random=False))
def test_panel_of_countries_equals_each_country_scored_alone_exactly(
    framework, units, periods, rnd
):
    k = len(framework)
    index = pd.MultiIndex.from_product(
        [[f"U{u}" for u in range(units)], range(periods)], names=["unit", "period"]
    )
    raw = np.array(
        [[rnd.choice([np.nan, rnd.uniform(-2e3, 2e3)]) for _ in range(k)] for _ in index]
    )
    panel = pd.DataFrame(raw, index=index, columns=framework["code"])
    together = score_panel(panel, framework)
    for unit in panel.index.unique("unit"):
        alone = score_panel(panel.xs(unit, level="unit", drop_level=False), framework)
        rows = together.contributions.xs(unit, level="unit", drop_level=False)
        np.testing.assert_array_equal(rows.to_numpy(), alone.contributions.to_numpy())
        np.testing.assert_array_equal(
            together.score.xs(unit, level="unit").to_numpy(), alone.score.to_numpy()
        )
        np.testing.assert_array_equal(
            together.coverage.xs(unit, level="unit").to_numpy(), alone.coverage.to_numpy()
        )


def test_three_units_three_indicators_one_missing_every_number_by_hand():
    framework = pd.DataFrame(
        {
            "code": ["remit", "bans", "raids"],
            "parent": [None, None, None],  # one implicit dimension: a plain weighted mean
            "direction": [1, 1, -1],
            "weight": [2.0, 1.0, 1.0],
            "lo": [0.0, 0.0, 0.0],
            "hi": [50.0, 10.0, 4.0],
        }
    )
    panel = pd.DataFrame(
        {"remit": [40.0, 10.0, 25.0], "bans": [5.0, 0.0, np.nan], "raids": [1.0, 4.0, 0.0]},
        index=pd.Index(["A", "B", "C"], name="unit"),
    )
    r = score_panel(panel, framework)
    # Normalised: remit x/50; bans x/10; raids direction -1: 1 - x/4.
    #   A: 0.8, 0.5, 0.75    B: 0.2, 0.0, 0.0    C: 0.5, missing, 1.0
    assert r.normalised.to_numpy().tolist()[:2] == [[0.8, 0.5, 0.75], [0.2, 0.0, 0.0]]
    assert np.isnan(r.normalised.loc["C", "bans"])
    # A: weights 2/4, 1/4, 1/4 -> points 100*0.5*0.8 = 40, 100*0.25*0.5 = 12.5,
    #    100*0.25*0.75 = 18.75; score 71.25; coverage 1.
    assert r.contributions.loc["A"].tolist() == pytest.approx([40.0, 12.5, 18.75])
    assert r.score["A"] == pytest.approx(71.25)
    # B: points 100*0.5*0.2 = 10, 0, 0; score 10.
    assert r.contributions.loc["B"].tolist() == pytest.approx([10.0, 0.0, 0.0])
    assert r.score["B"] == pytest.approx(10.0)
    # C: bans missing -> weights renormalise over remit and raids: 2/3 and 1/3.
    #    points 100*(2/3)*0.5 = 33.333, 100*(1/3)*1.0 = 33.333; score 66.667;
    #    coverage = (2 + 1)/4 = 0.75.
    assert r.contributions.loc["C", "remit"] == pytest.approx(100 / 3)
    assert np.isnan(r.contributions.loc["C", "bans"])
    assert r.contributions.loc["C", "raids"] == pytest.approx(100 / 3)
    assert r.score["C"] == pytest.approx(200 / 3)
    assert r.coverage.tolist() == pytest.approx([1.0, 1.0, 0.75])
    # Bands (default edges 0/20/40/60/80): A 71.25 high, B 10 low, C 66.7 high.
    assert r.band.tolist() == ["high", "low", "high"]
