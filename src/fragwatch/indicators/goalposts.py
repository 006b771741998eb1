"""Fixed-goalpost normalisation, shared by indicators (for their signals) and the scoring core."""

from __future__ import annotations

import numpy as np


def rescale(raw: np.ndarray, lo: np.ndarray, hi: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Map raw values onto [0, 1] where 1 is most fragile.

    ``lo``/``hi`` are the goalposts in the indicator's own unit; values beyond them are clipped
    so a score stays comparable over time. ``direction`` +1 means higher is more fragile, -1
    means lower is. NaN (no fresh evidence) stays NaN.
    """
    share = np.clip((raw - lo) / (hi - lo), 0.0, 1.0)
    return np.where(direction < 0, 1.0 - share, share)
