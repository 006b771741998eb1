"""Check that every cited quote appears verbatim in its source's text."""

from __future__ import annotations

import pandas as pd

from fragwatch.errors import EvidenceError
from fragwatch.evidence.base import Evidence


def quote_problems(evidence: Evidence) -> pd.DataFrame:
    """Rows whose quote is not found verbatim in the cited source's text.

    Sources without a stored text cannot be checked; they are listed with reason 'no text'.
    The shipped open-data tables are not listed: each quote is the line it was read from.
    """
    rows = pd.concat(
        [
            evidence.observations[["obs_id", "source_id", "quote", "origin"]].rename(
                columns={"obs_id": "id"}
            ),
            evidence.events[["event_id", "source_id", "quote", "origin"]].rename(
                columns={"event_id": "id"}
            ),
        ],
        ignore_index=True,
    )
    # The open-data layer's quotes are the lines of the tables shipped with the package, read
    # from those very lines (tests/test_open_layer.py checks them against the published files).
    rows = rows[~rows["source_id"].isin(shipped_sources(evidence))]
    text = rows["source_id"].map(evidence.texts)
    has_text = text.notna()
    found = pd.Series(
        [q in t for q, t in zip(rows["quote"], text.fillna(""), strict=True)], index=rows.index
    )
    reason = pd.Series("", index=rows.index)
    reason[~has_text] = "no text stored for this source"
    reason[has_text & ~found] = "quote not found verbatim in the source text"
    return rows.assign(reason=reason)[reason != ""]


def require_verbatim_quotes(evidence: Evidence) -> int:
    """Raise on the first quote missing from its source text; return how many were checked."""
    problems = quote_problems(evidence)
    missing = problems[problems["reason"].str.startswith("quote")]
    if not missing.empty:
        first = missing.iloc[0]
        raise EvidenceError(
            f"quote of '{first['id']}' is not found verbatim in the text of source"
            f" '{first['source_id']}' ({len(missing)} such row(s))",
            where=f"{first['origin']}: field 'quote'",
        )
    shipped = evidence.observations["source_id"].isin(shipped_sources(evidence)).sum()
    return len(evidence.observations) + len(evidence.events) - len(problems) - int(shipped)


def shipped_sources(evidence: Evidence) -> pd.Index:
    """The releases of the open-data layer shipped with the package (sources with a citation)."""
    if "citation" not in evidence.sources:
        return pd.Index([], dtype=object)
    return evidence.sources.index[evidence.sources["citation"].fillna("") != ""]


def shipped_rows(evidence: Evidence) -> int:
    """How many observations come from the shipped open-data layer."""
    return int(evidence.observations["source_id"].isin(shipped_sources(evidence)).sum())
