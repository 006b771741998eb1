"""Weight calibration aid: weights fitted on an event ledger, beside the expert weights.

The score is a weighted mean of normalised indicators, so the log-odds of "an event of the
ledger within the next H months" modelled as ``b + sum(beta_i * s_i)`` on the same normalised
values ``s_i`` gives weights directly: ``beta_i`` plays the part of indicator i's effective weight.
The fit is scikit-learn's ``LogisticRegression`` (L2, ``C``). It has no sign constraint, so
non-negativity is kept by elimination: refit without the most negative indicator until every
coefficient is >= 0 (a negative weight would mean "this fragility sign makes a crisis less
likely", which the index cannot express). Indicators that are stale in a month are filled with
their mean over the training months, never with later values.

Out-of-sample scores come from ``TimeSeriesSplit`` with a gap of H months between the training
and the test months, because a training month's target looks H months ahead: without the gap,
its label would already know the test months' events. Fitted weights, the expert weights (the
configured score with only its link to a probability fitted on the training months), the raw
expert score read as a probability, and the training base rate are all scored on the same
test months.

This module advises: nothing here writes the model configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fragwatch.scoring.framework import Framework

CONTENDERS = (
    ("fitted", "fitted weights"),
    ("expert", "expert weights (fitted link)"),
    ("expert_raw", "expert score / 100"),
    ("base_rate", "base rate of the training months"),
)


@dataclass(frozen=True)
class Fold:
    train_from: pd.Timestamp
    train_to: pd.Timestamp
    test_from: pd.Timestamp
    test_to: pd.Timestamp
    train_positives: int
    test_positives: int
    usable: bool  # False when the training months hold one class only (nothing to fit)


@dataclass(frozen=True)
class Calibration:
    weights: pd.DataFrame  # index code: dimension, expert_share, fitted_share, coefficient
    intercept: float
    months: int  # months with a score and a known outcome
    positives: int
    horizon_months: int
    C: float
    folds: list[Fold]
    out_of_sample: pd.DataFrame  # index contender key: label, auc, brier (over the test months)
    test_months: int
    test_positives: int

    @property
    def suggests(self) -> bool:
        """False when no indicator is positively associated with the events: no suggestion."""
        return bool(self.weights["coefficient"].gt(0).any())

    def suggested_weights(self) -> dict[str, float]:
        """Indicator and dimension weights that give the fitted shares under the model's
        hierarchy: each indicator's weight is its share (in %), each dimension's the sum of its
        indicators' shares, so dimension share x share within it = the fitted share."""
        shares = 100.0 * self.weights["fitted_share"].fillna(0.0)
        weights = {code: round(float(w), 2) for code, w in shares.items()}
        by_dimension = shares.groupby(self.weights["dimension"], sort=False).sum()
        weights.update({dim: round(float(w), 2) for dim, w in by_dimension.items()})
        return weights

    def to_dict(self) -> dict:
        def num(x: float) -> float | None:
            return None if x is None or np.isnan(x) else round(float(x), 4)

        return {
            "horizon_months": self.horizon_months,
            "months": self.months,
            "positives": self.positives,
            "C": self.C,
            "intercept": num(self.intercept),
            "weights": [
                {
                    "code": code,
                    "dimension": row.dimension,
                    "expert_share": num(row.expert_share),
                    "fitted_share": num(row.fitted_share),
                    "coefficient": num(row.coefficient),
                }
                for code, row in self.weights.iterrows()
            ],
            "folds": [
                {
                    "train": [str(f.train_from.date()), str(f.train_to.date())],
                    "test": [str(f.test_from.date()), str(f.test_to.date())],
                    "train_positives": f.train_positives,
                    "test_positives": f.test_positives,
                    "usable": f.usable,
                }
                for f in self.folds
            ],
            "test_months": self.test_months,
            "test_positives": self.test_positives,
            "out_of_sample": {
                key: {"label": row.label, "auc": num(row.auc), "brier": num(row.brier)}
                for key, row in self.out_of_sample.iterrows()
            },
        }


def expert_shares(framework: Framework) -> pd.Series:
    """Each indicator's share of the index when every indicator has evidence."""
    ind = framework.indicators
    dims = framework.dimension_weights
    within = ind["weight"] / ind.groupby("parent")["weight"].transform("sum")
    return within * ind["parent"].map(dims / dims.sum())


def splits_fit(months: int, splits: int, gap: int) -> bool:
    """Whether ``TimeSeriesSplit(splits, gap=gap)`` can split this many months: each test
    block holds months // (splits + 1) months and the first training block must keep one."""
    test = months // (splits + 1)
    return test >= 1 and months - gap - test * splits >= 1


