"""JSON for people's tools: strict JSON, never ``Infinity`` or ``NaN``.

Python's ``json`` and pandas both write non-finite floats as bare ``Infinity``/``NaN`` tokens,
which most JSON parsers reject. Every ``--json`` output goes through ``dumps``: a non-finite
number becomes ``null`` (no value), and ``allow_nan=False`` makes a missed one an error.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd


def finite(value: Any) -> Any:
    """``value`` with every non-finite float (also inside lists and dicts) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        try:
            return finite(value.item())
        except (TypeError, ValueError):
            return value
    return value


def dumps(value: Any, **options: Any) -> str:
    options.setdefault("ensure_ascii", False)
    return json.dumps(finite(value), allow_nan=False, **options)


def records(table: pd.DataFrame, **options: Any) -> list:
    """A table as JSON-ready records (dates as ISO text), non-finite cells as None."""
    return finite(json.loads(table.to_json(orient="records", **options)))
