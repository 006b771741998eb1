"""The weight calibration aid: non-negative weights fitted on a ledger, scored out of sample."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.model_selection import TimeSeriesSplit

from fragwatch.scoring import FragilityModel
from fragwatch.scoring.calibration import calibrate, expert_shares, fit_nonnegative, splits_fit

from .conftest import REPO, run_cli
from .test_backtest import _planted

LEDGER = REPO / "config" / "ledgers" / "tjk-crises.csv"
MODEL = REPO / "config" / "model.toml"
PERIOD = ("--from", "2006-01-01", "--to", "2016-12-31")

FRAMEWORK = pd.DataFrame(
    {
        "code": ["signal", "noise", "contrary", "econ", "sec"],
        "parent": ["econ", "econ", "sec", None, None],
        "direction": [1, 1, 1, None, None],
        "weight": [1.0, 1.0, 1.0, 1.0, 1.0],
        "lo": [0.0, 0.0, 0.0, None, None],
        "hi": [1.0, 1.0, 1.0, None, None],
    }
)


def _synthetic(months: int = 240, seed: int = 3):
    """Monthly indicators where 'signal' drives events, 'noise' is unrelated and 'contrary'
    runs against them; the expert weights all three equally."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2000-01-31", periods=months, freq="ME")
    signal = np.clip(0.5 + 0.35 * np.sin(np.arange(months) / 9) + 0.1 * rng.standard_normal(
        months), 0, 1)  # fmt: skip
    frame = pd.DataFrame(
        {
            "signal": signal,
            "noise": rng.random(months),
            "contrary": np.clip(1 - signal + 0.05 * rng.standard_normal(months), 0, 1),
        },
        index=dates,
    )
    y = (rng.random(months) < np.where(signal > 0.6, 0.85, 0.08)).astype(float)
    y[-6:] = np.nan  # the last months' outcome is not known yet
    model = FragilityModel(FRAMEWORK).fit()
    score = model.score(frame).score
    return frame, pd.Series(score.to_numpy(), index=dates), y, model.framework_


def test_weights_follow_the_indicator_that_predicts_and_stay_non_negative():
    frame, score, y, framework = _synthetic()
    result = calibrate(frame, score, y, framework, horizon=6, splits=4)
    w = result.weights
    assert (w["coefficient"] >= 0).all()
    assert w["fitted_share"].sum() == pytest.approx(1.0)
    assert w["fitted_share"].idxmax() == "signal"
    assert w.loc["signal", "fitted_share"] > 0.8
    assert w.loc["contrary", "fitted_share"] == 0.0  # would be negative: eliminated
    # Out of sample, the fitted weights rank the months better than the equal expert weights
    # (which add an indicator running against the events) and beat the base rate on Brier.
    oos = result.out_of_sample
    assert oos.loc["fitted", "auc"] > 0.75
    assert oos.loc["fitted", "auc"] > oos.loc["expert", "auc"]
    assert oos.loc["fitted", "brier"] < oos.loc["base_rate", "brier"]
    assert result.months == 234  # the six months of unknown outcome are left out


def test_folds_are_time_ordered_with_a_gap_of_the_horizon():
    frame, score, y, framework = _synthetic()
    result = calibrate(frame, score, y, framework, horizon=6, splits=4)
    assert len(result.folds) == 4
    for fold in result.folds:
        # A training month's target looks 6 months ahead: it must not see the test months.
        assert fold.train_to + pd.DateOffset(months=6) < fold.test_from
    starts = [f.test_from for f in result.folds]
    assert starts == sorted(starts)


def test_nothing_positive_means_no_suggestion():
    frame, score, y, framework = _synthetic()
    # Both informative indicators now run against the events; 'noise' carries nothing.
    against = pd.DataFrame(
        {"signal": 1 - frame["signal"], "noise": 0.0, "contrary": 1 - frame["signal"]},
        index=frame.index,
    )
    result = calibrate(against, score, y, framework, horizon=6, splits=4)
    assert not result.suggests
    assert (result.weights["coefficient"] == 0).all()
    assert result.weights["fitted_share"].isna().all()


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (40, 4), elements=st.floats(0, 1)),
    arrays(np.int8, 40, elements=st.integers(0, 1)),
)
def test_fitted_coefficients_are_never_negative(x, y):
    y = y.astype(int)
    y[:2] = [0, 1]  # both classes, as the caller guarantees
    coef, intercept = fit_nonnegative(x, y, 1.0)
    assert (coef >= 0).all()
    assert np.isfinite(intercept)


