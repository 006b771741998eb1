"""Indicators: one module each, turning evidence into a raw value per country and date."""

from fragwatch.indicators.base import Indicator, Signal
from fragwatch.indicators.registry import get_indicator, register, registered

__all__ = ["Indicator", "Signal", "get_indicator", "register", "registered"]
