"""Scoring: normalise, weight, aggregate and decompose any indicator panel."""

from fragwatch.scoring.framework import Framework
from fragwatch.scoring.model import FragilityModel, PanelScores

__all__ = ["FragilityModel", "Framework", "PanelScores"]
