"""Deal pages: the pipeline board (Kanban) and its moves, the deal list, the new-deal form.

The board reads ``deals.board.pipeline_board`` and a move calls ``deals.moves`` with the
card's version, exactly as the API does; ``static/board.js`` drives drag and drop and answers
a 412 (someone changed the deal meanwhile) by putting the card back and offering a reload.
The deal page itself is in ``routes.deal_page``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import false, select
from sqlalchemy.orm import Session

from amity.api.deps import AppSettings, DbSession
from amity.auth.access import (
    Permission,
    access_record,
    check_reference,
    require,
    scope_for,
    scoped,
)
from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.errors import DomainError, NotFound, PreconditionFailed
from amity.deals import moves, queries, service
from amity.deals.board import pipeline_board
from amity.deals.models import Deal, Pipeline
from amity.deals.schemas import DealCreate
from amity.intelligence import predictive_queries
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.routes.deal_forms import DealForm, deal_errors, deal_payload
from amity.web.templating import is_htmx, render, templates

router = APIRouter(route_class=WebRoute)

ViewName = Literal["board", "list"]
ListSort = Literal["name", "-name", "amount", "-amount", "expected_close_date",
                   "-expected_close_date", "created_at", "-created_at"]
CONFLICT = ("Someone else changed this deal while you were looking at it; your move was not "
            "saved. Reload the board to see the latest.")


def can_view_deals(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.DEALS_VIEW) != "none"


# base.html shows the Deals link only to those who may open the board
templates.env.globals["can_view_deals"] = can_view_deals


def visible(db: Session, user: User, model: type[Any], permission: Permission) -> queries.Visible:
    """Restrict a select to the records ``user`` may see (nothing without the permission)."""
    def apply(stmt: queries.AnySelect) -> queries.AnySelect:
        if scope_for(user, permission) == "none":
            return stmt.where(false())
        return scoped(db, stmt, user, model, permission)
    return apply


def _pipeline(db: Session, pipeline_id: uuid.UUID | None) -> tuple[Pipeline, list[Pipeline]]:
    pipelines = queries.list_pipelines(db)
    if not pipelines:
        raise NotFound("pipeline")
    chosen = next((p for p in pipelines if p.id == pipeline_id), None)
    if pipeline_id is not None and chosen is None:
        raise NotFound("pipeline")
    default = next((p for p in pipelines if p.is_default), pipelines[0])
    return chosen or default, pipelines


def _owners(db: Session) -> list[User]:
    return list(db.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))


def initials(name: str | None) -> str:
    parts = (name or "").split()
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@router.get("/deals")
def deals_home(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
               pipeline: uuid.UUID | None = None, owner: uuid.UUID | None = None,
               view: ViewName = "board",
               q: Annotated[str, Query(max_length=200)] = "",
               status: Literal["", "open", "won", "lost"] = "",
               stalled: bool | None = None, sort: ListSort = "-created_at",
               cursor: Annotated[str | None, Query(max_length=2000)] = None,
               fragment: bool = False) -> Response:
    require(user, Permission.DEALS_VIEW)
    chosen, pipelines = _pipeline(db, pipeline)
    ctx: dict[str, Any] = {
        "pipeline": chosen, "pipelines": pipelines, "owner": owner, "owners": _owners(db),
        "view": view, "lost_reasons": queries.list_lost_reasons(db), "initials": initials,
        "can_edit": scope_for(user, Permission.DEALS_EDIT) != "none",
        "can_create": scope_for(user, Permission.DEALS_CREATE) != "none",
        "can_order": scope_for(user, Permission.ORDERS_CREATE) != "none",
        "q": q, "status": status, "stalled": stalled, "sort": sort,
    }
    if view == "list":
        base = scoped(db, select(Deal), user, Deal, Permission.DEALS_VIEW)
        filters = queries.DealFilters(pipeline_id=chosen.id, owner_id=owner,
                                      status=status or None, stalled=stalled, q=q or None)
        page = queries.list_deals(db, base, filters=filters, sort=sort, cursor=cursor,
                                  limit=settings.page_size_default)
        stages = {s.id: s for p in pipelines for s in p.stages}
        ctx.update(items=page.items, next_cursor=page.next_cursor, stages=stages)
        return render(request, "deals/list.html", ctx)
    ctx["board"] = pipeline_board(
        db, chosen, visible=visible(db, user, Deal, Permission.DEALS_VIEW),
        visible_contacts=visible(db, user, Contact, Permission.CONTACTS_VIEW),
        visible_companies=visible(db, user, Company, Permission.COMPANIES_VIEW),
        owner_id=owner)
    ctx["win"] = predictive_queries.for_deals(  # the cards' stored chances to win
        db, (d.id for col in ctx["board"].columns for d in col.deals))
    name = "deals/_board.html" if fragment and is_htmx(request) else "deals/board.html"
    return render(request, name, ctx)


def _moved_answer(request: Request, status: int, body: dict[str, Any],
                  back: str) -> Response:
    """JSON for board.js; a page (redirect or error) for a plain form post."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    if status < 300:
        return RedirectResponse(back, status_code=303)
    return render(request, "error.html", {"title": "The deal was not moved",
                                          "message": body.get("message", "")},
                  status_code=status)


