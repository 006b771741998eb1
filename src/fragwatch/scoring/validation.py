"""World validation: does the score warn? Point-in-time scores of every country at the end of
every year, scored against UCDP outcomes in the following years.

One vectorised pass of ``indicator_panel`` over the (country x year-end) grid gives every
indicator as it was known at each date (the kernels only read evidence published by then, and
the newest vintage of a series published by then). The same panel is scored twice: by the model
as configured, whose ``conflict_deaths`` reads the latest UCDP year published by the date (one
year before the forecast year: the outcome's own series, lagged by its publication), and by the
model without its conflict-history indicators (``HISTORY``), weights renormalised over the rest.

Side by side, on the same rows: the two transparent scores, a conflict-history baseline (last
published year's battle deaths), and a logistic regression fitted on the same normalised
indicators as a ceiling of what the inputs can do, with time-ordered folds over years and a gap
of the horizon between training and test years (a training year's outcome looks that far ahead,
so without the gap its label would already know the test years). The scores' own link to a
probability (for Brier) is fitted on the training years the same way; nothing else is fitted.

Advice only: nothing here writes the model configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fragwatch.evidence import Evidence
from fragwatch.scoring import outcomes
from fragwatch.scoring.assessment import indicator_panel
from fragwatch.scoring.calibration import _fill, _sigmoid, expert_shares, fit_nonnegative
from fragwatch.scoring.model import FragilityModel, PanelScores
from fragwatch.scoring.spec import ModelSpec

# The indicators that count the outcome itself (organised-violence deaths from UCDP; armed
# attacks and clashes, which imported UCDP GED or ACLED events feed). The "without" variant
# drops them; the configured model reads them lagged by publication.
HISTORY = ("conflict_deaths", "armed_violence")
TOP = (10, 30)
WARN_TOP = 30  # a country is "warned" when its score ranks in the world's top 30 that year
MAX_LEAD_YEARS = 10

CONTENDERS = (
    ("score", "score, with conflict history"),
    ("score_nohist", "score, without conflict history"),
    ("baseline", "last year's battle deaths"),
    ("fitted", "fitted, all indicators"),
    ("fitted_nohist", "fitted, without conflict history"),
    ("base_rate", "base rate of training years"),
)
RANKED = {"score": "score", "score_nohist": "score_nohist", "baseline": "deaths"}


def year_ends(years: list[int]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Timestamp(year=y, month=12, day=31) for y in years])


def without(model: FragilityModel, codes: tuple[str, ...]) -> FragilityModel:
    """The model with these indicators removed: the others' weights renormalise as for any
    indicator without evidence, but coverage no longer counts the removed ones."""
    table = model.framework_.to_table()
    table = table[~table["code"].isin(codes)]
    return model.clone().set_params(framework=table).fit()


@dataclass(frozen=True)
class Validation:
    outcome: str
    horizon_years: int
    years: list[int]  # forecast years (scores at each year's end)
    rows: pd.DataFrame  # one row per (country, year) with a score: y, scores, baseline, fitted
    contenders: pd.DataFrame  # index key: label, auc, ap, brier, p10, p30 (test rows)
    all_rows: pd.DataFrame  # the unfitted contenders over every sample row
    folds: list[dict]
    onsets: pd.DataFrame  # country, year, warned, lead_years, region
    indicators: pd.DataFrame  # index code: dimension, weight, expert_share, fitted_share, ...
    by_year: pd.DataFrame
    by_region: pd.DataFrame
    bands: pd.DataFrame
    calibration: pd.DataFrame  # contender, bin, predicted, observed, n
    withheld: dict  # rows without a score: count and positives
    top30_edge: float  # median over years of the 30th-ranked score
    warned_positives: float  # share of the sample's positives ranked in the world's top 30
    advice: list[str]

    @property
    def sample(self) -> pd.DataFrame:
        return self.rows[self.rows["in_sample"]]


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    ok = ~np.isnan(p)
    y, p = y[ok], p[ok]
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else np.nan


def _ap(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    ok = ~np.isnan(p)
    y, p = y[ok], p[ok]
    return float(average_precision_score(y, p)) if y.sum() > 0 else np.nan


def _brier(y: np.ndarray, p: np.ndarray) -> float:
    ok = ~np.isnan(p)
    return float(np.mean((p[ok] - y[ok]) ** 2)) if ok.any() else np.nan


def precision_at(frame: pd.DataFrame, column: str, k: int) -> float:
    """Mean over years of the share of positives among the k highest-ranked rows of the year
    (ties broken by country code, so the figure does not depend on row order)."""
    ranked = frame.sort_values(["year", column, "country"], ascending=[True, False, True])
    top = ranked.groupby("year", sort=False).head(k)
    return float(top.groupby("year")["y"].mean().mean()) if len(top) else np.nan


def _metrics(frame: pd.DataFrame, rank_column: str, prob_column: str | None) -> dict:
    y = frame["y"].to_numpy(float)
    ranks = frame[rank_column].to_numpy(float) if rank_column else None
    probs = frame[prob_column].to_numpy(float) if prob_column else None
    used = ~np.isnan(probs if probs is not None else ranks)
    out = {
        "rows": int(used.sum()),
        "positives": int(y[used].sum()),
        "auc": _auc(y, ranks) if ranks is not None else np.nan,
        "ap": _ap(y, ranks) if ranks is not None else np.nan,
        "brier": _brier(y, probs) if probs is not None else np.nan,
    }
    for k in TOP:
        out[f"p{k}"] = precision_at(frame, rank_column, k) if ranks is not None else np.nan
    return out


def year_folds(years: np.ndarray, splits: int, gap: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Time-ordered folds over the distinct years of ``years``: (train rows, test rows) with
    ``gap`` whole years between the last training year and the first test year."""
    from sklearn.model_selection import TimeSeriesSplit

    distinct = np.unique(years)
    out = []
    for train, test in TimeSeriesSplit(n_splits=splits, gap=gap).split(distinct):
        out.append(
            (
                np.flatnonzero(np.isin(years, distinct[train])),
                np.flatnonzero(np.isin(years, distinct[test])),
            )
        )
    return out


