"""Everything one risk report shows, for one country and one period (since, as_of].

The report recomputes both ends of the period point-in-time, so it works without a store. With
a store (a read connection) it also shows the scores the service stored, the alerts that fired
and are firing, and, when the previous report was scored under another model, that model change.
The score carries the interval `fragwatch assess` shows (``scoring.uncertainty``), and each
firing score or indicator rule the share of its draws in which it fires.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fragwatch.alerts.lifecycle import Replayed, replay
from fragwatch.alerts.rules import Rule
from fragwatch.evidence import Evidence
from fragwatch.scoring.assessment import Assessment, assess, indicator_panel
from fragwatch.scoring.bands import band_of
from fragwatch.scoring.explain import attribute_change
from fragwatch.scoring.spec import ModelSpec, UncertaintySettings
from fragwatch.scoring.uncertainty import Interval, alert_share, assessment_interval

if TYPE_CHECKING:  # SQLAlchemy loads only when a store is given
    from sqlalchemy import Connection

MOVED = 0.005  # points; below display precision (two decimals) a change is noise
STALE_HORIZON_DAYS = 90  # warn about evidence that goes stale this soon without news


@dataclass(frozen=True)
class ModelChange:
    """The previous report was scored under another model than the one in force now."""

    reported: Assessment  # as the service stored it then
    points: float  # the same date under the current model minus what was reported


@dataclass(frozen=True)
class ReportData:
    country: str
    as_of: pd.Timestamp
    since: pd.Timestamp
    model_name: str
    model_digest: str
    bands: tuple[tuple[str, float], ...]
    now: Assessment
    before: Assessment  # as of ``since``, under the current model
    # attribute_change(before, now) for the indicators that moved, biggest first, with
    # ``cite_ids``: the new evidence, else the evidence behind the value now (or then, if gone).
    change: pd.DataFrame
    model_change: ModelChange | None
    history: pd.DataFrame  # index: date; score (NaN: withheld), band
    raw: dict[str, pd.DataFrame]  # "value", "low", "high": index date, a column per indicator
    indicators: pd.DataFrame  # index: code, in framework order; name, unit, dimension, lo, hi...
    citations: pd.DataFrame  # index: evidence id; what, quote, source_id, published, ref
    sources: pd.DataFrame  # index: ref 1..n; source_id, title, publisher, published, url
    refs: dict[str, tuple[int, ...]]  # figure name or "indicator:<code>" -> source refs
    fired: pd.DataFrame  # rule, subject, date: alert firings within the history window
    # alerts firing now, with ``share``: for a score or indicator rule, the share of draws in
    # which it fires (None for other rules, or when the score is withheld); None without a store
    active: pd.DataFrame | None
    warnings: list[str]
    # The stored run the alert state is replayed to (the last on or before ``as_of``); None
    # without a store or when the store has no run by then.
    alerts_as_of: pd.Timestamp | None
    # What became known in the period (published in (since, as_of], this country): events with
    # their date, kind, deaths and source, and figures with their value and source
    news: pd.DataFrame
    figures: pd.DataFrame
    interval: Interval  # of ``now``: median and 90% interval (NaN when the score is withheld)
    uncertainty: UncertaintySettings  # the Monte Carlo behind it (draws, noise, robust share)
    # indicator code -> every evidence id behind its raw values over the history window
    panel_ids: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def previous(self) -> Assessment:
        """The score the previous report gave (stored, when the model changed since)."""
        return self.model_change.reported if self.model_change else self.before

    @property
    def score_change(self) -> float:
        return self.now.score - self.previous.score


def gather(
    evidence: Evidence,
    spec: ModelSpec,
    country: str,
    as_of: pd.Timestamp,
    since: pd.Timestamp,
    *,
    conn: Connection | None = None,
    rules: Sequence[Rule] = (),
    history_years: int = 5,
) -> ReportData:
    """Collect one country's report for the period (since, as_of]."""
    as_of, since = pd.Timestamp(as_of).normalize(), pd.Timestamp(since).normalize()
    if since >= as_of:
        raise ValueError(f"since {since.date()} is not before as of {as_of.date()}")
    # The whole evidence base, not this country's rows: the evidence digest is then the one
    # the service stores with its assessments (indicators pick their country's rows anyway).
    (now,) = assess(evidence, spec, [country], as_of)
    (before,) = assess(evidence, spec, [country], since)
    interval, draws = assessment_interval(spec, now)
    model_change = _model_change(conn, country, since, before) if conn is not None else None
    replayed = _replay(conn, country, spec, rules, as_of) if conn is not None else None

    change = attribute_change(before, now)
    change = change[change["delta"].abs() > MOVED].assign(
        cite_ids=lambda c: [_cite_ids(code, row, now, before) for code, row in c.iterrows()]
    )

    dates = _window(as_of, since, history_years)
    panel = indicator_panel(evidence, spec, [country], dates, with_evidence=True)
    scores = spec.model.score(panel.value)
    history = _history(scores.score.droplevel("country"), conn, country, spec, dates)
    history["band"] = band_of(history["score"].to_numpy(float), spec.model.bands)

    indicators = _indicators(spec)
    ids_by_code = {
        code: _ids(panel.evidence_ids[code]) for code in indicators.index
    }  # every id behind a plotted raw value
    cited = set().union(*ids_by_code.values(), now.evidence_ids, before.evidence_ids)
    cited |= {i for ids in change["cite_ids"] for i in ids}
    citations, sources = _citations(evidence, sorted(cited))
    ref_of = citations["ref"].dropna()

    def refs(ids: Iterable[str]) -> tuple[int, ...]:
        return tuple(sorted({int(ref_of[i]) for i in ids if i in ref_of.index}))

    figure_refs = {
        "history": refs(cited),
        "contributions": refs(now.evidence_ids),
        "change": refs(i for ids in change["cite_ids"] for i in ids),
        "indicators": refs(set().union(*ids_by_code.values())),
        **{f"indicator:{code}": refs(ids) for code, ids in ids_by_code.items()},
    }
    return ReportData(
        country=country,
        as_of=as_of,
        since=since,
        model_name=spec.name,
        model_digest=spec.digest,
        bands=tuple(spec.model.bands),
        now=now,
        before=before,
        change=change,
        model_change=model_change,
        history=history,
        raw={
            "value": panel.value.droplevel("country"),
            "low": panel.low.droplevel("country"),
            "high": panel.high.droplevel("country"),
        },
        indicators=indicators,
        citations=citations,
        sources=sources,
        refs=figure_refs,
        fired=_fired(replayed, dates[0], as_of),
        active=_active(conn, replayed, now, rules, draws, spec.uncertainty.seed)
        if conn is not None
        else None,
        alerts_as_of=replayed.last if replayed is not None else None,
        warnings=_warnings(evidence, spec, now, change, since),
        news=_news(evidence, country, since, as_of),
        figures=_figures(evidence, country, since, as_of),
        interval=interval,
        uncertainty=spec.uncertainty,
        panel_ids={code: frozenset(ids) for code, ids in ids_by_code.items()},
    )


