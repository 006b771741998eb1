"""The change of a score said in words a reader trusts (CrisisWatch style): a trend call that
respects the interval, then why each indicator moved, in plain words rather than accounting.

Pure text from plain values: used by the report (``reports.view``) and by the alert mail
(``delivery.compose``), so both say the same thing.
"""

from __future__ import annotations

import math

import pandas as pd

MOVED = 0.005  # points; below display precision a change is noise
DETERIORATED, IMPROVED, UNCHANGED = "deteriorated", "improved", "no significant change"


def _nan(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def trend_call(score: float, reference: float, low: float, high: float) -> str | None:
    """'deteriorated' / 'improved' / 'no significant change', or None without two scores.

    A move counts only when the earlier score lies outside the current score's 90% interval:
    a weekly wobble inside the interval is no news, however the point estimate moved. A higher
    score is a more fragile state.
    """
    if _nan(score) or _nan(reference):
        return None
    if not (_nan(low) or _nan(high)) and low <= reference <= high:
        return UNCHANGED
    if abs(score - reference) < MOVED:
        return UNCHANGED
    return DETERIORATED if score > reference else IMPROVED


def trend_sentence(
    call: str | None,
    score: float,
    band: str,
    reference: float,
    reference_band: str,
    reference_day: str,
    low: float,
    high: float,
    *,
    note: str = "",
) -> str:
    """The headline: 'Deteriorated: the score rose from 28.6 (moderate) on ... to 68.9 (high),
    outside the 90% interval 67.6-70.2 of today's score.'"""
    if call is None:
        if _nan(score):
            return "No trend call: the score is withheld."
        return (
            f"No trend call: no earlier score to compare with; the score is {score:.1f} ({band})."
        )
    then = f"{reference:.1f} ({reference_band}) on {reference_day}{note}"
    span = f"90% interval {low:.1f}\u2013{high:.1f}" if not _nan(low) else "interval"
    if call == UNCHANGED:
        return (
            f"No significant change: {score:.1f} ({band}) against {then}; the difference"
            f" ({score - reference:+.1f}) lies inside the {span} of the score."
        )
    verb = "rose" if score > reference else "fell"
    return (
        f"{call.capitalize()}: the score {verb} from {then} to {score:.1f} ({band}),"
        f" outside the {span} of the score."
    )


def _names(names: list[str], limit: int = 3) -> str:
    shown = names[:limit]
    more = len(names) - len(shown)
    text = ", ".join(shown)
    return text + (f" and {more} more" if more > 0 else "")


def why(code: str, change: pd.DataFrame, *, unit: str = "", was_withheld: bool = False) -> str:
    """Why one indicator's points moved, in plain words.

    ``change`` is ``scoring.explain.attribute_change`` (index: code); other rows say which
    indicators gained or lost fresh evidence, which is what moves the weights of the rest.
    """
    row = change.loc[code]
    reason = row["reason"]
    others = change.drop(index=code)
    stale = list(others.loc[others["reason"] == "evidence went stale", "name"].astype(str))
    fresh = list(others.loc[others["reason"] == "newly covered", "name"].astype(str))
    before, after = row["value_before"], row["value_after"]

    def shown(x: float) -> str:
        return f"{x:,.1f} {unit}".rstrip()

    parts: list[str] = []
    if reason == "evidence went stale":
        parts.append("its evidence went stale, so it left the score")
    elif reason == "newly covered":
        parts.append(f"it has fresh evidence again ({shown(after)}) and counts in the score")
    elif reason == "model change":
        parts.append("the model changed (weights or goalposts)")
    elif abs(row["from_value"]) > MOVED:
        direction = "rose" if after > before else "fell"
        source = "on new evidence" if reason == "new evidence" else "as its evidence aged"
        parts.append(f"its reading {direction} from {shown(before)} to {shown(after)} {source}")
    elif reason == "new evidence" and not (_nan(before) or _nan(after)):
        parts.append(
            f"new evidence reads {shown(after)} (before {shown(before)}), which changes"
            " nothing on its scale (both at the same end of its goalposts)"
        )
    weight = row["from_reweighting"]
    if was_withheld and reason not in ("newly covered", "evidence went stale"):
        parts.append("the score was withheld before, so all its points are new")
    elif abs(weight) > MOVED and reason not in ("newly covered", "evidence went stale"):
        if weight > 0:
            cause = (
                f"{len(stale)} other indicator(s) went stale ({_names(stale)})"
                if stale
                else "other indicators count for less"
            )
            parts.append(f"it now weighs more because {cause}")
        else:
            cause = (
                f"{len(fresh)} other indicator(s) gained fresh evidence ({_names(fresh)})"
                if fresh
                else "other indicators count for more"
            )
            parts.append(f"it now weighs less because {cause}")
    if not parts:
        return "unchanged reading and weight"
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def against(delta: float, total: float) -> bool:
    """Whether an indicator moved against the overall change of the score."""
    return not (_nan(delta) or _nan(total)) and abs(total) > MOVED and delta * total < 0
