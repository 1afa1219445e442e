"""The writes of the intelligence domain: record fits, store predictions, announce crossings.

``refresh`` is what the daily job and ``amity intelligence refresh`` run: read the history,
fit lifetime value and churn, record both fits (with their diagnostics, or why they could not
be made), upsert one prediction row per customer in bulk and publish
``contact.churn_risk_crossed`` once for each customer whose risk moved across the at-risk
threshold since the previous run (workflows can start on it).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.core import audit, events
from amity.core.clock import now
from amity.core.db import is_postgres
from amity.intelligence import pipeline
from amity.intelligence.data import day_number, load_history
from amity.intelligence.models import CustomerPrediction, ModelFit

WRITE_BATCH = 5_000
CLV_COLUMNS = ("currency", "purchases_3m", "purchases_6m", "purchases_12m", "revenue_3m",
               "revenue_6m", "revenue_12m", "p_alive", "clv", "clv_model")
CHURN_COLUMNS = ("churn_risk", "at_risk", "churn_reasons", "churn_model")


@dataclass(frozen=True)
class ChurnRiskCrossed(events.DomainEvent):
    """The customer's churn risk reached the at-risk threshold (``up``) or fell below it."""

    type = "contact.churn_risk_crossed"
    contact_id: uuid.UUID
    risk: float = 0.0
    threshold: float = 0.5
    direction: str = "up"
    model: str = ""


@dataclass(frozen=True)
class RefreshResult:
    customers: int
    clv: ModelFit
    churn: ModelFit
    crossed_up: int
    crossed_down: int
    skipped_orders: int


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


def refresh(db: Session, *, currency: str, base: str | None,
            options: pipeline.Options | None = None, at: datetime | None = None,
            ) -> RefreshResult:
    """Fit both models on the history before ``at`` (default now) and store every
    customer's predictions."""
    opts = options or pipeline.Options()
    at = at or now()
    loaded = load_history(db, currency=currency, base=base, at=at)
    h, day = loaded.history, day_number(at)
    clv_fit, bg, gg = pipeline.fit_clv(h, day, opts.seed)
    churn_fit, model = pipeline.fit_churn(h, day, opts)
    clv_row = record_fit(db, clv_fit, at=at)
    churn_row = record_fit(db, churn_fit, at=at)
    values: dict[str, Any] = {}
    if bg is not None and gg is not None:
        values = pipeline.score_clv(h, day, bg, gg, opts)
    risk, reasons = pipeline.score_churn(h, day, model)
    churn_label = churn_row.label if model is not None else "rules"
    rows = []
    for i, key in enumerate(h.keys):
        row: dict[str, Any] = {"contact_id": key, "computed_at": at,
                               "churn_risk": _num(risk[i]),
                               "at_risk": bool(risk[i] >= opts.at_risk_threshold),
                               "churn_reasons": reasons[i], "churn_model": churn_label}
        if values:
            row.update({name: _num(col[i]) for name, col in values.items()},
                       currency=loaded.currency, clv_model=clv_row.label)
        rows.append(row)
    up, down = _crossings(db, rows, opts.at_risk_threshold, churn_label)
    write_predictions(db, rows, columns=(CHURN_COLUMNS + CLV_COLUMNS) if values
                      else CHURN_COLUMNS)
    return RefreshResult(len(rows), clv_row, churn_row, up, down, loaded.skipped_orders)


def _crossings(db: Session, rows: list[dict[str, Any]], threshold: float,
               model: str) -> tuple[int, int]:
    before: dict[uuid.UUID, bool] = {}
    ids = [r["contact_id"] for r in rows]
    for i in range(0, len(ids), WRITE_BATCH):
        before.update(db.execute(select(CustomerPrediction.contact_id,
                                        CustomerPrediction.at_risk)
                                 .where(CustomerPrediction.contact_id.in_(
                                     ids[i:i + WRITE_BATCH]))).all())
    up = down = 0
    for r in rows:
        was = before.get(r["contact_id"], False)
        if r["at_risk"] != was:
            direction = "up" if r["at_risk"] else "down"
            up, down = up + (direction == "up"), down + (direction == "down")
            events.publish(db, ChurnRiskCrossed(contact_id=r["contact_id"],
                                                risk=float(r["churn_risk"] or 0.0),
                                                threshold=threshold, direction=direction,
                                                model=model))
    return up, down


def write_predictions(db: Session, rows: list[dict[str, Any]], *,
                      columns: tuple[str, ...]) -> None:
    """Upsert in batches: new customers get a row, known ones have ``columns`` replaced
    (the other columns, e.g. the best time to contact, are left as they are)."""
    if not rows:
        return
    dialect = postgresql if is_postgres(db) else sqlite
    for i in range(0, len(rows), WRITE_BATCH):
        batch = rows[i:i + WRITE_BATCH]
        stmt = dialect.insert(CustomerPrediction)
        cols = (*(c for c in columns if c in batch[0]), "computed_at")
        stmt = stmt.on_conflict_do_update(index_elements=["contact_id"],
                                          set_={c: stmt.excluded[c] for c in cols})
        db.execute(stmt, [{"at_risk": False, "churn_reasons": [], **r} for r in batch])
