"""Filter the evidence base into one listing of observations and events."""

from __future__ import annotations

import pandas as pd

from fragwatch.evidence.base import Evidence


def _figure(obs: pd.DataFrame) -> pd.Series:
    def num(s: pd.Series) -> pd.Series:
        text = ["" if pd.isna(v) else f"{v:,.6g}" for v in s]
        return pd.Series(text, index=s.index, dtype=object)

    value, low, high = num(obs["value"]), num(obs["low"]), num(obs["high"])
    text = value.where(value != "", low + "-" + high)
    text = text.where(~((value == "") & (high == "")), ">=" + low)
    text = text.where(~((value == "") & (low == "")), "<=" + high)
    return text + " " + obs["unit"]


def filter_rows(
    evidence: Evidence,
    *,
    country: str | None = None,
    quantity: str | None = None,
    kind: str | None = None,
    source_id: str | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    if country:  # imported batches: only this country's rows are read
        evidence = evidence.for_countries([country.upper()])
    obs = evidence.observations
    ev = evidence.events
    # Asking for a quantity means observations only; for a kind, events only.
    obs = obs.iloc[0:0] if kind else obs
    ev = ev.iloc[0:0] if quantity else ev
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "id": obs["obs_id"],
                    "type": "observation",
                    "country": obs["country"],
                    "what": obs["quantity"],
                    "when": obs["period"],
                    "start": obs["period_start"],
                    "end": obs["period_end"],
                    "figure": _figure(obs),
                    "source_id": obs["source_id"],
                    "published": obs["published"],
                    "quote": obs["quote"],
                }
            ),
            pd.DataFrame(
                {
                    "id": ev["event_id"],
                    "type": "event",
                    "country": ev["country"],
                    "what": ev["kind"],
                    "when": ev["date"],
                    "start": ev["date_start"],
                    "end": ev["date_end"],
                    "figure": pd.Series(
                        ["" if pd.isna(f) else f"{int(f)} dead" for f in ev["fatalities"]],
                        index=ev.index,
                        dtype=object,
                    ),
                    "source_id": ev["source_id"],
                    "published": ev["published"],
                    "quote": ev["quote"],
                }
            ),
        ],
        ignore_index=True,
    )
    keep = pd.Series(True, index=rows.index)
    if country:
        keep &= rows["country"] == country.upper()
    if quantity:
        keep &= rows["what"] == quantity
    if kind:
        keep &= rows["what"] == kind
    if source_id:
        keep &= rows["source_id"] == source_id
    if start is not None:
        keep &= rows["end"] >= start
    if end is not None:
        keep &= rows["start"] <= end
    return rows[keep].sort_values(["country", "start", "id"]).reset_index(drop=True)
