"""ModelSpec: the indicator instances and the scoring model one model config describes."""

from __future__ import annotations

from dataclasses import dataclass

from fragwatch.indicators import Indicator
from fragwatch.scoring.model import FragilityModel


@dataclass(frozen=True)
class UncertaintySettings:
    """The Monte Carlo behind every assessment's interval ([uncertainty] in model.toml)."""

    draws: int = 400  # a few hundred: the interval must not slow `assess` down
    weight_noise: float = 0.1  # relative sd of each indicator weight
    seed: int = 20160111
    robust_share: float = 0.8  # an alert is robust when it fires in this share of draws


@dataclass(frozen=True)
class ModelSpec:
    indicators: dict[str, Indicator]  # by code, in framework order
    model: FragilityModel
    digest: str  # hash of the model config: changes whenever any parameter changes
    name: str = "model"
    uncertainty: UncertaintySettings = UncertaintySettings()
