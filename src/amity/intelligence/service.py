"""The writes of the intelligence domain: record fits, store predictions, announce crossings.

``refresh`` is what the daily job and ``amity intelligence refresh`` run: read the history,
fit lifetime value and churn, record both fits (with their diagnostics, or why they could not
be made), upsert one prediction row per customer in bulk and publish
``contact.churn_risk_crossed`` once for each customer whose risk moved across the at-risk
threshold since the previous run (workflows can start on it).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amity.core import audit
from amity.core.clock import now
from amity.intelligence import pipeline, prediction_store
from amity.intelligence.data import day_number, load_history
from amity.intelligence.models import ModelFit

ChurnRiskCrossed = prediction_store.ChurnRiskCrossed
CLV_COLUMNS = prediction_store.CLV_COLUMNS
CHURN_COLUMNS = prediction_store.CHURN_COLUMNS
write_predictions = prediction_store.write_predictions


@dataclass(frozen=True)
class RefreshResult:
    customers: int
    clv: ModelFit
    churn: ModelFit
    crossed_up: int
    crossed_down: int
    skipped_orders: int
    # seconds per phase (read, fit, score, write): wall and this process's CPU
    timings: dict[str, tuple[float, float]] = field(default_factory=dict)


def record_fit(db: Session, fit: pipeline.Fit, *, at: datetime) -> ModelFit:
    latest = db.scalar(select(func.max(ModelFit.version)).where(ModelFit.kind == fit.kind))
    row = ModelFit(kind=fit.kind, version=int(latest or 0) + 1, status=fit.status,
                   message=fit.message, params=_plain(fit.params),
                   diagnostics=_plain(fit.diagnostics), samples=fit.samples, trained_at=at)
    db.add(row)
    db.flush()
    audit.record(db, actor_id=None, action="model_fitted", entity_type="model_fit",
                 entity_id=row.id, changes={"kind": fit.kind, "version": row.version,
                                            "status": fit.status})
    return row


def _plain(value: Any) -> Any:
    """JSON-safe: numpy scalars become floats, NaN and infinities become null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _num(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


class _Phases:
    def __init__(self) -> None:
        self.times: dict[str, tuple[float, float]] = {}
        self._mark = (time.perf_counter(), time.process_time())

    def done(self, name: str) -> None:
        mark = (time.perf_counter(), time.process_time())
        self.times[name] = (mark[0] - self._mark[0], mark[1] - self._mark[1])
        self._mark = mark


def refresh(db: Session, *, currency: str, base: str | None,
            options: pipeline.Options | None = None, at: datetime | None = None,
            ) -> RefreshResult:
    """Fit both models on the history before ``at`` (default now) and store every
    customer's predictions."""
    opts = options or pipeline.Options()
    at = at or now()
    phases = _Phases()
    loaded = load_history(db, currency=currency, base=base, at=at)
    h, day = loaded.history, day_number(at)
    phases.done("read")
    clv_fit, bg, gg = pipeline.fit_clv(h, day, opts.seed)
    churn_fit, model = pipeline.fit_churn(h, day, opts)
    clv_row = record_fit(db, clv_fit, at=at)
    churn_row = record_fit(db, churn_fit, at=at)
    phases.done("fit")
    values: dict[str, Any] = {}
    if bg is not None and gg is not None:
        values = pipeline.score_clv(h, day, bg, gg, opts)
    risk, reasons = pipeline.score_churn(h, day, model)
    phases.done("score")
    scores = prediction_store.Scores(
        h.keys, risk, reasons, churn_row.label if model is not None else "rules",
        opts.at_risk_threshold, values, clv_row.label if values else None,
        loaded.currency if values else None)
    up, down = prediction_store.store(db, scores, at=at)
    phases.done("write")
    return RefreshResult(h.size, clv_row, churn_row, up, down, loaded.skipped_orders,
                         phases.times)
