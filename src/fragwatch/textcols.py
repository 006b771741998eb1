"""Text cells as plain Python strings.

Object dtype on purpose: with pyarrow installed, pandas' own string dtype converts every small
column to an Arrow array and back, which costs more than the validation itself on tables of a
few hundred rows (a third of the evidence load time).
"""

from __future__ import annotations

import pandas as pd


def as_text(col: pd.Series) -> pd.Series:
    """Each cell as a Python str (object dtype); missing cells become ''."""
    return pd.Series(
        ["" if (v is None or (isinstance(v, float) and v != v)) else str(v) for v in col],
        index=col.index,
        dtype=object,
    )


def stripped(col: pd.Series) -> pd.Series:
    """``as_text`` with surrounding white space removed."""
    return as_text(col).str.strip()
