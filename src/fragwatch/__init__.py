"""fragwatch: early-warning indicators and a transparent fragility score for fragile states."""

__version__ = "0.1.0"