# --- pieces -----------------------------------------------------------------------------------


def _window(as_of: pd.Timestamp, since: pd.Timestamp, years: int) -> pd.DatetimeIndex:
    """Month ends over the history window, plus both ends of the period."""
    start = min(since, as_of - pd.DateOffset(years=years))
    return pd.date_range(start, as_of, freq="ME").union(pd.DatetimeIndex([since, as_of]))


def _ids(column: pd.Series) -> set[str]:
    return {i for ids in column for i in ids}


def _cite_ids(code: str, row: pd.Series, now: Assessment, before: Assessment) -> list[str]:
    if len(row["new_evidence_ids"]):
        return list(row["new_evidence_ids"])
    for a in (now, before):  # gone stale: the evidence that was behind the value then
        ids = a.table.loc[a.table["code"] == code, "evidence_ids"]
        if len(ids) and len(ids.iloc[0]) and not math.isnan(_value(a, code)):
            return list(ids.iloc[0])
    return []


def _value(a: Assessment, code: str) -> float:
    values = a.table.loc[a.table["code"] == code, "value"]
    return float(values.iloc[0]) if len(values) else math.nan


def _model_change(
    conn: Connection, country: str, since: pd.Timestamp, before: Assessment
) -> ModelChange | None:
    """What the service reported at ``since`` under an older model, if that is what it has."""
    from fragwatch.store.assessments import stored_at

    stored = stored_at(conn, country, since.date())
    if not stored or any(a.model_digest == before.model_digest for a in stored):
        return None
    reported = stored[0]  # the earliest write: what was said at the time
    return ModelChange(reported, before.score - reported.score)