@router.post("/deals/{deal_id}/move", dependencies=[CsrfChecked])
def move_deal(request: Request, deal_id: uuid.UUID, db: DbSession, user: WebUser,
              stage_id: Annotated[uuid.UUID, Form()],
              version: Annotated[int | None, Form()] = None,
              position: Annotated[int | None, Form(ge=0, le=100_000)] = None,
              lost_reason_id: Annotated[str, Form()] = "",
              lost_reason_text: Annotated[str, Form(max_length=1000)] = "",
              create_order: Annotated[bool, Form()] = False) -> Response:
    deal = access_record(db, user, Deal, deal_id, Permission.DEALS_EDIT, entity="deal")
    back = f"/deals?pipeline={deal.pipeline_id}"
    if create_order:
        require(user, Permission.ORDERS_CREATE)
    try:
        reason = uuid.UUID(lost_reason_id) if lost_reason_id.strip() else None
    except ValueError:
        return _moved_answer(request, 422, {"code": "lost_reason.not_found", "field":
                                            "lost_reason_id", "message": "No such lost reason"},
                             back)
    try:
        moved = moves.move_deal_to_stage(
            db, deal=deal, stage_id=stage_id, actor=user, position=position,
            lost_reason_id=reason, lost_reason_text=lost_reason_text.strip() or None,
            create_order=create_order, expected_version=version,
            column=visible(db, user, Deal, Permission.DEALS_VIEW))
    except PreconditionFailed:
        db.rollback()
        return _moved_answer(request, 412, {"code": "deal.changed", "message": CONFLICT}, back)
    except DomainError as exc:
        db.rollback()
        return _moved_answer(request, exc.status, {"code": exc.code, "field": exc.field,
                                                   "message": exc.message}, back)
    db.flush()
    body = {"id": str(moved.deal.id), "version": moved.deal.version,
            "status": moved.deal.status, "stage_id": str(moved.deal.stage_id),
            "order_id": str(moved.order.id) if moved.order else None}
    return _moved_answer(request, 200, body, back)


def _new_form(request: Request, db: Session, form: DealForm, errors: dict[str, str],
              status_code: int = 200) -> Response:
    pipelines = queries.list_pipelines(db)
    return render(request, "deals/new.html", {"form": form, "errors": errors,
                                              "pipelines": pipelines}, status_code=status_code)


@router.get("/deals/new")
def new_deal_form(request: Request, db: DbSession, user: WebUser,
                  contact_id: uuid.UUID | None = None, pipeline_id: uuid.UUID | None = None,
                  stage_id: uuid.UUID | None = None) -> Response:
    require(user, Permission.DEALS_CREATE)
    form = DealForm(contact_id=str(contact_id or ""), pipeline_id=str(pipeline_id or ""),
                    stage_id=str(stage_id or ""))
    return _new_form(request, db, form, {})


@router.post("/deals", dependencies=[CsrfChecked])
def create_deal(request: Request, db: DbSession, user: WebUser,
                form: Annotated[DealForm, Form()]) -> Response:
    require(user, Permission.DEALS_CREATE)
    try:
        data = DealCreate.model_validate(deal_payload(form, create=True))
        if data.contact_id is not None:
            check_reference(db, user, Contact, data.contact_id, Permission.CONTACTS_VIEW,
                            field="contact_id", code="contact.not_found",
                            message="No such contact")
        deal = service.create_deal(db, data=data, actor=user)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        status = exc.status if isinstance(exc, DomainError) else 422
        return _new_form(request, db, form, deal_errors(exc), status_code=status)
    return RedirectResponse(f"/deals/{deal.id}", status_code=303)