def test_splits_fit_agrees_with_scikit_learns_splitter():
    for months in range(1, 50):
        for splits in (2, 3, 5):
            for gap in (0, 6, 12):
                try:
                    list(TimeSeriesSplit(splits, gap=gap).split(np.zeros(months)))
                    possible = True
                except ValueError:
                    possible = False
                assert splits_fit(months, splits, gap) is possible, (months, splits, gap)


def test_expert_shares_of_the_shipped_model(spec):
    shares = expert_shares(spec.model.framework_)
    assert shares.sum() == pytest.approx(1.0)
    # By hand from config/model.toml: four dimensions of weight 1; economic weighs 4 in all
    # (remittances, remittance change and growth 1 each, inflation and unemployment 0.5);
    # political 6.5 (stability and civil liberties 1.5, civil-society repression 1,
    # opposition repression 1.5, elite defections 1).
    assert shares["remittances_gdp"] == pytest.approx(0.25 * 1.0 / 4.0)
    assert shares["opposition_repression"] == pytest.approx(0.25 * 1.5 / 6.5)
    assert shares["elite_defections"] == pytest.approx(0.25 * 1.0 / 6.5)


def test_calibrate_command_advises_and_changes_nothing(tmp_path, spec):
    before = MODEL.read_bytes()
    scenario = tmp_path / "calibrated.toml"
    done = run_cli("calibrate", *PERIOD, "--events", str(LEDGER), "--scenario", str(scenario))
    assert done.returncode == 0, done.stderr
    assert MODEL.read_bytes() == before
    assert "advice only" in done.stdout
    shares = expert_shares(spec.model.framework_)
    row = next(line for line in done.stdout.splitlines() if line.startswith("opposition_repr"))
    assert f"{shares['opposition_repression']:.1%}" in row
    # The scenario it wrote is valid and runs: the analyst can try the weights before adopting.
    checked = run_cli("scenario", "run", str(scenario), "--as-of", "2016-01-31", "--json")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)


def test_calibrate_json_is_complete_and_matches_the_text(spec):
    args = ("calibrate", *PERIOD, "--events", str(LEDGER))
    record = json.loads(run_cli(*args, "--json").stdout)
    weights = {w["code"]: w for w in record["weights"]}
    assert set(weights) == set(spec.indicators)
    assert all(w["fitted_share"] is None or w["fitted_share"] >= 0 for w in weights.values())
    assert record["months"] > record["positives"] > 0
    assert set(record["out_of_sample"]) == {"fitted", "expert", "expert_raw", "base_rate"}
    text = run_cli(*args).stdout
    assert f"{record['months']} months with a score and a known outcome" in text


def test_a_future_observation_does_not_move_the_fit(tmp_path):
    # Published in 2018, after the period: the calibration must not see it.
    planted = _planted(tmp_path, "2018-06-15")
    args = ("calibrate", *PERIOD, "--events", str(LEDGER), "--json")
    clean = json.loads(run_cli(*args).stdout)
    with_plant = json.loads(run_cli("--evidence", str(planted), *args).stdout)
    assert clean == with_plant


@pytest.mark.parametrize(
    ("extra", "where", "says"),
    [
        (("--splits", "9", "--from", "2014-01-01"), "--splits", "too few"),
        (("--from", "2016-01-01", "--horizon", "60"), "--horizon", "no month"),
        (("--from", "2016-01-01", "--to", "2016-08-31", "--horizon", "3"), "--events", "no month"),
        (("--scenario", "calibrated.txt"), "--scenario", "must end in .toml"),
        (("--scenario", "not-a-folder/w.toml"), "--scenario", "does not exist"),
        (("--c", "0"), "--c", "0"),
    ],
)
def test_bad_arguments_are_one_line_errors_and_write_nothing(tmp_path, extra, where, says):
    done = run_cli("calibrate", *PERIOD, "--events", str(LEDGER), *extra, cwd=tmp_path,
                   env={"FRAGWATCH_CONFIG_DIR": str(REPO / "config")})  # fmt: skip
    assert done.returncode == 2, done.stdout
    assert len(done.stderr.strip().splitlines()) == 1
    assert where in done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_ledger_that_cannot_be_read_is_an_evidence_error(tmp_path):
    bad = tmp_path / "ledger.csv"
    bad.write_text("when,what\n2010-01,riot\n", encoding="utf-8")
    done = run_cli("calibrate", *PERIOD, "--events", str(bad))
    assert done.returncode == 4
    assert "ledger.csv" in done.stderr
    assert "missing column 'date'" in done.stderr
