"""Tables written column-wise with Arrow are the very bytes ``DataFrame.to_csv`` wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fragwatch.csvtext import csv_bytes
from fragwatch.panelio import read_framework, read_panel
from fragwatch.scoring.model import FragilityModel

from .conftest import run_cli


def _awkward_floats(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.random(n) * 10.0 ** rng.integers(-12, 21, n) * rng.choice([-1, 1], n)
    x[::7] = np.round(x[::7])  # whole numbers
    x[::11] = np.round(x[::11], 2)
    x[:8] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-4, 1e9, 5e-5]
    return x


def test_same_bytes_as_to_csv_for_every_kind_of_cell():
    n = 5000
    index = pd.MultiIndex.from_arrays(
        [[f"u{i % 50}" for i in range(n)], [f"p,{i}" for i in range(n)]], names=["unit", "period"]
    )
    text = np.array(["plain", "a,b", 'say "x"', "two\nlines", "", "cr\rhere"], dtype=object)
    table = pd.DataFrame(
        {
            "f": _awkward_floats(n, 1),
            "g": _awkward_floats(n, 2),
            "i": np.arange(n) - 100,
            "b": np.arange(n) % 3 == 0,
            "s": text[np.arange(n) % len(text)],
            "band": pd.Series(np.where(np.arange(n) % 4, "high", None), dtype="string").values,
        },
        index=index,
    )
    assert csv_bytes(table) == table.to_csv().encode()
    assert csv_bytes(table.iloc[:0]) == table.iloc[:0].to_csv().encode()
    plain = table.reset_index(drop=True)
    assert csv_bytes(plain) == plain.to_csv().encode()


def test_a_column_of_another_type_is_left_to_pandas():
    table = pd.DataFrame({"when": pd.to_datetime(["2020-01-01"]), "x": [1.0]})
    assert csv_bytes(table) is None


def test_score_panel_writes_what_to_csv_wrote(tmp_path):
    rng = np.random.default_rng(0)
    codes = [f"i{j}" for j in range(6)]
    values = rng.uniform(-20, 120, size=(600, 6))
    values[rng.random(values.shape) < 0.2] = np.nan
    panel = pd.DataFrame(values, columns=codes)
    panel.insert(0, "unit", [f"C{i // 12:03d}" for i in range(600)])
    panel.insert(1, "period", [f"2020-{i % 12 + 1:02d}" for i in range(600)])
    panel.to_csv(tmp_path / "panel.csv", index=False)
    framework = pd.DataFrame(
        {
            "code": [*codes, "econ", "sec"],
            "parent": ["econ", "econ", "econ", "sec", "sec", "sec", "", ""],
            "direction": ["1", "-1", "1", "1", "-1", "1", "", ""],
            "weight": ["1", "2", "0.5", "1", "1", "3", "1", "2"],
            "lo": ["0"] * 6 + ["", ""],
            "hi": ["100"] * 6 + ["", ""],
        }
    )
    framework.to_csv(tmp_path / "framework.csv", index=False)
    out = tmp_path / "scores.csv"
    result = run_cli(
        "score-panel", str(tmp_path / "panel.csv"), "--framework",
        str(tmp_path / "framework.csv"), "--out", str(out), "--min-coverage", "0.7",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # The table as the command computes it, written the way it was before: pandas' to_csv.
    table, _ = read_framework(Path(tmp_path / "framework.csv"))
    model = FragilityModel(table).clone().set_params(min_coverage=0.7).fit()
    scores = model.score(read_panel(tmp_path / "panel.csv", model.framework_))
    expected = scores.summary().join(scores.contributions.add_prefix("points_"))
    assert expected["score"].isna().any()
    assert expected["score"].notna().any()
    assert out.read_bytes() == expected.to_csv().encode()
