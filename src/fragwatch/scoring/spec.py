"""ModelSpec: the indicator instances and the scoring model one model config describes."""

from __future__ import annotations

from dataclasses import dataclass

from fragwatch.indicators import Indicator
from fragwatch.scoring.model import FragilityModel


@dataclass(frozen=True)
class ModelSpec:
    indicators: dict[str, Indicator]  # by code, in framework order
    model: FragilityModel
    digest: str  # hash of the model config: changes whenever any parameter changes
    name: str = "model"