def folds_fit(n_years: int, splits: int, gap: int) -> bool:
    test = n_years // (splits + 1)
    return test >= 1 and n_years - gap - test * splits >= 1


def _fit_predict(x: np.ndarray, y: np.ndarray, train, test, C: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    x_train, x_test = _fill(x[train], x[test])
    fit = LogisticRegression(C=C, max_iter=2000).fit(x_train, y[train])
    return fit.predict_proba(x_test)[:, 1]


def _link(score: np.ndarray, y: np.ndarray, train, test, C: float) -> np.ndarray:
    """A monotone logistic link from a ranking variable to a probability, fitted on the
    training rows only (the ranking, hence AUC and precision, is unchanged)."""
    slope, intercept = fit_nonnegative(score[train][:, None], y[train], C)
    return _sigmoid(intercept + slope[0] * score[test])


def validate(
    evidence: Evidence,
    spec: ModelSpec,
    deaths: pd.DataFrame,
    countries: list[str],
    years: list[int],
    *,
    outcome: str,
    horizon_years: int,
    splits: int = 5,
    C: float = 1.0,
    regions: dict[str, str] | None = None,
) -> Validation:
    """Score every country (``countries``) at the end of every year (``years``) and compare
    with the outcome ahead, read from ``deaths`` (country x year battle deaths).

    The fits are small (a few thousand rows, twenty columns): one BLAS thread does them faster
    than several, which spend more on start-up and contention than they gain (five times
    faster measured on a shared two-core machine)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _validate(
            evidence,
            spec,
            deaths,
            countries,
            years,
            outcome=outcome,
            horizon_years=horizon_years,
            splits=splits,
            C=C,
            regions=regions,
        )


def _validate(
    evidence: Evidence,
    spec: ModelSpec,
    deaths: pd.DataFrame,
    countries: list[str],
    years: list[int],
    *,
    outcome: str,
    horizon_years: int,
    splits: int = 5,
    C: float = 1.0,
    regions: dict[str, str] | None = None,
) -> Validation:
    dates = year_ends(years)
    panel = indicator_panel(evidence, spec, countries, dates)
    full = spec.model.score(panel.value)
    present = tuple(c for c in HISTORY if c in spec.model.framework_.codes)
    reduced = without(spec.model, present)
    nohist = reduced.score(panel.value)

    index = panel.value.index
    country = index.get_level_values(0).to_numpy(object)
    year = index.get_level_values(1).year.to_numpy()
    target = outcomes.target(deaths, outcome, horizon_years)
    history = outcomes.last_known_deaths(deaths)
    key = pd.MultiIndex.from_arrays([country, year])

    def lookup(wide: pd.DataFrame) -> np.ndarray:
        long = wide.stack(future_stack=True)
        return long.reindex(key).to_numpy(dtype=float)

    regions = regions or {}
    rows = pd.DataFrame(
        {
            "country": country,
            "year": year,
            "region": [regions.get(c, "") for c in country],
            "y": lookup(target),
            "deaths": lookup(history),
            "score": full.score.to_numpy(float),
            "score_nohist": nohist.score.to_numpy(float),
            "band": full.band.to_numpy(object),
        }
    )
    known = rows["y"].notna().to_numpy()
    scored = rows["score"].notna().to_numpy() & rows["score_nohist"].notna().to_numpy()
    # The baseline needs last year's figure; a state new to the table has none (rare).
    rows["in_sample"] = known & scored & rows["deaths"].notna().to_numpy()
    withheld = {
        "rows": int((known & ~scored).sum()),
        "positives": int(rows.loc[known & ~scored, "y"].sum()),
    }
    sample = rows[rows["in_sample"]].reset_index(drop=True)
    if sample.empty or sample["y"].nunique() < 2:
        raise ValueError("the sample needs country-years both with and without the outcome")
    positions = np.flatnonzero(rows["in_sample"].to_numpy())
    y = sample["y"].to_numpy(int)
    x_full = full.normalised.to_numpy(float)[positions]
    x_nohist = nohist.normalised.to_numpy(float)[positions]
    log_deaths = np.log1p(sample["deaths"].to_numpy(float))
    points = sample["score"].to_numpy(float) / 100.0
    points_nohist = sample["score_nohist"].to_numpy(float) / 100.0

    # Time-ordered folds over years, with the horizon as the gap.
    predicted = {k: np.full(len(sample), np.nan) for k, _ in CONTENDERS}
    predicted["score_raw"] = np.full(len(sample), np.nan)
    folds = []
    sample_years = sample["year"].to_numpy()
    for train, test in year_folds(sample_years, splits, horizon_years):
        usable = len(np.unique(y[train])) == 2
        folds.append(
            {
                "train": [int(sample_years[train].min()), int(sample_years[train].max())],
                "test": [int(sample_years[test].min()), int(sample_years[test].max())],
                "train_positives": int(y[train].sum()),
                "test_positives": int(y[test].sum()),
                "usable": usable,
            }
        )
        if not usable:
            continue
        predicted["score"][test] = _link(points, y, train, test, C)
        predicted["score_nohist"][test] = _link(points_nohist, y, train, test, C)
        predicted["baseline"][test] = _link(log_deaths, y, train, test, C)
        predicted["fitted"][test] = _fit_predict(x_full, y, train, test, C)
        predicted["fitted_nohist"][test] = _fit_predict(x_nohist, y, train, test, C)
        predicted["base_rate"][test] = y[train].mean()
        predicted["score_raw"][test] = points[test]
    for k, p in predicted.items():
        sample[f"p_{k}"] = p
    tested = sample[~np.isnan(predicted["base_rate"])]

    table = []
    for k, label in CONTENDERS:
        rank_column = RANKED.get(k, f"p_{k}" if k != "base_rate" else "")
        table.append({"key": k, "label": label, **_metrics(tested, rank_column, f"p_{k}")})
    contenders = pd.DataFrame(table).set_index("key")
    contenders["brier_as_is"] = np.nan
    contenders.loc["score", "brier_as_is"] = _brier(
        tested["y"].to_numpy(float), tested["p_score_raw"].to_numpy(float)
    )
    all_rows = pd.DataFrame(
        [
            {"key": k, "label": label, **_metrics(sample, RANKED[k], None)}
            for k, label in CONTENDERS
            if k in RANKED
        ]
    ).set_index("key")
    all_rows.loc["score", "brier"] = _brier(y.astype(float), points)

    rank = _world_rank(rows)
    edge = float(
        rows.assign(rank=rank)
        .query(f"rank == {WARN_TOP}")
        .groupby("year")["score"]
        .first()
        .median()
    )
    onsets = _onsets(rows, rank, deaths, years, horizon_years, regions)
    indicators = _indicators(spec, full, positions, sample, y, points, panel.value, C)
    bands = _bands(sample, spec)
    warned_positives = float((rank[positions] <= WARN_TOP)[y == 1].mean())
    advice = _advice(contenders, all_rows, indicators, spec, outcome)
    advice += _band_advice(sample, spec, edge, warned_positives, outcome)
    return Validation(
        outcome=outcome,
        horizon_years=horizon_years,
        years=list(years),
        rows=rows.assign(world_rank=rank),
        contenders=contenders,
        all_rows=all_rows,
        folds=folds,
        onsets=onsets,
        indicators=indicators,
        by_year=_by(sample, "year"),
        by_region=_by(sample.assign(world_rank=rank[positions]), "region"),
        bands=bands,
        warned_positives=warned_positives,
        calibration=_reliability(tested),
        withheld=withheld,
        top30_edge=edge,
        advice=advice,
    )


def _world_rank(rows: pd.DataFrame) -> np.ndarray:
    """Each scored row's rank among all scored countries that year (1 = most fragile)."""
    order = rows.sort_values(["year", "score", "country"], ascending=[True, False, True])
    order = order[order["score"].notna()]
    rank = np.full(len(rows), np.nan)
    rank[order.index.to_numpy()] = order.groupby("year").cumcount().to_numpy() + 1
    return rank


def _onsets(
    rows: pd.DataFrame,
    rank: np.ndarray,
    deaths: pd.DataFrame,
    years: list[int],
    horizon_years: int,
    regions: dict[str, str],
) -> pd.DataFrame:
    """Every onset a forecast of the period could see, whether the score warned (top 30 of the
    world in a year of the window before it) and how long the warning had stood."""
    events = outcomes.onset(deaths)
    first, last = min(years) + 1, max(years) + horizon_years
    found = events.loc[:, [c for c in events.columns if first <= c <= last]].stack()
    found = found[found == 1]
    flagged = pd.Series(rank <= WARN_TOP, index=pd.MultiIndex.from_arrays([rows["country"],
                        rows["year"]]))  # fmt: skip
    out = []
    for country, year in found.index:
        window = range(max(year - horizon_years, min(years)), year)
        hits = [y for y in window if flagged.get((country, y), False)]
        lead = np.nan
        if hits:
            start = hits[-1]
            while start - 1 >= year - MAX_LEAD_YEARS and flagged.get((country, start - 1), False):
                start -= 1
            lead = float(year - start)
        out.append(
            {
                "country": country,
                "year": int(year),
                "deaths": float(deaths.loc[country, year]),
                "region": regions.get(country, ""),
                "warned": bool(hits),
                "lead_years": lead,
            }
        )
    columns = ["country", "year", "deaths", "region", "warned", "lead_years"]
    return pd.DataFrame(out, columns=columns)


def _indicators(
    spec: ModelSpec,
    full: PanelScores,
    positions: np.ndarray,
    sample: pd.DataFrame,
    y: np.ndarray,
    points: np.ndarray,
    values: pd.DataFrame,
    C: float,
) -> pd.DataFrame:
    """Per indicator: the expert share, how often it is known, its own AUC, what the score's
    AUC loses without it, and the non-negative fitted share (as ``calibrate`` fits it)."""
    framework = spec.model.framework_
    codes = framework.codes
    normalised = full.normalised.to_numpy(float)[positions]
    base_auc = _auc(y, points)
    drop = []
    for code in codes:  # one rescoring per indicator (not per cell): 20 small passes
        scores = without(spec.model, (code,)).score(values).score.to_numpy(float)[positions]
        drop.append(base_auc - _auc(y, scores))
    # Only indicators the world sample knows are fitted: a report-only indicator, known for
    # one country, is a constant column once filled and cannot be judged here (its share: NaN).
    known = (~np.isnan(normalised)).mean(axis=0)
    judged = known >= MIN_KNOWN_SHARE
    (filled,) = _fill(normalised[:, judged])
    fitted = np.full(len(codes), np.nan)
    beta, _ = fit_nonnegative(filled, y, C)
    if beta.sum() > 0:
        fitted[judged] = beta / beta.sum()
    return pd.DataFrame(
        {
            "dimension": framework.indicators["parent"].to_numpy(),
            "weight": framework.indicators["weight"].to_numpy(float),
            "expert_share": expert_shares(framework).to_numpy(float),
            "fitted_share": fitted,
            "known": known,
            "auc": [_own_auc(y, normalised[:, j]) for j in range(len(codes))],
            "auc_loss_without": drop,
        },
        index=pd.Index(codes, name="code"),
    )


MIN_KNOWN_POSITIVES = 10
MIN_KNOWN_SHARE = 0.05


def _own_auc(y: np.ndarray, values: np.ndarray) -> float:
    """An indicator's own AUC over the rows where it is known; NaN when those rows hold fewer
    than ``MIN_KNOWN_POSITIVES`` positives (a report-only indicator known for one country)."""
    known = ~np.isnan(values)
    if y[known].sum() < MIN_KNOWN_POSITIVES:
        return np.nan
    return _auc(y[known], values[known])


def _by(sample: pd.DataFrame, column: str) -> pd.DataFrame:
    """AUC of the score and the baseline, rows and positives, for each year or region."""

    def one(group: pd.DataFrame) -> pd.Series:
        y = group["y"].to_numpy(int)
        record = {
            "rows": len(group),
            "positives": int(y.sum()),
            "auc_score": _auc(y, group["score"].to_numpy(float)),
            "auc_score_nohist": _auc(y, group["score_nohist"].to_numpy(float)),
            "auc_baseline": _auc(y, group["deaths"].to_numpy(float)),
        }
        if column == "year":
            record["p30_score"] = precision_at(group, "score", 30)
        else:  # of the region's positives, the share its countries' world rank put in the top 30
            hit = group["world_rank"].to_numpy(float) <= WARN_TOP
            record["warned_share"] = float(hit[y == 1].mean()) if y.sum() else np.nan
        return pd.Series(record)

    groups = [(name, one(g)) for name, g in sample.groupby(column, sort=True)]
    return pd.DataFrame({name: s for name, s in groups}).T.rename_axis(column)


def _bands(sample: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """Rows, positives and the outcome rate in each band of the configured score."""
    names = [name for name, _ in spec.model.bands]
    edges = dict(spec.model.bands)
    grouped = sample.groupby("band")["y"].agg(["size", "sum"]).reindex(names, fill_value=0)
    grouped.columns = ["rows", "positives"]
    grouped["from"] = [edges[n] for n in grouped.index]
    grouped["rate"] = grouped["positives"] / grouped["rows"].replace(0, np.nan)
    total = max(int(sample["y"].sum()), 1)
    grouped["share_of_positives"] = grouped["positives"] / total
    return grouped.rename_axis("band")


def _reliability(tested: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed frequency in quantile bins, per probability contender."""
    parts = []
    for key in ("score", "score_raw", "baseline", "fitted"):
        p = tested[f"p_{key}"].to_numpy(float)
        y = tested["y"].to_numpy(float)
        edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
        which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
        frame = pd.DataFrame({"bin": which, "p": p, "y": y}).groupby("bin")
        agg = frame.agg(predicted=("p", "mean"), observed=("y", "mean"), n=("y", "size"))
        parts.append(agg.reset_index().assign(contender=key))
    return pd.concat(parts, ignore_index=True)


def _advice(
    contenders: pd.DataFrame,
    all_rows: pd.DataFrame,
    indicators: pd.DataFrame,
    spec: ModelSpec,
    outcome: str,
) -> list[str]:
    """What the figures say, in sentences: read beside the current weights."""
    out = []
    score, base = contenders.loc["score"], contenders.loc["baseline"]
    fitted = contenders.loc["fitted"]
    if score.auc < base.auc:
        out.append(
            f"The score ranks {outcome} worse than last year's battle deaths alone"
            f" (AUC {score.auc:.2f} against {base.auc:.2f} on the test years): as a warning"
            f" of {outcome} it does not beat conflict history."
        )
    else:
        out.append(
            f"The score ranks {outcome} better than last year's battle deaths alone"
            f" (AUC {score.auc:.2f} against {base.auc:.2f} on the test years)."
        )
    if fitted.auc - score.auc > 0.03:
        out.append(
            f"Fitted weights on the same indicators reach AUC {fitted.auc:.2f}: the inputs can"
            " do better than the expert weights; see the indicator table."
        )
    helpful = indicators[indicators["auc_loss_without"] > 0.005].sort_values(
        "auc_loss_without", ascending=False
    )
    harmful = indicators[indicators["auc_loss_without"] < -0.005].sort_values("auc_loss_without")
    if len(helpful):
        out.append(
            "Skill rests on "
            + ", ".join(f"{c} ({v:+.3f})" for c, v in helpful["auc_loss_without"].head(5).items())
            + " (AUC lost without each)."
        )
    if len(harmful):
        out.append(
            "Dropping "
            + ", ".join(f"{c} ({-v:+.3f})" for c, v in harmful["auc_loss_without"].head(5).items())
            + " would raise the AUC: consider lowering their weights."
        )
    under = indicators[indicators["fitted_share"] > 2 * indicators["expert_share"]]
    if len(under):
        out.append(
            "The fit gives far more weight than the experts to "
            + ", ".join(
                f"{c} ({r.fitted_share:.0%} vs {r.expert_share:.0%})" for c, r in under.iterrows()
            )
            + "."
        )
    return out


def _band_advice(
    sample: pd.DataFrame, spec: ModelSpec, edge: float, warned: float, outcome: str
) -> list[str]:
    """How many countries a year each band edge flags and what share of the outcomes it
    catches, beside a cut at the world's 30th score: whether the edges suit a warning."""
    n_years = max(sample["year"].nunique(), 1)
    positives = max(int(sample["y"].sum()), 1)
    parts = []
    for name, start in spec.model.bands:
        if start <= 0:
            continue
        above = sample["score"].to_numpy(float) >= start
        caught = float(sample["y"].to_numpy(float)[above].sum()) / positives
        parts.append(f"'{name}' (from {start:g}): {above.sum() / n_years:.1f} a year, {caught:.0%}")
    return [
        f"Band edges, countries flagged at or above each and the share of {outcome} they"
        " catch: " + "; ".join(parts) + f". The world's top 30 (a score of about {edge:.0f})"
        f" caught {warned:.0%}. A band meant to warn would start near {edge:.0f}; the"
        " configured edges are unchanged."
    ]