def _history(
    computed: pd.Series,
    conn: Connection | None,
    country: str,
    spec: ModelSpec,
    dates: pd.DatetimeIndex,
) -> pd.DataFrame:
    """Point-in-time scores at month ends; where the service stored a score, that one."""
    score = computed.rename("score")
    if conn is not None:
        from fragwatch.store.assessments import history

        stored = history(conn, country, spec.digest)
        stored = stored[(stored["as_of"] >= dates[0]) & (stored["as_of"] <= dates[-1])]
        score = stored.groupby("as_of")["score"].last().combine_first(score).rename("score")
    score.index.name = "date"
    return score.to_frame()


def _indicators(spec: ModelSpec) -> pd.DataFrame:
    ind = spec.model.framework_.indicators
    return pd.DataFrame(
        {
            "name": [spec.indicators[c].name for c in ind.index],
            "unit": [spec.indicators[c].unit for c in ind.index],
            "dimension": ind["parent"].to_numpy(),
            "lo": ind["lo"].to_numpy(float),
            "hi": ind["hi"].to_numpy(float),
            "direction": ind["direction"].to_numpy(int),
        },
        index=ind.index.rename("code"),
    )


def _citations(evidence: Evidence, ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evidence rows by id with a reference number each, and the numbered source list."""
    cited = evidence.citations(ids).drop_duplicates("id").set_index("id")
    # What a data row is a row of: its value, unit and period (events have none).
    obs = evidence.observations[["quantity", "period", "value", "unit"]]
    cited = cited.drop(columns=["value", "unit", "period"]).join(obs.reindex(cited.index))
    src = evidence.sources.reindex(cited["source_id"].dropna().unique()).reset_index(drop=True)
    src = src.sort_values(["published", "source_id"], kind="stable")
    sources = pd.DataFrame(
        {
            "source_id": src["source_id"].to_numpy(),
            "title": src["title"].fillna("unknown source").to_numpy(),
            "publisher": src["publisher"].fillna("").to_numpy(),
            "published": src["published"].to_numpy(),
            "url": src["url"].fillna("").to_numpy(),
            "kind": src["kind"].fillna("").to_numpy(),
        },
        index=pd.RangeIndex(1, len(src) + 1, name="ref"),
    )
    ref = pd.Series(sources.index, index=sources["source_id"])
    cited["ref"] = cited["source_id"].map(ref).astype("Int64")
    return cited, sources


@dataclass(frozen=True)
class _Replay:
    replayed: Replayed
    last: pd.Timestamp | None  # the last stored run replayed


def _replay(
    conn: Connection, country: str, spec: ModelSpec, rules: Sequence[Rule], as_of: pd.Timestamp
) -> _Replay:
    """The alerts as they stood on ``as_of``: the rules replayed over the stored runs to then.

    The store's alert state is today's; a report for a past date must not show it.
    """
    from fragwatch.store.assessments import stored_series

    runs = stored_series(conn, country, spec.digest, as_of.date())
    replayed = replay(list(rules), runs)
    return _Replay(replayed, runs[-1].as_of if runs else None)


def _fired(replayed: _Replay | None, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Alert firings (rule, subject, date) within the history window."""
    columns = ["rule", "subject", "date"]
    if replayed is None:
        return pd.DataFrame(columns=columns)
    rows = [(r, s, pd.Timestamp(at.date())) for r, s, at in replayed.replayed.firings]
    frame = pd.DataFrame(rows, columns=columns)
    return frame[(frame["date"] >= start) & (frame["date"] <= end)].reset_index(drop=True)


def _active(
    conn: Connection,
    replayed: _Replay,
    now: Assessment,
    rules: Sequence[Rule],
    draws: np.ndarray,
    seed: int,
) -> pd.DataFrame:
    """The alerts firing on the report's date (replayed), with today's acknowledgements."""
    from fragwatch.store.alerts import load_alerts

    stored = load_alerts(conn)
    by_name = {r.name: r for r in rules}
    rows = []
    for (rule, subject), state in sorted(replayed.replayed.states.items()):
        if state.state != "firing":
            continue
        known = by_name[rule]
        today = stored.get((rule, subject))
        # The acknowledgement belongs to one firing: show it only on that firing.
        same = today is not None and today.state.since == state.since
        rows.append(
            {
                "rule": rule,
                "subject": subject,
                "severity": known.severity,
                "description": known.description,
                "since": state.since,
                "value": replayed.replayed.values.get((rule, subject)),
                "acked_by": today.acked_by if same else None,
                "kind": known.kind,
                # Score and indicator rules: the share of draws past the fire level.
                "share": alert_share(known, now, draws, seed=seed),
            }
        )
    columns = ["rule", "subject", "severity", "description", "since", "value", "acked_by"]
    columns += ["kind", "share"]
    return pd.DataFrame(rows, columns=columns)


def _published_in(table: pd.DataFrame, country: str, since, as_of) -> pd.DataFrame:
    keep = (
        (table["country"] == country) & (table["published"] > since) & (table["published"] <= as_of)
    )
    return table[keep]


def _news(evidence: Evidence, country: str, since, as_of) -> pd.DataFrame:
    """Events published in the period, by the date they happened (newest first)."""
    ev = _published_in(evidence.events, country, since, as_of)
    out = ev[["date", "kind", "fatalities", "description", "source_id", "published"]].join(
        _source_names(evidence), on="source_id"
    )
    return out.sort_values(["date", "published"], ascending=False, kind="stable")


def _source_names(evidence: Evidence) -> pd.DataFrame:
    """Title, publisher and the source's own publication date (the one the report shows for
    it everywhere; a row's ``published`` is when its figure counts from)."""
    src = evidence.sources[["title", "publisher", "published"]]
    return src.rename(columns={"published": "source_published"})


def _figures(evidence: Evidence, country: str, since, as_of) -> pd.DataFrame:
    """Figures (observations with a value) published in the period, newest first."""
    obs = _published_in(evidence.observations, country, since, as_of)
    obs = obs[obs["value"].notna()]
    out = obs[["quantity", "period", "value", "unit", "source_id", "published"]].join(
        _source_names(evidence), on="source_id"
    )
    return out.sort_values(["published", "period"], ascending=False, kind="stable")


def _warnings(
    evidence: Evidence,
    spec: ModelSpec,
    now: Assessment,
    change: pd.DataFrame,
    since: pd.Timestamp,
) -> list[str]:
    """Coverage and stale-evidence warnings, most serious first."""
    out: list[str] = []
    t = now.table.set_index("code")
    if math.isnan(now.score):
        out.append(
            f"Score withheld: only {now.coverage:.0%} of the model's weight has fresh evidence"
            f" (the minimum is {now.min_coverage:.0%})."
        )
    missing = t.index[t["value"].isna()]
    if len(missing):
        out.append(
            f"Coverage {now.coverage:.0%}: no fresh evidence for "
            + ", ".join(f"{t.at[c, 'name']} ({c})" for c in missing)
            + "; left out of the score and the other weights renormalised."
        )
    gone = change.index[change["reason"] == "evidence went stale"]
    if len(gone):
        out.append(
            f"Went stale since {since.date()}: "
            + ", ".join(str(t.at[c, "name"]) if c in t.index else c for c in gone)
            + "."
        )
    # The same evidence read on each of the coming days: where a value disappears, it is
    # about to go stale unless something newer is published.
    ahead = pd.date_range(now.as_of + pd.Timedelta(days=1), periods=STALE_HORIZON_DAYS, freq="D")
    known = evidence.known_by(now.as_of)
    future = indicator_panel(known, spec, [now.country], ahead).value.droplevel("country")
    present = t["value"].notna()
    for code in t.index[present.to_numpy()]:
        lost = future[code].isna().to_numpy()
        if lost.any():
            first = ahead[int(np.argmax(lost))]
            out.append(
                f"Evidence for {t.at[code, 'name']} ({code}) goes stale on {first.date()},"
                f" {(first - now.as_of).days} days after this report, unless newer evidence"
                " is published."
            )
    return out
