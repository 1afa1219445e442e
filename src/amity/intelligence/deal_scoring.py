"""Predictive deal scoring: the chance that an open deal is won, learned from closed deals.

A calibrated logistic regression (the same fitting code as churn: standardise, L2 logistic
regression, Platt calibration by cross-validation, kept as plain numbers) is trained on won
and lost deals described as they were just before they closed (``deal_data``). It is checked
on a time-based hold-out, the latest quarter of closed deals, trained on the earlier ones:
ROC AUC, Brier score and a reliability table, shown to admins. Then it is refitted on all
closed deals and every open deal is scored as of now. Each score comes with the factors
that moved it most, in plain words (a deal's log-odds is a sum of one term per feature).

With too few closed deals (fewer than ``MIN_CLOSED``, or fewer than ``MIN_EACH`` won or
lost) nothing is learned: the fit is recorded as ``insufficient`` with a message saying what
is missing, and each open deal gets its stage's default probability (model ``rules``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from amity.core.clock import now
from amity.intelligence import churn
from amity.intelligence.deal_data import WORDS, DealRows, load_deals
from amity.intelligence.models import ModelFit
from amity.intelligence.pipeline import Fit
from amity.intelligence.tables import DealPrediction

Array = NDArray[np.float64]
MIN_CLOSED = 30
MIN_EACH = 8
HOLDOUT_SHARE = 0.25
TINY = 0.05  # a term smaller than this (in log-odds) is not worth naming


@dataclass(frozen=True)
class DealScoringResult:
    fit: ModelFit
    scored: int
    model: str  # deal-N or rules


def _split(rows: DealRows) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Closed deals in closing order: the earlier ones to train, the latest to test."""
    closed = np.flatnonzero(rows.won >= 0)
    order = closed[np.argsort(rows.closed_day[closed], kind="stable")]
    n_test = max(round(order.size * HOLDOUT_SHARE), 1)
    return order[:-n_test], order[-n_test:]


def _shortfall(y: NDArray[np.int64]) -> str | None:
    won, lost = int((y == 1).sum()), int((y == 0).sum())
    if won + lost >= MIN_CLOSED and won >= MIN_EACH and lost >= MIN_EACH:
        return None
    return (f"Too few closed deals to learn from: {won} won and {lost} lost; at least "
            f"{MIN_CLOSED} closed deals are needed, {MIN_EACH} or more of them won and as many "
            "lost. Open deals show their stage's default probability until then.")


def fit(rows: DealRows, *, seed: int = 0) -> tuple[Fit, churn.ChurnModel | None]:
    """Hold-out check on the latest closed deals, then a refit on all of them."""
    closed = np.flatnonzero(rows.won >= 0)
    y_all = rows.won[closed]
    message = _shortfall(y_all)
    if message is not None:
        return Fit("deal", "insufficient", message, samples=int(closed.size)), None
    train, test = _split(rows)
    holdout: dict[str, Any] | None = None
    if _shortfall(rows.won[train]) is None:
        first = churn.fit(rows.X[train], rows.won[train], rows.names, seed=seed)
        holdout = churn.evaluate(first, rows.X[test], rows.won[test])
        holdout.pop("precision_top_decile", None)
    final = churn.fit(rows.X[closed], y_all, rows.names, seed=seed)
    weights = sorted(zip(rows.names, final.coef, strict=True), key=lambda p: -abs(p[1]))
    diagnostics = {"holdout": holdout, "train_rows": int(train.size),
                   "holdout_message": None if holdout else
                   "The closed deals before the latest quarter are too few to train on "
                   "alone: no hold-out check yet.",
                   "holdout_rows": int(test.size), "won": int(y_all.sum()),
                   "lost": int(y_all.size - y_all.sum()),
                   "weights": [{"feature": n, "coef": float(c)} for n, c in weights]}
    params = {**final.as_dict(), "sources": [n.split(":", 1)[1] for n in rows.names
                                             if n.startswith("source:")]}
    return Fit("deal", "fitted", None, params, diagnostics, int(closed.size)), final


def _phrase(name: str, above: bool) -> str:
    if name.startswith("source:"):
        return f"came from {name.split(':', 1)[1]}"
    high, low = WORDS.get(name, (f"high {name}", f"low {name}"))
    return high if above else low


def explain(model: churn.ChurnModel, X: Array, k: int = 3) -> list[list[str]]:
    """Per row, up to ``k`` factors that moved the chance most, each saying which way."""
    terms = model.contributions(X)
    out: list[list[str]] = []
    for row in range(X.shape[0]):
        factors: list[str] = []
        for j in np.argsort(-np.abs(terms[row]), kind="stable"):
            if len(factors) == k or abs(terms[row, j]) <= TINY:
                break
            name = model.names[j]
            if name.startswith("source:") and X[row, j] == 0:
                continue  # "not from X" is no reason anyone would act on
            way = "raises" if terms[row, j] > 0 else "lowers"
            factors.append(f"{_phrase(name, bool(X[row, j] > model.mean[j]))} "
                           f"({way} the chance)")
        out.append(factors)
    return out


def rule_scores(rows: DealRows, idx: NDArray[np.int64]) -> tuple[Array, list[list[str]]]:
    """The fallback: the current stage's default probability, said so."""
    p = rows.stage_probability[idx]
    why = [[f"stage “{rows.stage_names[i]}” wins {rows.stage_probability[i]:.0%} by default "
            "(too few closed deals to learn from)"] for i in idx]
    return p, why


def score(rows: DealRows, model: churn.ChurnModel | None,
          ) -> tuple[NDArray[np.int64], Array, list[list[str]]]:
    """Probability and factors for every open deal (by rules when ``model`` is None)."""
    idx = np.flatnonzero(rows.won < 0)
    if model is None:
        p, why = rule_scores(rows, idx)
        return idx, p, why
    X = rows.X[idx]
    return idx, model.predict(X), explain(model, X)


def refresh_deal_scores(db: Session, *, at: datetime | None = None,
                        seed: int = 0) -> DealScoringResult:
    """Fit on the closed deals, record the fit, and rewrite every open deal's prediction."""
    from amity.intelligence.service import record_fit

    at = at or now()
    rows = load_deals(db, at=at)
    result, model = fit(rows, seed=seed)
    fit_row = record_fit(db, result, at=at)
    label = fit_row.label if model is not None else "rules"
    idx, p, why = score(rows, model)
    db.execute(delete(DealPrediction))
    values: list[dict[str, Any]] = [
        {"deal_id": rows.ids[i], "probability": float(p[j]), "model": label,
         "factors": why[j], "computed_at": at} for j, i in enumerate(idx)]
    if values:
        db.execute(insert(DealPrediction), values)
    return DealScoringResult(fit_row, len(values), label)
