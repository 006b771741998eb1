"""Sobol sensitivity: the estimator against analytic indices, and the `sensitivity` command."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from fragwatch.scoring.assessment import assess
from fragwatch.scoring.sensitivity import assessment_sensitivity, sobol_indices

from .conftest import run_cli

SCALES = np.array([1.0, 2.0, 3.0, 0.0])  # the last input does not move the output


def _additive(n: int = 4096, seed: int = 1) -> tuple[np.ndarray, np.ndarray, float]:
    # y = sum c_i U_i, U_i ~ U(0, 1) independent: var_i = c_i^2 / 12, S1_i = ST_i = var_i / sum.
    rng = np.random.default_rng(seed)
    a, b = rng.random((n, len(SCALES))), rng.random((n, len(SCALES)))
    s1, st, var = sobol_indices(lambda rows: 5.0 + rows @ SCALES, a, b)
    return s1, st, var


def test_additive_model_matches_analytic_indices():
    s1, st, var = _additive()
    expected = SCALES**2 / (SCALES**2).sum()
    assert np.abs(s1 - expected).max() < 0.05
    assert np.abs(st - expected).max() < 0.05
    assert var == pytest.approx((SCALES**2).sum() / 12, rel=0.1)


def test_inputs_without_effect_or_not_sampled_get_zero():
    s1, st, _ = _additive()
    assert abs(s1[-1]) < 1e-12
    assert abs(st[-1]) < 1e-12
    rng = np.random.default_rng(2)
    a, b = rng.random((512, 4)), rng.random((512, 4))
    s1, st, _ = sobol_indices(lambda rows: rows @ SCALES, a, b, np.array([1, 1, 0, 1], bool))
    assert s1[2] == st[2] == 0.0


def test_first_order_never_exceeds_total_on_an_interaction():
    # y = U0 * U1 + U2: an interaction makes ST > S1 for the first two inputs.
    rng = np.random.default_rng(3)
    a, b = rng.random((8192, 3)), rng.random((8192, 3))
    s1, st, _ = sobol_indices(lambda r: r[:, 0] * r[:, 1] + r[:, 2], a, b)
    assert np.all(s1 <= st + 0.03)
    assert st[0] - s1[0] > 0.02


@pytest.fixture(scope="module")
def one(evidence, spec):
    return assess(evidence, spec, ["TJK"], np.datetime64("2016-01-31"))[0]


def test_assessment_indices_are_consistent(spec, one):
    result = assessment_sensitivity(spec, one, samples=1024, seed=7)
    table = one.table.set_index("code").loc[spec.model.framework_.codes]
    fixed = (table["low"].isna() | (table["low"] == table["high"])).to_numpy()
    k = len(fixed)
    assert np.all(result.s1[:k][fixed] == 0)
    assert np.all(result.st[:k][fixed] == 0)
    assert np.all(result.s1 <= result.st + 0.05)
    assert result.st.sum() == pytest.approx(1.0, abs=0.2)  # nearly additive
    assert len(result.top) == 3
    assert np.all((result.stability >= 0) & (result.stability <= 1))
    again = assessment_sensitivity(spec, one, samples=1024, seed=7)
    assert np.array_equal(result.st, again.st)  # seeded


def test_no_weight_noise_and_no_ranges_give_zero_everywhere(spec, one):
    flat = replace(one, table=one.table.assign(low=one.table["value"], high=one.table["value"]))
    quiet = replace(spec, uncertainty=replace(spec.uncertainty, weight_noise=0.0))
    result = assessment_sensitivity(quiet, flat)
    assert not result.s1.any()
    assert not result.st.any()
    assert result.variance == 0


def test_cli_lists_indices_and_rank_stability():
    done = run_cli("sensitivity", "--as-of", "2016-01-31", "--samples", "512")
    assert done.returncode == 0, done.stderr
    assert "remittances_gdp" in done.stdout
    assert "rank stability" in done.stdout
    record = json.loads(
        run_cli("sensitivity", "--as-of", "2016-01-31", "--samples", "512", "--json").stdout
    )
    sts = [row["ST"] for row in record["indices"]]
    assert sts == sorted(sts, reverse=True)
    assert len(record["rank_stability"]) == 3


def test_cli_bad_date_is_one_line_exit_2():
    done = run_cli("sensitivity", "--as-of", "2016-13-01")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "--as-of" in done.stderr


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
QUICK = ("sensitivity", "--as-of", "2016-01-31", "--samples", "256")


def test_cli_chart_is_a_png_in_text_and_json_mode(tmp_path):
    from PIL import Image

    chart = tmp_path / "sens.png"
    done = run_cli(*QUICK, "--chart", str(chart))
    assert done.returncode == 0, done.stderr
    assert "rank stability" in done.stdout  # the table is still printed
    assert done.stdout.strip().splitlines()[-1] == f"chart written to {chart}"
    assert chart.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(chart) as image:
        image.verify()
    with Image.open(chart) as image:
        width, height = image.size
    assert 600 <= width <= 2000
    assert 500 <= height <= 2000  # tall enough for one labelled row per input
    assert not list(tmp_path.glob(".*partial"))

    as_json = tmp_path / "json.png"
    done = run_cli(*QUICK, "--json", "--chart", str(as_json))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["country"] == "TJK"  # stdout stays one JSON document
    assert as_json.read_bytes()[:8] == PNG_SIGNATURE


def test_cli_chart_in_an_impossible_folder_is_a_one_line_error(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("not a folder\n")
    chart = plain / "sub" / "sens.png"
    done = run_cli(*QUICK, "--chart", str(chart))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "--chart" in done.stderr
    assert str(chart) in done.stderr
    assert not chart.exists()
    assert plain.read_text() == "not a folder\n"


def test_cli_withheld_score_writes_no_chart(tmp_path):
    chart = tmp_path / "sens.png"
    done = run_cli("sensitivity", "--as-of", "1993-01-01", "--chart", str(chart))
    assert done.returncode == 0, done.stderr
    assert "score withheld" in done.stdout
    assert f"chart not written to {chart}" in done.stdout
    assert "chart written" not in done.stdout
    assert not chart.exists()
    done = run_cli("sensitivity", "--as-of", "1993-01-01", "--json", "--chart", str(chart))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] is None
    assert "chart not written" in done.stderr
    assert not chart.exists()
    assert list(tmp_path.iterdir()) == []
