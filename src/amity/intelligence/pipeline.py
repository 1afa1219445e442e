"""Fit and score from a ``History`` (no database): the part the jobs, the CLI and the
benchmark share. Each ``fit_*`` returns a ``Fit`` (status, message, parameters, diagnostics);
with too little history the status is ``insufficient`` and the message says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from amity.intelligence import churn, clv
from amity.intelligence.features import (
    HORIZON_DAYS,
    NAMES,
    WORDS,
    History,
    features,
    labels,
    rule_risk,
)

Array = NDArray[np.float64]
MIN_CLV_CUSTOMERS = 20
MIN_REPEAT_BUYERS = 5
MIN_TRAIN_ROWS = 40
MIN_CLASS_ROWS = 8
HORIZONS_MONTHS = (3, 6, 12)
# Parameters describe the population: beyond this many customers a seeded random sample of
# them is fitted (standard errors shrink as 1/sqrt(n): at 200,000 they are far below the
# digits shown) and everyone is scored with the result. The same holds for the churn
# model's ten coefficients (its hold-out evaluation uses every hold-out customer).
FIT_SAMPLE = 200_000


@dataclass(frozen=True)
class Options:
    at_risk_threshold: float = 0.5
    annual_discount: float = 0.10
    clv_months: int = 12
    seed: int = 0


@dataclass
class Fit:
    kind: str
    status: str  # fitted / insufficient / failed
    message: str | None
    params: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    samples: int = 0


def _summary(h: History, end_day: float) -> clv.Summary:
    return clv.summarise(h.order_key, h.order_day, h.order_amount, end_day=end_day)


def _sample(n: int, seed: int) -> NDArray[np.int64]:
    if n <= FIT_SAMPLE:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, FIT_SAMPLE, replace=False))


def _holdout(h: History, at: float, seed: int = 0) -> dict[str, Any]:
    """Fit on all but the last part of the history and compare the purchases it predicts for
    that part with what customers actually did, by number of repeat purchases before it."""
    if h.order_day.size == 0:
        return {"holdout": None, "holdout_message": "no orders"}
    span = at - float(h.order_day.min())
    days = float(min(182.0, np.floor(span / 3)))
    if days < 28:
        return {"holdout": None,
                "holdout_message": "less than 12 weeks of orders: no hold-out check yet"}
    split = at - days
    cal = _summary(h, split)
    pick = _sample(cal.keys.size, seed)
    try:
        bg = clv.fit_bgnbd(cal.x[pick], cal.t_x[pick], cal.T[pick])
    except clv.FitError as exc:
        return {"holdout": None, "holdout_message": str(exc)}
    window = (h.order_day >= np.floor(split) + 1) & (h.order_day < at)
    pairs = np.unique(np.column_stack([h.order_key[window], np.floor(h.order_day[window])]),
                      axis=0)
    actual = np.bincount(pairs[:, 0].astype(np.int64), minlength=h.size)[cal.keys] \
        if pairs.size else np.zeros(cal.keys.size)
    predicted = clv.expected_purchases(bg, days / 7.0, cal.x, cal.t_x, cal.T)
    groups = np.minimum(cal.x, 7).astype(int)
    table = [{"repeat_purchases": f"{g}+" if g == 7 else str(g), "customers": int(m.sum()),
              "predicted": float(predicted[m].mean()), "actual": float(actual[m].mean())}
             for g in range(8) if (m := groups == g).any()]
    return {"holdout": {"weeks": round(days / 7.0, 2), "customers": int(cal.keys.size),
                        "predicted_total": float(predicted.sum()),
                        "actual_total": float(actual.sum()), "by_frequency": table,
                        "params": {k: v for k, v in bg.as_dict().items()
                                   if k in ("r", "alpha", "a", "b")}}}


def fit_clv(h: History, at: float,
            seed: int = 0) -> tuple[Fit, clv.BgNbd | None, clv.GammaGamma | None]:
    s = _summary(h, at)
    repeat = int((s.x > 0).sum())
    if s.keys.size < MIN_CLV_CUSTOMERS or repeat < MIN_REPEAT_BUYERS:
        return Fit("clv", "insufficient",
                   f"Lifetime value needs at least {MIN_CLV_CUSTOMERS} customers with orders "
                   f"and {MIN_REPEAT_BUYERS} who bought again; there are {s.keys.size} and "
                   f"{repeat}.", samples=int(s.keys.size)), None, None
    pick = _sample(s.keys.size, seed)
    try:
        bg = clv.fit_bgnbd(s.x[pick], s.t_x[pick], s.T[pick])
        gg = clv.fit_gamma_gamma(s.x[pick], s.m_x[pick])
    except clv.FitError as exc:
        return Fit("clv", "failed", str(exc), samples=int(s.keys.size)), None, None
    diagnostics = {"bgnbd_log_likelihood": bg.log_likelihood,
                   "gamma_gamma_log_likelihood": gg.log_likelihood,
                   "repeat_customers": repeat, "fitted_on": int(pick.size),
                   **_holdout(h, at, seed)}
    params = {"bgnbd": bg.as_dict(), "gamma_gamma": gg.as_dict()}
    return Fit("clv", "fitted", None, params, diagnostics, int(s.keys.size)), bg, gg


def score_clv(h: History, at: float, bg: clv.BgNbd, gg: clv.GammaGamma,
              opts: Options) -> dict[str, Array]:
    """Per customer (in ``h.keys`` order): purchases and revenue over 3/6/12 months,
    P(alive) and the discounted value of the next ``opts.clv_months`` months."""
    s = _summary(h, at)
    spend = clv.expected_spend(gg, s.x, s.m_x)
    fallback = float(s.m_x[s.x > 0].mean()) if (s.x > 0).any() else 0.0
    spend = np.where(np.isfinite(spend), spend, fallback)
    out: dict[str, Array] = {"p_alive": clv.p_alive(bg, s.x, s.t_x, s.T)}
    # each month's cumulative expected purchases once (the hypergeometric function is the
    # costly part): the horizons and the discounted value both read them
    upto: dict[int, Array] = {}
    for month in range(1, max(opts.clv_months, *HORIZONS_MONTHS) + 1):
        upto[month] = clv.expected_purchases(bg, month * clv.WEEKS_PER_MONTH, s.x, s.t_x, s.T)
    for months in HORIZONS_MONTHS:
        out[f"purchases_{months}m"] = upto[months]
        out[f"revenue_{months}m"] = upto[months] * spend
    out["clv"] = clv.discounted_value(
        [upto[m] for m in range(1, opts.clv_months + 1)], spend,
        annual_discount=opts.annual_discount)
    # summarise() keeps customers in key order; map back to every customer of the history
    full: dict[str, Array] = {}
    for name, values in out.items():
        col = np.full(h.size, np.nan)
        col[s.keys] = values
        full[name] = col
    return full


def fit_churn(h: History, at: float, opts: Options) -> tuple[Fit, churn.ChurnModel | None]:
    """Train at ``at - 2 horizons`` (labelled by the next horizon), test on the customers of
    ``at - 1 horizon`` (a later, unseen period), then refit on both for today's scores."""
    t0, t1 = at - 2 * HORIZON_DAYS, at - HORIZON_DAYS
    X0, a0 = features(h, t0)
    X1, a1 = features(h, t1)
    y0, y1 = labels(h, t0)[a0], labels(h, t1)[a1]
    X0, X1 = X0[a0], X1[a1]
    short = [f"{what}: {len(y)} customers, {int(y.sum())} churned and {int(len(y) - y.sum())} "
             "stayed" for what, y in (("training period", y0), ("hold-out period", y1))
             if len(y) < MIN_TRAIN_ROWS // (2 if what.startswith("hold") else 1)
             or y.sum() < MIN_CLASS_ROWS // 2 or len(y) - y.sum() < MIN_CLASS_ROWS // 2]
    if short:
        return Fit("churn", "insufficient",
                   "Too little history to learn churn from (" + "; ".join(short) + f"; "
                   f"need at least {MIN_TRAIN_ROWS} customers active half a year ago with "
                   "some who churned and some who stayed). Risk is estimated by rules: time "
                   "since the last purchase against the customer's usual gap.",
                   samples=int(len(y0) + len(y1))), None
    train = _sample(len(y0), opts.seed)
    model = churn.fit(X0[train], y0[train], NAMES, seed=opts.seed)
    evaluation = churn.evaluate(model, X1, y1)  # on every hold-out customer
    both, labels_both = np.vstack([X0, X1]), np.concatenate([y0, y1])
    train = _sample(len(labels_both), opts.seed)
    final = churn.fit(both[train], labels_both[train], NAMES, seed=opts.seed)
    weights = sorted(zip(NAMES, final.coef, strict=True), key=lambda p: -abs(p[1]))
    diagnostics = {"holdout": evaluation, "train_rows": len(y0),
                   "horizon_days": HORIZON_DAYS,
                   "weights": [{"feature": n, "coef": float(c)} for n, c in weights]}
    params = {**final.as_dict(), "threshold": opts.at_risk_threshold}
    return Fit("churn", "fitted", None, params, diagnostics, int(len(y0) + len(y1))), final


@dataclass
class Reasons:
    """Every customer's churn reasons without a list per customer: ``index[i]`` points into
    ``texts`` (the distinct reason lists; ``texts[0]`` is the empty list)."""

    index: NDArray[np.int64]
    texts: list[list[str]]

    def of(self, i: int) -> list[str]:
        return self.texts[int(self.index[i])]

    @classmethod
    def from_lists(cls, n: int, rows: NDArray[np.int64], lists: list[list[str]]) -> Reasons:
        """``lists[j]`` for customer ``rows[j]``; the others get no reason."""
        seen: dict[tuple[str, ...], int] = {(): 0}
        index = np.zeros(n, dtype=np.int64)
        for i, reasons in zip(rows.tolist(), lists, strict=True):
            index[i] = seen.setdefault(tuple(reasons), len(seen))
        return cls(index, [list(t) for t in seen])


def score_churn(h: History, at: float, model: churn.ChurnModel | None) -> tuple[Array, Reasons]:
    """Risk for active customers (NaN for those who have not bought for a year) and the
    plain-words reasons; by the rules when ``model`` is None."""
    X, active = features(h, at)
    risk = np.full(h.size, np.nan)
    idx = np.flatnonzero(active)
    if idx.size == 0:
        return risk, Reasons(np.zeros(h.size, dtype=np.int64), [[]])
    if model is None:
        r, why = rule_risk(X[idx])
        risk[idx] = r
        return risk, Reasons.from_lists(h.size, idx, why)
    risk[idx] = model.predict(X[idx])
    codes = np.zeros(h.size, dtype=np.int64)  # 0: no reason
    codes[idx] = churn.factor_codes(model, X[idx])
    index, texts = churn.describe(model, codes, WORDS)
    if texts[0]:  # nobody without reasons: keep texts[0] the empty list
        index, texts = index + 1, [[], *texts]
    return risk, Reasons(index, texts)
