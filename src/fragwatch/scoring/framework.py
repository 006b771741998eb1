"""The framework table: which indicators, their parent dimension, direction, weight, goalposts.

COINr-style: the index structure is data. Rows with goalposts are indicators; rows without are
aggregate nodes (dimensions) that carry a weight. An indicator whose parent has no row of its
own sits in a dimension of weight 1; one with no parent sits in the implicit dimension "index".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fragwatch.errors import PanelError, did_you_mean
from fragwatch.textcols import stripped

FRAMEWORK_COLUMNS = ["code", "name", "parent", "direction", "weight", "lo", "hi"]
NUMERIC = ("direction", "weight", "lo", "hi")
ROOT = "index"


@dataclass(frozen=True)
class Framework:
    """A validated two-level framework, ready for vectorised scoring."""

    indicators: pd.DataFrame  # index code; columns name, parent, direction, weight, lo, hi
    dimension_weights: pd.Series  # index dimension code -> weight

    @classmethod
    def from_table(
        cls, table: pd.DataFrame, where: str = "framework", lines: tuple[int, ...] = ()
    ) -> Framework:
        """Validate a framework table; errors name the row (or file line) and field."""
        table = table.copy()
        if "code" not in table.columns and table.index.name == "code":
            table = table.reset_index()
        missing = [c for c in ("code", "weight") if c not in table.columns]
        if missing:
            raise PanelError(f"framework has no '{missing[0]}' column", where=where)
        for col, default in (("name", None), ("parent", ROOT), ("direction", 1.0)):
            if col not in table.columns:
                table[col] = default
        for col in ("lo", "hi"):
            if col not in table.columns:
                table[col] = np.nan
        table["name"] = table["name"].fillna(table["code"])
        parent = stripped(table["parent"])
        table["parent"] = parent.where(parent != "", ROOT)
        given = {col: stripped(table[col]) != "" for col in NUMERIC}
        for col in NUMERIC:
            table[col] = pd.to_numeric(table[col], errors="coerce")

        if "aggregation" in table.columns:
            method = stripped(table["aggregation"])
            other = ~method.isin(["", "arithmetic"])
            if other.any():
                pos = int(np.flatnonzero(other.to_numpy())[0])
                raise PanelError(
                    f"aggregation '{method.iloc[pos]}' is not supported (only arithmetic)",
                    where=f"{_place(where, lines, pos)}: field 'aggregation'",
                )
        is_indicator = table["lo"].notna() | table["hi"].notna()
        checks = [
            *((given[col] & table[col].isna(), col, "is not a number") for col in NUMERIC),
            *(
                (np.isinf(table[col].astype(float)), col, "is not a finite number")
                for col in NUMERIC
            ),
            (stripped(table["code"]) == "", "code", "is empty"),
            (table["code"].duplicated(), "code", "duplicate code"),
            (table["weight"].isna(), "weight", "is not a number"),
            (table["weight"] < 0, "weight", "is negative; weights must be >= 0"),
            (
                is_indicator & (table["lo"].isna() | table["hi"].isna()),
                "lo",
                "goalposts need lo and hi",
            ),
            (is_indicator & (table["lo"] >= table["hi"]), "lo", "goalpost lo must be below hi"),
            (
                is_indicator & ~table["direction"].isin([1.0, -1.0]),
                "direction",
                "must be +1 (higher is more fragile) or -1",
            ),
        ]
        for mask, field, message in checks:
            hits = np.flatnonzero(mask.to_numpy(dtype=bool))
            if hits.size:
                row = table.iloc[hits[0]]
                raise PanelError(
                    f"{message} (code '{row['code']}')",
                    where=f"{_place(where, lines, int(hits[0]))}: field '{field}'",
                )
        indicators = table[is_indicator].set_index("code")
        if indicators.empty:
            raise PanelError("framework lists no indicator (no row has goalposts)", where=where)
        nodes = table[~is_indicator].set_index("code")["weight"]
        if len(nodes):
            # With dimension rows given, a parent that names none of them is a typo, not a
            # new dimension of weight 1.
            orphan = is_indicator & ~table["parent"].isin([*nodes.index, ROOT])
            if orphan.any():
                pos = int(np.flatnonzero(orphan.to_numpy())[0])
                parent = table["parent"].iloc[pos]
                raise PanelError(
                    f"parent '{parent}' is not a row of the framework"
                    f"{did_you_mean(parent, nodes.index)} (code '{table['code'].iloc[pos]}')",
                    where=f"{_place(where, lines, pos)}: field 'parent'",
                )
        dims = pd.Index(indicators["parent"].unique())
        dimension_weights = nodes.reindex(dims).fillna(1.0).astype(float)
        with np.errstate(over="ignore"):  # 1e308 x 2 is inf: still positive, no warning
            effective = (
                indicators["weight"].to_numpy()
                * dimension_weights.reindex(indicators["parent"]).to_numpy()
            )
        if not (effective > 0).any():
            raise PanelError(
                "every indicator's weight (times its dimension's) is zero: nothing would count"
                " toward the score",
                where=f"{where}: field 'weight'",
            )
        return cls(
            indicators[["name", "parent", "direction", "weight", "lo", "hi"]], dimension_weights
        )

    @property
    def codes(self) -> list[str]:
        return self.indicators.index.tolist()

    def positions(self) -> np.ndarray:
        """For each indicator, the index of its dimension in ``dimension_weights``."""
        return self.dimension_weights.index.get_indexer(self.indicators["parent"])

    def to_table(self) -> pd.DataFrame:
        """The framework back as one table (indicators, then dimension rows)."""
        ind = self.indicators.reset_index()
        dims = pd.DataFrame(
            {
                "code": self.dimension_weights.index,
                "name": self.dimension_weights.index,
                "parent": ROOT,
                "direction": np.nan,
                "weight": self.dimension_weights.to_numpy(),
                "lo": np.nan,
                "hi": np.nan,
            }
        )
        return pd.concat([ind, dims], ignore_index=True)[FRAMEWORK_COLUMNS]


def _place(where: str, lines: tuple[int, ...], position: int) -> str:
    """'file:line' when the table came from a file, else 'framework: row N'."""
    if position < len(lines):
        return f"{where}:{lines[position]}"
    return f"{where}: row {position + 1}"
