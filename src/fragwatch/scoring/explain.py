"""Attribute the change between two assessments to indicators and to what moved them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fragwatch.scoring.assessment import Assessment


def attribute_change(before: Assessment, after: Assessment) -> pd.DataFrame:
    """Per indicator: contribution before and after, and the change split in two parts.

    With c = 100 * w * s (effective weight times normalised value),
    c1 - c0 = 100 * w0 * (s1 - s0)   [the indicator's own value moved]
            + 100 * (w1 - w0) * s1   [its weight moved because coverage changed].
    ``reason`` says what moved the value: new evidence, ageing of the same evidence (decay or
    a range read at a later date), evidence going stale, or a model change.
    """
    b = before.table.set_index("code")
    a = after.table.set_index("code").reindex(b.index.union(after.table["code"], sort=False))
    b = b.reindex(a.index)
    c0, c1 = b["contribution"].fillna(0.0), a["contribution"].fillna(0.0)
    s0, s1 = b["normalised"].fillna(0.0), a["normalised"].fillna(0.0)
    w0, w1 = b["weight"].fillna(0.0), a["weight"].fillna(0.0)
    ids0 = b["evidence_ids"].apply(lambda x: set(x) if isinstance(x, tuple) else set())
    ids1 = a["evidence_ids"].apply(lambda x: set(x) if isinstance(x, tuple) else set())
    new_ids = pd.Series([sorted(n - o) for o, n in zip(ids0, ids1, strict=True)], index=a.index)

    was, now = b["value"].notna(), a["value"].notna()
    reason = np.select(
        [
            ~was & ~now,
            was & ~now,
            ~was & now,
            new_ids.str.len() > 0,
            (a["value"] - b["value"]).abs().fillna(0) > 1e-12,
        ],
        ["no evidence", "evidence went stale", "newly covered", "new evidence", "ageing"],
        default="unchanged",
    )
    if before.model_digest != after.model_digest:
        reason = np.where(reason == "unchanged", "model change", reason)
    return pd.DataFrame(
        {
            "name": a["name"].fillna(b["name"]),
            "value_before": b["value"],
            "value_after": a["value"],
            "contribution_before": b["contribution"],
            "contribution_after": a["contribution"],
            "delta": c1 - c0,
            # Rounded far below display precision so float noise never prints as "-0.00".
            "from_value": (100.0 * w0 * (s1 - s0)).round(9) + 0.0,
            "from_reweighting": (100.0 * (w1 - w0) * s1).round(9) + 0.0,
            "reason": reason,
            "new_evidence_ids": new_ids,
        },
        index=a.index,
    ).sort_values("delta", key=lambda d: -d.abs())