def fit_nonnegative(x: np.ndarray, y: np.ndarray, C: float) -> tuple[np.ndarray, float]:
    """Logistic regression coefficients (all >= 0) and intercept; columns whose coefficient
    would be negative are dropped one at a time (the most negative first) and refitted."""
    from sklearn.linear_model import LogisticRegression

    coef = np.zeros(x.shape[1])
    active = list(range(x.shape[1]))
    while active:
        fit = LogisticRegression(C=C, max_iter=1000).fit(x[:, active], y)
        beta = fit.coef_[0]
        if (beta >= 0).all():
            coef[active] = beta
            return coef, float(fit.intercept_[0])
        del active[int(np.argmin(beta))]
    rate = float(np.clip(y.mean(), 1e-9, 1 - 1e-9))
    return coef, float(np.log(rate / (1 - rate)))  # nothing positive: intercept only


def _fill(train: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Stale cells take their column's mean over the training rows (0 if never observed there,
    where the column cannot get a weight anyway: it is constant)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Mean of empty slice": handled below
        mean = np.nanmean(train, axis=0)
    mean = np.where(np.isnan(mean), 0.0, mean)
    return tuple(np.where(np.isnan(a), mean, a) for a in (train, *others))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _link_fit(score: np.ndarray, y: np.ndarray, C: float) -> tuple[float, float]:
    """Slope and intercept of the expert score's logistic link (its weights stay as they are)."""
    slope, intercept = fit_nonnegative(score[:, None], y, C)
    return float(slope[0]), intercept


def calibrate(
    normalised: pd.DataFrame,
    score: pd.Series,
    y: np.ndarray,
    framework: Framework,
    *,
    horizon: int,
    splits: int = 5,
    C: float = 1.0,
) -> Calibration:
    """Fit non-negative weights on months with a score and a known outcome ``y`` (0/1, NaN
    unknown), and score them out of sample with time-ordered splits.

    ``normalised`` (index month ends, columns indicator codes) and ``score`` are the
    point-in-time panel of the same months; ``y`` is aligned with them.
    """
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import TimeSeriesSplit

    codes = framework.codes
    sample = ~np.isnan(np.asarray(y, float)) & score.notna().to_numpy()
    x = normalised.loc[sample, codes].to_numpy(float)
    ys = np.asarray(y, float)[sample].astype(int)
    points = score.to_numpy(float)[sample] / 100.0
    dates = normalised.index[sample]
    if len(ys) == 0 or len(np.unique(ys)) < 2:
        raise ValueError("needs months both with and without an event ahead")

    (full,) = _fill(x)
    coef, intercept = fit_nonnegative(full, ys, C)
    total = coef.sum()
    weights = pd.DataFrame(
        {
            "dimension": framework.indicators["parent"].to_numpy(),
            "expert_share": expert_shares(framework).to_numpy(float),
            "fitted_share": coef / total if total > 0 else np.full(len(coef), np.nan),
            "coefficient": coef,
        },
        index=pd.Index(codes, name="code"),
    )

    folds: list[Fold] = []
    predicted = {key: np.full(len(ys), np.nan) for key, _ in CONTENDERS}
    tested = np.zeros(len(ys), dtype=bool)
    for train, test in TimeSeriesSplit(n_splits=splits, gap=horizon).split(x):
        usable = len(np.unique(ys[train])) == 2
        span = (dates[train[0]], dates[train[-1]], dates[test[0]], dates[test[-1]])
        folds.append(Fold(*span, int(ys[train].sum()), int(ys[test].sum()), usable))
        if not usable:
            continue
        x_train, x_test = _fill(x[train], x[test])
        b, b0 = fit_nonnegative(x_train, ys[train], C)
        slope, s0 = _link_fit(points[train], ys[train], C)
        predicted["fitted"][test] = _sigmoid(b0 + x_test @ b)
        predicted["expert"][test] = _sigmoid(s0 + slope * points[test])
        predicted["expert_raw"][test] = points[test]
        predicted["base_rate"][test] = ys[train].mean()
        tested[test] = True

    truth = ys[tested]
    both = len(np.unique(truth)) == 2
    rows = []
    for key, label in CONTENDERS:
        p = predicted[key][tested]
        # A constant forecast ranks nothing: its AUC is not defined.
        ranks = both and key != "base_rate"
        rows.append(
            {
                "key": key,
                "label": label,
                "auc": float(roc_auc_score(truth, p)) if ranks else np.nan,
                "brier": float(brier_score_loss(truth, p)) if len(truth) else np.nan,
            }
        )
    return Calibration(
        weights=weights,
        intercept=intercept,
        months=len(ys),
        positives=int(ys.sum()),
        horizon_months=horizon,
        C=C,
        folds=folds,
        out_of_sample=pd.DataFrame(rows).set_index("key"),
        test_months=int(tested.sum()),
        test_positives=int(truth.sum()),
    )
