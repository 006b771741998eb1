"""One contract, checked over every registered indicator (the check_estimator idea)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fragwatch.evidence import Evidence
from fragwatch.indicators import registered
from fragwatch.indicators.base import DIMENSIONS, PANEL_COLUMNS
from fragwatch.settings import load_model_spec

from .conftest import MODEL_TOML

TRANSFORMS = {"level", "change", "window_max", "decayed_events"}
DATES = pd.DatetimeIndex(["2006-12-31", "2011-12-31", "2015-06-30", "2016-01-31", "2016-12-31"])

# An indicator a user declares in model.toml (not in the package's catalogue) is held to the
# same contract: declare one, through the same reader, before the registry is listed.
DECLARED = """
[indicators.contract_rule_of_law]
family = "level"
name = "Rule of law (WGI, declared in a test model)"
dimension = "political"
unit = "WGI estimate"
direction = -1
goalposts = [-2.5, 1.5]
quantity = "rule_of_law"
definition = '''Perceptions of the extent to which agents have confidence in and abide by the \
rules of society: declared in a model file to check that declarations meet the contract.'''
sources = "World Bank WGI (RL.EST), 2023 and 2024 updates"
"""


def _declare_from_a_model_file() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.toml"
        path.write_text(MODEL_TOML.read_text(encoding="utf-8") + DECLARED, encoding="utf-8")
        load_model_spec(path)


_declare_from_a_model_file()
ALL = sorted(registered())


@pytest.fixture(params=ALL)
def indicator(request):
    return registered()[request.param]()


def test_at_least_ten_indicators_are_registered():
    assert len(ALL) >= 10
    assert "contract_rule_of_law" in ALL  # the declared one is checked too
    for required in (
        "remittances_gdp",
        "heroin_seizure_trend",
        "migrant_returns",
        "opposition_repression",
        "border_incidents",
    ):
        assert required in ALL


def test_declares_the_contract(indicator):
    cls = type(indicator)
    assert registered()[cls.code] is cls
    assert cls.dimension in DIMENSIONS
    assert cls.direction in (1, -1)
    lo, hi = cls.goalposts
    assert lo < hi
    assert cls.transform in TRANSFORMS
    assert len(cls.definition) > 80
    assert cls.name
    assert cls.unit
    assert cls.sources
    assert indicator.staleness_days > 0


def test_params_round_trip(indicator):
    params = indicator.get_params()
    clone = indicator.set_params(**params)
    assert clone.get_params() == params
    assert clone is not indicator
    with pytest.raises(TypeError):
        type(indicator)(not_a_parameter=1)


def test_panel_covers_the_grid_with_cited_values(indicator, evidence):
    panel = indicator.panel(evidence, ["TJK"], DATES)
    assert list(panel.columns) == PANEL_COLUMNS
    assert panel.index.names == ["country", "as_of"]
    assert len(panel) == len(DATES)
    known = panel["value"].notna()
    assert known.any(), f"{indicator.code} has no value at any test date"
    assert (panel.loc[known, "low"] <= panel.loc[known, "value"] + 1e-9).all()
    assert (panel.loc[known, "high"] >= panel.loc[known, "value"] - 1e-9).all()
    # A reading other than a zero count cites the evidence it came from.
    nonzero = known & (panel["value"] != 0)
    assert all(len(ids) > 0 for ids in panel.loc[nonzero, "evidence_ids"])
    cited = {i for ids in panel["evidence_ids"] for i in ids}
    assert cited <= set(evidence.observations.index) | set(evidence.events.index)


def test_unknown_country_or_empty_evidence_gives_nan_not_zero(indicator, evidence):
    panel = indicator.panel(evidence, ["ZZZ"], DATES)
    assert panel["value"].isna().all()
    empty = Evidence(evidence.sources, evidence.observations.iloc[0:0], evidence.events.iloc[0:0])
    assert indicator.panel(empty, ["TJK"], DATES)["value"].isna().all()


def test_is_point_in_time(indicator, evidence):
    """Evidence published after a date never changes the value as of that date."""
    as_of = pd.Timestamp("2015-06-30")
    full = indicator.panel(evidence, ["TJK"], pd.DatetimeIndex([as_of]), with_evidence=False)
    truncated = indicator.panel(
        evidence.known_by(as_of), ["TJK"], pd.DatetimeIndex([as_of]), with_evidence=False
    )
    pd.testing.assert_frame_equal(full, truncated)


def test_vectorised_panel_equals_one_date_at_a_time(indicator, evidence):
    together = indicator.panel(evidence, ["TJK"], DATES, with_evidence=False)
    one_by_one = pd.concat(
        [
            indicator.panel(evidence, ["TJK"], pd.DatetimeIndex([d]), with_evidence=False)
            for d in DATES
        ]
    )
    np.testing.assert_allclose(
        together["value"].to_numpy(float), one_by_one["value"].to_numpy(float), equal_nan=True
    )


def test_signals_match_the_panel(indicator, evidence):
    as_of = pd.Timestamp("2016-01-31")
    (signal,) = indicator.signals(evidence, ["TJK"], as_of)
    value = indicator.panel(evidence, ["TJK"], pd.DatetimeIndex([as_of]))["value"].iloc[0]
    assert signal.code == indicator.code
    assert signal.country == "TJK"
    assert signal.value == pytest.approx(value, nan_ok=True)
