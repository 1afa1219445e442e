"""Predictions: the fitted models and their diagnostics (``/intelligence/models``:
settings.view), a refit on request (``POST /intelligence/refresh``: settings.edit, 202, the
workers do it), a contact's predictions (whoever may see the contact) and the at-risk list
(contacts.view, scoped to the contacts the reader may see). Nothing is computed here."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Select

from amity.api.deps import CurrentUser, Cursor, DbSession, Limit
from amity.auth.access import Permission, access_record, require, scoped
from amity.contacts.models import Contact
from amity.core.schemas import PageOut
from amity.intelligence import queries
from amity.intelligence.schemas import (
    AtRiskRead,
    BestTimeRead,
    FitRead,
    PredictionRead,
    RefreshRequest,
)
from amity.jobs import intelligence as intelligence_jobs

router = APIRouter(tags=["intelligence"])


@router.get("/intelligence/models", response_model=list[FitRead],
            summary="Latest fit of each model",
            description="With its diagnostics (log-likelihood and hold-out calibration for "
                        "lifetime value; ROC AUC, precision in the riskiest tenth and a "
                        "reliability table for churn) or the message saying why it could "
                        "not be fitted.")
def latest_models(db: DbSession, user: CurrentUser) -> list[Any]:
    require(user, Permission.SETTINGS_VIEW)
    return [f for f in queries.latest_fits(db).values() if f is not None]


@router.post("/intelligence/refresh", status_code=202, summary="Refit and rescore now",
             description="Queues the refresh job (it also runs daily); the answer comes "
                         "before the work is done.")
def refresh(db: DbSession, user: CurrentUser, body: RefreshRequest | None = None,
            ) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    req = body or RefreshRequest()
    intelligence_jobs.request_refresh(db, {"threshold": req.threshold,
                                           "discount": req.discount})
    return JSONResponse({"status": "queued"}, status_code=202)


@router.get("/contacts/{contact_id}/predictions", response_model=PredictionRead,
            summary="A contact's lifetime value, churn risk and best time to contact")
def contact_predictions(contact_id: uuid.UUID, db: DbSession,
                        user: CurrentUser) -> PredictionRead:
    access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW, entity="contact")
    view = queries.for_contact(db, contact_id)
    best = None
    if view.best_time is not None:
        best = BestTimeRead(hour_of_week=view.best_time.hour, text=view.best_time_text or "",
                            rate=view.best_time.rate, basis=view.best_time.basis)
    p = view.prediction
    if p is None:
        return PredictionRead(contact_id=contact_id, computed=False, best_time=best,
                              next_best_actions=view.actions)
    fields = {k: getattr(p, k) for k in PredictionRead.model_fields
              if k not in ("contact_id", "computed", "best_time") and hasattr(p, k)}
    return PredictionRead(contact_id=contact_id, computed=True, best_time=best,
                          next_best_actions=view.actions, **fields)


@router.get("/intelligence/at-risk", response_model=PageOut[AtRiskRead],
            summary="Customers at risk of churning, riskiest first")
def at_risk(db: DbSession, user: CurrentUser, cursor: Cursor = None,
            limit: Limit = None) -> dict[str, Any]:
    def visible(stmt: Select[Any]) -> Select[Any]:
        return scoped(db, stmt, user, Contact, Permission.CONTACTS_VIEW)

    page = queries.at_risk(db, visible, cursor=cursor, limit=limit or 50)
    items = [AtRiskRead(contact_id=it.id,
                        name=f"{it.contact.first_name} {it.contact.last_name}".strip(),
                        churn_risk=it.prediction.churn_risk or 0.0,
                        churn_reasons=it.prediction.churn_reasons or [],
                        clv=it.prediction.clv, currency=it.prediction.currency,
                        computed_at=it.prediction.computed_at) for it in page.items]
    return {"items": items, "next_cursor": page.next_cursor}
