"""The deal page: header, edit form (the services' errors shown by their fields), contacts
with roles, line items, stage history with the time spent in each stage, the next step (a
task) and the audit history."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from amity.api.deps import DbSession
from amity.auth import fields
from amity.auth.access import Permission, access_record, scope_for
from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.audit import history_of
from amity.core.errors import DomainError, PreconditionFailed, ValidationFailed
from amity.deals import moves, queries, service
from amity.deals.models import Deal, LostReason, Pipeline, Stage
from amity.deals.schemas import DealRead, DealUpdate
from amity.web import record_fields
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.routes.deal_forms import DealForm, deal_errors, deal_payload
from amity.web.routes.deals import visible
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)
CHANGED = ("Someone else saved this deal while you were editing it; nothing was changed. "
           "The page now shows their version: make your change again.")


def duration(seconds: float) -> str:
    """'3 d 4 h', '5 h 12 min', '40 min' (time spent in a stage)."""
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def _names(db: Session, user: User, model: type[Any], permission: Permission,
           ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Any]:
    """The records among ``ids`` the reader may see, by id (one statement)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted or scope_for(user, permission) == "none":
        return {}
    stmt = visible(db, user, model, permission)(select(model).where(model.id.in_(wanted)))
    return {r.id: r for r in db.scalars(stmt)}


def _form_of(deal: Deal) -> DealForm:
    return DealForm(name=deal.name, amount=f"{deal.amount:.2f}", currency=deal.currency,
                    expected_close_date=deal.expected_close_date.isoformat()
                    if deal.expected_close_date else "",
                    probability=str(deal.probability) if deal.probability_overridden else "",
                    next_step=deal.next_step or "", description=deal.description or "",
                    source=deal.source or "", version=str(deal.version))


def _page(request: Request, db: Session, user: User, deal: Deal, *,
          form: DealForm | None = None, errors: dict[str, str] | None = None,
          message: str | None = None, status_code: int = 200,
          cf_errors: dict[str, str] | None = None, cf_posted: FormData | None = None
          ) -> Response:
    stage = db.get(Stage, deal.stage_id)
    pipeline = db.get(Pipeline, deal.pipeline_id)
    contact_ids = [deal.contact_id, *(c.contact_id for c in deal.contacts)]
    contacts = _names(db, user, Contact, Permission.CONTACTS_VIEW, contact_ids)
    companies = _names(db, user, Company, Permission.COMPANIES_VIEW, [deal.company_id])
    entries = history_of(db, entity_type="deal", entity_id=deal.id, limit=50)
    people = {u.id: u for u in db.scalars(select(User).where(User.id.in_(
        {i for i in [deal.owner_id, *(e.actor_id for e in entries)] if i is not None})))}
    reason = db.get(LostReason, deal.lost_reason_id) if deal.lost_reason_id else None
    ctx: dict[str, Any] = {
        "deal": deal, "stage": stage, "pipeline": pipeline, "contacts": contacts,
        "companies": companies, "people": people, "entries": entries,
        "history": queries.stage_history(db, deal.id), "duration": duration,
        "stalled": queries.is_stalled(db, deal.id), "lost_reason": reason,
        "form": form or _form_of(deal), "errors": errors or {}, "message": message,
        "can_edit": scope_for(user, Permission.DEALS_EDIT) != "none"}
    values = fields.redact_one(db, user, "deal", DealRead.model_validate(deal)).custom_fields
    ctx |= record_fields.context(db, user, "deal", values, action=f"/deals/{deal.id}/details",
                                 version=deal.version, can_edit=ctx["can_edit"],
                                 errors=cf_errors, posted=cf_posted)
    return render(request, "deals/detail.html", ctx, status_code=status_code)


@router.get("/deals/{deal_id}")
def deal_page(request: Request, deal_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    deal = access_record(db, user, Deal, deal_id, Permission.DEALS_VIEW, entity="deal")
    return _page(request, db, user, deal)


@router.post("/deals/{deal_id}", dependencies=[CsrfChecked])
def edit_deal(request: Request, deal_id: uuid.UUID, db: DbSession, user: WebUser,
              form: Annotated[DealForm, Form()]) -> Response:
    deal = access_record(db, user, Deal, deal_id, Permission.DEALS_EDIT, entity="deal")
    try:
        data = DealUpdate.model_validate(deal_payload(form, create=False))
        service.update_deal(db, deal=deal, data=data, actor=user)
    except PreconditionFailed:
        db.rollback()
        db.refresh(deal)
        return _page(request, db, user, deal, message=CHANGED, status_code=412)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        db.refresh(deal)
        status = exc.status if isinstance(exc, DomainError) else 422
        return _page(request, db, user, deal, form=form, errors=deal_errors(exc),
                     status_code=status)
    return RedirectResponse(f"/deals/{deal.id}", status_code=303)


@router.post("/deals/{deal_id}/details", dependencies=[CsrfChecked])
def edit_deal_details(request: Request, deal_id: uuid.UUID, db: DbSession, user: WebUser,
                      posted: Annotated[FormData, Depends(record_fields.posted_form)]
                      ) -> Response:
    """Save the custom fields shown in the Edit details form (through ``update_deal``)."""
    deal = access_record(db, user, Deal, deal_id, Permission.DEALS_EDIT, entity="deal")
    refused = record_fields.save(
        db, user, "deal", deal, posted, schema=DealUpdate, permission=Permission.DEALS_EDIT,
        update=lambda data: service.update_deal(db, deal=deal, data=data, actor=user))
    if refused is not None:
        return _page(request, db, user, deal, status_code=refused.status,
                     cf_errors=refused.errors, cf_posted=refused.posted,
                     message=refused.errors.get(record_fields.FORM_ERROR))
    return RedirectResponse(f"/deals/{deal.id}#details", status_code=303)


@router.post("/deals/{deal_id}/next-step", dependencies=[CsrfChecked])
def plan_next_step(request: Request, deal_id: uuid.UUID, db: DbSession, user: WebUser,
                   title: Annotated[str, Form(max_length=300)] = "",
                   due_on: Annotated[str, Form(max_length=10)] = "") -> Response:
    deal = access_record(db, user, Deal, deal_id, Permission.DEALS_EDIT, entity="deal")
    try:
        if not title.strip():
            raise ValidationFailed("task.title_required", "Say what the next step is",
                                   "next_step_title")
        try:
            due = (datetime.combine(datetime.fromisoformat(due_on).date(), time(9), UTC)
                   if due_on.strip() else None)
        except ValueError as exc:
            raise ValidationFailed("task.due_invalid", "A date like 2026-12-01",
                                   "next_step_due") from exc
        moves.set_next_step(db, deal=deal, title=title.strip(), actor=user, due_at=due)
    except DomainError as exc:
        db.rollback()
        db.refresh(deal)
        return _page(request, db, user, deal, errors={exc.field or "_form": exc.message},
                     status_code=exc.status)
    return RedirectResponse(f"/deals/{deal.id}#next-step", status_code=303)
