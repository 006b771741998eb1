"""Backtest: monthly point-in-time assessments, replayed alerts, scored against an event ledger.

Every month-end uses only evidence published by then (``score_history`` is point-in-time by
construction), scored in one vectorised pass. The alert rules' lifecycle is then stepped through
those months as the service would have. The target is "an event of the ledger within the next
``horizon`` months": a month is a positive when an event falls in (month end, month end + H].
Months whose horizon reaches past the end of the period are left out of AUC and Brier (we cannot
know their outcome), and so are months whose score is withheld.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from fragwatch.alerts.lifecycle import AlertState, step
from fragwatch.alerts.rules import Rule, evaluate
from fragwatch.evidence import Evidence
from fragwatch.scoring.assessment import assessment_of, score_history
from fragwatch.scoring.spec import ModelSpec

# Rules that say something about the country's risk (not about data freshness or jobs).
SIGNAL_KINDS = (
    "score_above",
    "score_below",
    "band_change",
    "jump",
    "indicator_above",
    "indicator_below",
)


@dataclass(frozen=True)
class Replay:
    country: str
    scores: pd.DataFrame  # index month ends: score, band, coverage
    firing: pd.DataFrame  # index month ends, one bool column per rule: firing after the step
    notifications: pd.DataFrame  # rule, subject, kind, at, value, explanation


def month_ends(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="ME")


def replay(
    evidence: Evidence, spec: ModelSpec, rules: list[Rule], country: str, dates: pd.DatetimeIndex
) -> Replay:
    """Score every date at once, then step each rule's lifecycle through the dates in order."""
    panel, scores = score_history(evidence, spec, [country], dates)
    chosen = [r for r in rules if r.kind in SIGNAL_KINDS]
    states = {r.name: None for r in chosen}
    firing = {r.name: np.zeros(len(dates), dtype=bool) for r in chosen}
    notes, before = [], None
    for t, date in enumerate(dates):
        # The evidence digest is not needed to evaluate a rule; the replay has no store.
        now = assessment_of(spec, panel, scores, (country, date), "")
        at = datetime.combine(date.date(), datetime.min.time())
        for rule in chosen:
            reading = evaluate(rule, now, before)
            state = states[rule.name] or AlertState(rule.name, reading.subject)
            state, note = step(rule, state, reading, at)
            states[rule.name] = state
            firing[rule.name][t] = state.state == "firing"
            if note is not None:
                notes.append(
                    {
                        "rule": note.rule,
                        "subject": note.subject,
                        "kind": note.kind,
                        "at": pd.Timestamp(note.at),
                        "value": reading.value,
                        "explanation": reading.explanation,
                    }
                )
        before = now
    index = pd.DatetimeIndex(dates, name="as_of")
    table = pd.DataFrame(
        {
            "score": scores.score.to_numpy(float),
            "band": scores.band.to_numpy(object),
            "coverage": scores.coverage.to_numpy(float),
        },
        index=index,
    )
    columns = ["rule", "subject", "kind", "at", "value", "explanation"]
    return Replay(
        country, table, pd.DataFrame(firing, index=index), pd.DataFrame(notes, columns=columns)
    )


@dataclass(frozen=True)
class Metrics:
    horizon_months: int
    events: pd.DataFrame  # ledger rows in the period, with hit and lead_days
    hit_rate: float  # share of events with an alarm in the H months before them
    false_alarms: int  # alarm onsets with no event in the following H months (horizon known)
    false_alarms_per_year: float
    years: float
    months_scored: int  # months with a score and a known outcome (AUC/Brier sample)
    positives: int
    auc: float  # NaN when the sample has one class only
    brier: float  # of score/100 read as a probability
    brier_base_rate: float  # of the constant base rate: the bar a useful probability beats

    def to_dict(self) -> dict:
        def num(x: float) -> float | None:
            return None if x is None or np.isnan(x) else round(float(x), 4)

        events = self.events.assign(date=self.events["date"].dt.strftime("%Y-%m-%d"))
        events = events.replace({np.nan: None})
        return {
            "horizon_months": self.horizon_months,
            "hit_rate": num(self.hit_rate),
            "false_alarms": self.false_alarms,
            "false_alarms_per_year": num(self.false_alarms_per_year),
            "years": round(self.years, 2),
            "months_scored": self.months_scored,
            "positives": self.positives,
            "auc": num(self.auc),
            "brier": num(self.brier),
            "brier_base_rate": num(self.brier_base_rate),
            "events": events.to_dict(orient="records"),
        }


def target(dates: pd.DatetimeIndex, event_dates: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    """1.0 where an event falls in (date, date + horizon months], NaN where that window runs
    past the last date (outcome unknown), else 0.0."""
    ends = dates + pd.DateOffset(months=horizon)
    ev = np.sort(event_dates.to_numpy())
    # Count of events <= end minus events <= date: events in (date, end].
    inside = np.searchsorted(ev, ends.to_numpy(), side="right") - np.searchsorted(
        ev, dates.to_numpy(), side="right"
    )
    out = (inside > 0).astype(float)
    out[ends > dates[-1]] = np.nan
    return out


def score_backtest(
    run: Replay, ledger: pd.DataFrame, horizon: int = 12, rules: list[str] | None = None
) -> Metrics:
    """Hit rate, lead time, false alarms, AUC and Brier of a replay against a ledger."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    dates = run.scores.index
    first, last = dates[0] - pd.DateOffset(months=1), dates[-1]
    mine = ledger[ledger["country"].isin(["", run.country])] if "country" in ledger else ledger
    events = mine[(mine["date"] > first) & (mine["date"] <= last)].copy()
    chosen = rules if rules is not None else list(run.firing.columns)
    alarm = run.firing[chosen].any(axis=1).to_numpy() if chosen else np.zeros(len(dates), bool)

    # Hit and lead time: the first alarm month in the H months before the event.
    hits, leads = [], []
    for when in events["date"]:
        window = (dates < when) & (dates >= when - pd.DateOffset(months=horizon))
        alarmed = dates[window & alarm]
        hits.append(len(alarmed) > 0)
        leads.append(float((when - alarmed[0]).days) if len(alarmed) else np.nan)
    events["hit"] = hits
    events["lead_days"] = leads

    # False alarms: onsets of an alarm not followed by an event within H months.
    onset = alarm & ~np.concatenate([[False], alarm[:-1]])
    y = target(dates, pd.DatetimeIndex(events["date"]), horizon)
    known = ~np.isnan(y)
    false = int((onset & known & (y == 0)).sum())
    years = max(len(dates) / 12.0, 1 / 12)

    score = run.scores["score"].to_numpy(float)
    sample = known & ~np.isnan(score)
    ys, ps = y[sample].astype(int), score[sample] / 100.0
    both = len(np.unique(ys)) == 2
    rate = float(ys.mean()) if len(ys) else np.nan
    return Metrics(
        horizon_months=horizon,
        events=events.reset_index(drop=True),
        hit_rate=float(np.mean(hits)) if hits else np.nan,
        false_alarms=false,
        false_alarms_per_year=false / years,
        years=years,
        months_scored=int(sample.sum()),
        positives=int(ys.sum()),
        auc=float(roc_auc_score(ys, ps)) if both else np.nan,
        brier=float(brier_score_loss(ys, ps)) if len(ys) else np.nan,
        brier_base_rate=float(np.mean((ys - rate) ** 2)) if len(ys) else np.nan,
    )
