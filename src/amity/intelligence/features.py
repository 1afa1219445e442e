"""Churn features and labels as of any day, computed with numpy from the customers' history.

``History`` holds every customer's orders, interactions, tickets and survey answers as flat
arrays (customer index, day number, value); interactions, tickets and survey answers may
instead come counted (``*_weight``: how many events a row stands for, at a day inside the
90-day bucket they were counted in, as ``data.load_history`` reads them: every window below
is made of whole buckets before the scoring day). Features "as of day d" use only what
happened before d, so the same code builds the training rows (at an earlier day, labelled by what
happened next) and the rows scored today: a time-based hold-out by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Index = NDArray[np.int64]
HORIZON_DAYS = 90  # churned = no purchase in the next 90 days
ACTIVE_DAYS = 365  # only customers who bought in the year before are at risk of churning
BUCKET_DAYS = 90  # the windows of the engagement features (= HORIZON_DAYS: see fit_churn)

NAMES = ["recency_days", "orders_365", "log_spend_365", "tenure_days", "orders_trend",
         "touches_90", "touches_trend", "tickets_90", "csat_avg", "csat_missing"]
# (said when the value is above average, said when below) - the reasons shown to people
WORDS: dict[str, tuple[str, str]] = {
    "recency_days": ("a long time since the last purchase", "bought recently"),
    "orders_365": ("buys often", "few purchases in the last year"),
    "log_spend_365": ("high spend in the last year", "low spend in the last year"),
    "tenure_days": ("long-standing customer", "new customer"),
    "orders_trend": ("buying more than the quarter before",
                     "buying less than the quarter before"),
    "touches_90": ("many recent interactions", "few interactions in the last 90 days"),
    "touches_trend": ("engagement rising", "engagement falling"),
    "tickets_90": ("several support tickets in the last 90 days", "no recent support tickets"),
    "csat_avg": ("high satisfaction scores", "low satisfaction scores"),
    "csat_missing": ("never answered a satisfaction survey", "answers satisfaction surveys"),
}


def _empty() -> Array:
    return np.zeros(0)


def _empty_idx() -> Index:
    return np.zeros(0, dtype=np.int64)


@dataclass
class History:
    keys: NDArray[Any]  # customer ids; every other array indexes into this
    order_key: Index = field(default_factory=_empty_idx)
    order_day: Array = field(default_factory=_empty)
    order_amount: Array = field(default_factory=_empty)
    touch_key: Index = field(default_factory=_empty_idx)
    touch_day: Array = field(default_factory=_empty)
    touch_weight: Array | None = None  # None: one event a row
    ticket_key: Index = field(default_factory=_empty_idx)
    ticket_day: Array = field(default_factory=_empty)
    ticket_weight: Array | None = None
    survey_key: Index = field(default_factory=_empty_idx)
    survey_day: Array = field(default_factory=_empty)
    survey_score: Array = field(default_factory=_empty)  # the sum of the row's answers
    survey_weight: Array | None = None

    @property
    def size(self) -> int:
        return len(self.keys)


def _count(key: Index, day: Array, lo: float, hi: float, n: int,
           weight: Array | None = None) -> Array:
    m = (day >= lo) & (day < hi)
    if weight is not None:
        return np.asarray(np.bincount(key[m], weights=weight[m], minlength=n), dtype=np.float64)
    return np.bincount(key[m], minlength=n).astype(np.float64)


def _sum(key: Index, day: Array, value: Array, lo: float, hi: float, n: int) -> Array:
    m = (day >= lo) & (day < hi)
    return np.asarray(np.bincount(key[m], weights=value[m], minlength=n), dtype=np.float64)


def features(h: History, at: float) -> tuple[Array, NDArray[np.bool_]]:
    """Rows for every customer as of day ``at``, and which of them are active customers
    (bought before ``at`` and within the last year): only those are trained on and scored."""
    n = h.size
    before = h.order_day < at
    first = np.full(n, np.inf)
    last = np.full(n, -np.inf)
    np.minimum.at(first, h.order_key[before], h.order_day[before])
    np.maximum.at(last, h.order_key[before], h.order_day[before])
    active = np.isfinite(last) & (last >= at - ACTIVE_DAYS)
    recency = np.where(np.isfinite(last), at - last, ACTIVE_DAYS)
    tenure = np.where(np.isfinite(first), at - first, 0.0)
    orders_365 = _count(h.order_key, h.order_day, at - 365, at, n)
    spend_365 = _sum(h.order_key, h.order_day, h.order_amount, at - 365, at, n)
    recent = _count(h.order_key, h.order_day, at - 90, at, n)
    previous = _count(h.order_key, h.order_day, at - 180, at - 90, n)
    touches = _count(h.touch_key, h.touch_day, at - 90, at, n, h.touch_weight)
    touches_prev = _count(h.touch_key, h.touch_day, at - 180, at - 90, n, h.touch_weight)
    tickets = _count(h.ticket_key, h.ticket_day, at - 90, at, n, h.ticket_weight)
    answers = _count(h.survey_key, h.survey_day, -np.inf, at, n, h.survey_weight)
    score_sum = _sum(h.survey_key, h.survey_day, h.survey_score, -np.inf, at, n)
    answered = answers > 0
    overall = float(score_sum.sum() / answers.sum()) if answers.sum() else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        csat = np.where(answered, score_sum / np.maximum(answers, 1), overall)
    X = np.column_stack([recency, orders_365, np.log1p(np.maximum(spend_365, 0)), tenure,
                         recent - previous, touches, touches - touches_prev, tickets, csat,
                         (~answered).astype(np.float64)])
    return X, active


def labels(h: History, at: float, horizon: float = HORIZON_DAYS) -> NDArray[np.int64]:
    """1 where the customer made no purchase in ``[at, at + horizon)``."""
    bought = _count(h.order_key, h.order_day, at, at + horizon, h.size) > 0
    return (~bought).astype(np.int64)


def rule_risk(X: Array) -> tuple[Array, list[list[str]]]:
    """The fallback when there is too little history to learn from: risk grows with the
    time since the last purchase measured in the customer's own usual gap between purchases
    (a year's orders spread over the year; 90 days for one-off buyers), halved at two gaps;
    low satisfaction and recent tickets are named as reasons."""
    recency, orders, tenure = X[:, 0], X[:, 1], X[:, 3]
    gap = np.where(orders > 1, np.minimum(tenure, 365) / np.maximum(orders, 1), 90.0)
    gap = np.maximum(gap, 7.0)
    risk = 1.0 - np.exp(-np.log(2) * recency / (2 * gap))
    reasons: list[list[str]] = []
    for i in range(X.shape[0]):
        r = []
        if recency[i] > 1.5 * gap[i]:
            r.append(f"no purchase for {int(recency[i])} days, "
                     f"{recency[i] / gap[i]:.1f} times their usual gap")
        if X[i, 7] >= 2:
            r.append(f"{int(X[i, 7])} support tickets in the last 90 days")
        if X[i, 9] == 0 and X[i, 8] < 3:
            r.append(f"low satisfaction scores (average {X[i, 8]:.1f})")
        if X[i, 6] < 0:
            r.append("engagement falling")
        reasons.append(r)
    return np.asarray(risk, dtype=np.float64), reasons
