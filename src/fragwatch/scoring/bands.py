"""Score bands: named ranges with a lower edge each, read from the model config."""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_BANDS: tuple[tuple[str, float], ...] = (
    ("low", 0.0),
    ("moderate", 20.0),
    ("elevated", 40.0),
    ("high", 60.0),
    ("very high", 80.0),
)
WITHHELD = "withheld"


def band_of(score: np.ndarray, bands: tuple[tuple[str, float], ...]) -> np.ndarray:
    """Band name for each score; 'withheld' where the score is NaN (too little coverage)."""
    names = np.array([name for name, _ in bands] + [WITHHELD], dtype=object)
    edges = np.array([edge for _, edge in bands])
    position = np.searchsorted(edges, np.nan_to_num(score, nan=-np.inf), side="right") - 1
    position = np.where(np.isnan(score) | (position < 0), len(bands), position)
    return names[position]


def as_series(score: pd.Series, bands: tuple[tuple[str, float], ...]) -> pd.Series:
    return pd.Series(band_of(score.to_numpy(float), bands), index=score.index, name="band")
