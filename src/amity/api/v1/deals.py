"""/deals: deals, their moves through the pipeline, contacts, lines, next step, stage history
and audit history."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from amity.api.deps import (
    AppSettings,
    CurrentUser,
    Cursor,
    DbSession,
    IdempotencyKey,
    IfMatch,
    Limit,
    etag,
    parse_if_match,
)
from amity.api.idempotency import idempotent
from amity.api.v1.contacts import AuditRead
from amity.auth import fields
from amity.auth.access import (
    Permission,
    access_record,
    check_reference,
    require,
    scoped,
)
from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.contacts.schemas import DeletedFilter
from amity.core.audit import history_of
from amity.core.schemas import PageOut
from amity.deals import lines, moves, queries, service
from amity.deals.models import Deal
from amity.deals.schemas import (
    DealContactsIn,
    DealCreate,
    DealLinesIn,
    DealMove,
    DealMoved,
    DealRead,
    DealUpdate,
    NextStepIn,
    NextStepRead,
    StageChangeRead,
    StageHistoryRead,
    Status,
    TaskBrief,
)

R = TypeVar("R", bound=DealRead)
router = APIRouter(prefix="/deals", tags=["deals"])
DealSort = Literal["name", "-name", "amount", "-amount", "expected_close_date",
                   "-expected_close_date", "created_at", "-created_at", "updated_at",
                   "-updated_at", "rank"]
Text = Annotated[str | None, Query(max_length=200)]
# A deal is read with its contacts and lines: one joined statement instead of three
WITH_PARTS = (joinedload(Deal.contacts), joinedload(Deal.lines))


def _load(db: DbSession, user: User, deal_id: uuid.UUID, perm: Permission,
          include_deleted: bool = False) -> Deal:
    return access_record(db, user, Deal, deal_id, perm, entity="deal",
                         include_deleted=include_deleted, options=WITH_PARTS)


def _read(db: DbSession, user: User, deal: Deal, *,
          model: type[R] = DealRead, **kwargs: Any) -> R:  # type: ignore[assignment]
    """The deal as the API shows it, without the sensitive custom fields ``user`` may not
    see."""
    return fields.redact_one(db, user, "deal",
                             queries.deal_read(db, deal, model=model, **kwargs))


def _check_refs(db: DbSession, user: User, body: DealCreate | DealUpdate,
                perm: Permission) -> None:
    """Contact and company must be records this user can see (else: as if unknown); the
    owner must lie within the user's create/edit scope."""
    sent = body.model_fields_set
    if "contact_id" in sent:
        check_reference(db, user, Contact, body.contact_id, Permission.CONTACTS_VIEW,
                        field="contact_id", code="contact.not_found", message="No such contact")
    if "company_id" in sent:
        check_reference(db, user, Company, body.company_id, Permission.COMPANIES_VIEW,
                        field="company_id", code="company.not_found", message="No such company")
    fields.check_write(db, user, "deal", body, perm)  # owner scope, sensitive custom fields


def _column(db: DbSession, user: User) -> queries.Visible:
    def apply(stmt: queries.AnySelect) -> queries.AnySelect:
        return scoped(db, stmt, user, Deal, Permission.DEALS_VIEW)
    return apply


@router.get("", response_model=PageOut[DealRead], summary="List deals")
def list_deals(db: DbSession, user: CurrentUser, settings: AppSettings,
               pipeline_id: uuid.UUID | None = None, stage_id: uuid.UUID | None = None,
               status: Status | None = None, owner_id: uuid.UUID | None = None,
               contact_id: Annotated[uuid.UUID | None, Query(description=(
                   "The primary contact or one of the deal's other contacts"))] = None,
               company_id: uuid.UUID | None = None, source: Text = None,
               campaign: Text = None,
               close_from: Annotated[date | None, Query(description=(
                   "Expected close date on or after"))] = None,
               close_to: Annotated[date | None, Query(description=(
                   "Expected close date on or before"))] = None,
               stalled: bool | None = None, q: Text = None,
               deleted: DeletedFilter = "exclude", sort: DealSort = "-created_at",
               cursor: Cursor = None, limit: Limit = None) -> dict[str, Any]:
    """Filters combine with AND. `sort=rank` with `stage_id` is a board column."""
    filters = queries.DealFilters(
        pipeline_id=pipeline_id, stage_id=stage_id, status=status, owner_id=owner_id,
        contact_id=contact_id, company_id=company_id, source=source, campaign=campaign,
        close_from=close_from, close_to=close_to, stalled=stalled, q=q, deleted=deleted)
    base = scoped(db, select(Deal), user, Deal, Permission.DEALS_VIEW)
    page = queries.list_deals(db, base, filters=filters, sort=sort, cursor=cursor,
                              limit=limit or settings.page_size_default)
    return {"items": fields.redact(db, user, "deal", [queries.deal_read(db, d, stalled=flag)
                                                      for d, flag in page.items]),
            "next_cursor": page.next_cursor}


@router.post("", status_code=201, response_model=DealRead, summary="Create a deal")
def create_deal(body: DealCreate, db: DbSession, user: CurrentUser,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.DEALS_CREATE)
    _check_refs(db, user, body, Permission.DEALS_CREATE)
    return idempotent(db, user, idempotency_key, "/deals", body,
                      lambda: _read(db, user, service.create_deal(db, data=body,
                                                                        actor=user)),
                      DealRead)


@router.get("/{deal_id}", response_model=DealRead)
def get_deal(deal_id: uuid.UUID, response: Response, db: DbSession, user: CurrentUser,
             include_deleted: bool = False) -> DealRead:
    deal = _load(db, user, deal_id, Permission.DEALS_VIEW, include_deleted)
    response.headers["ETag"] = etag(deal.version)
    return _read(db, user, deal)


@router.patch("/{deal_id}", response_model=DealRead,
              summary="Edit a deal (stage changes go through /move)")
def update_deal(deal_id: uuid.UUID, body: DealUpdate, response: Response, db: DbSession,
                user: CurrentUser, if_match: IfMatch = None) -> DealRead:
    deal = _load(db, user, deal_id, Permission.DEALS_EDIT)
    _check_refs(db, user, body, Permission.DEALS_EDIT)
    deal = service.update_deal(db, deal=deal, data=body, actor=user,
                               expected_version=parse_if_match(if_match))
    db.flush()
    response.headers["ETag"] = etag(deal.version)
    return _read(db, user, deal)


@router.delete("/{deal_id}", status_code=204, summary="Soft-delete (restorable)")
def delete_deal(deal_id: uuid.UUID, db: DbSession, user: CurrentUser,
                if_match: IfMatch = None) -> Response:
    deal = _load(db, user, deal_id, Permission.DEALS_DELETE)
    service.delete_deal(db, deal=deal, actor=user, expected_version=parse_if_match(if_match))
    return Response(status_code=204)


@router.post("/{deal_id}/restore", response_model=DealRead)
def restore_deal(deal_id: uuid.UUID, db: DbSession, user: CurrentUser) -> DealRead:
    deal = _load(db, user, deal_id, Permission.DEALS_DELETE, include_deleted=True)
    return _read(db, user, service.restore_deal(db, deal=deal, actor=user))


@router.put("/{deal_id}/contacts", response_model=DealRead,
            summary="Replace the other contacts and their roles")
def set_contacts(deal_id: uuid.UUID, body: DealContactsIn, response: Response,
                 db: DbSession, user: CurrentUser, if_match: IfMatch = None) -> DealRead:
    deal = _load(db, user, deal_id, Permission.DEALS_EDIT)
    for i, item in enumerate(body.contacts):
        check_reference(db, user, Contact, item.contact_id, Permission.CONTACTS_VIEW,
                        field=f"contacts.{i}.contact_id", code="contact.not_found",
                        message="No such contact")
    deal = service.set_deal_contacts(db, deal=deal, contacts=body.contacts, actor=user,
                                     expected_version=parse_if_match(if_match),
                                     sent_version=body.version)
    db.flush()
    response.headers["ETag"] = etag(deal.version)
    return _read(db, user, deal)


@router.put("/{deal_id}/lines", response_model=DealRead,
            summary="Replace the line items (the amount becomes their sum)")
def set_lines(deal_id: uuid.UUID, body: DealLinesIn, response: Response, db: DbSession,
              user: CurrentUser, if_match: IfMatch = None) -> DealRead:
    deal = _load(db, user, deal_id, Permission.DEALS_EDIT)
    deal = lines.set_deal_lines(db, deal=deal, items=body.lines, actor=user,
                                expected_version=parse_if_match(if_match),
                                sent_version=body.version)
    db.flush()
    response.headers["ETag"] = etag(deal.version)
    return _read(db, user, deal)


@router.post("/{deal_id}/move", response_model=DealMoved,
             summary="Move to a stage (and position), win, lose, reopen or transfer")
def move_deal(deal_id: uuid.UUID, body: DealMove, db: DbSession, user: CurrentUser,
              if_match: IfMatch = None, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    deal = _load(db, user, deal_id, Permission.DEALS_EDIT)
    if body.create_order:
        require(user, Permission.ORDERS_CREATE)

    def run() -> DealMoved:
        service.check_version(deal, body.version)
        moved = moves.move_deal_to_stage(
            db, deal=deal, stage_id=body.stage_id, actor=user, position=body.position,
            pipeline_id=body.pipeline_id, lost_reason_id=body.lost_reason_id,
            lost_reason_text=body.lost_reason_text, create_order=body.create_order,
            expected_version=parse_if_match(if_match), column=_column(db, user))
        return _read(db, user, moved.deal, stage=moved.stage, model=DealMoved,
                                 order_id=moved.order.id if moved.order else None)

    return idempotent(db, user, idempotency_key, f"/deals/{deal.id}/move", body, run,
                      DealMoved, status=200)


@router.post("/{deal_id}/next-step", status_code=201, response_model=NextStepRead,
             summary="Plan the next step: a task on the deal, its title the deal's next step")
def next_step(deal_id: uuid.UUID, body: NextStepIn, db: DbSession, user: CurrentUser,
              idempotency_key: IdempotencyKey = None) -> JSONResponse:
    deal = _load(db, user, deal_id, Permission.DEALS_EDIT)

    def run() -> NextStepRead:
        d, task = moves.set_next_step(db, deal=deal, title=body.title, actor=user,
                                      due_at=body.due_at, assignee_id=body.assignee_id)
        return NextStepRead(deal=_read(db, user, d), task=TaskBrief.model_validate(task))

    return idempotent(db, user, idempotency_key, f"/deals/{deal.id}/next-step", body, run,
                      NextStepRead)


@router.get("/{deal_id}/stage-history", response_model=StageHistoryRead,
            summary="Every stage the deal went through and the time it spent in each")
def stage_history(deal_id: uuid.UUID, db: DbSession, user: CurrentUser) -> StageHistoryRead:
    deal = _load(db, user, deal_id, Permission.DEALS_VIEW, include_deleted=True)
    spells = queries.stage_history(db, deal.id)
    items = [StageChangeRead(
        id=s.change.id, from_stage_id=s.change.from_stage_id, to_stage_id=s.change.to_stage_id,
        to_stage_name=s.stage_name, from_pipeline_id=s.change.from_pipeline_id,
        to_pipeline_id=s.change.to_pipeline_id, changed_at=s.change.changed_at,
        actor_id=s.change.actor_id, seconds_in_stage=s.seconds) for s in spells]
    return StageHistoryRead(items=items,
                            sales_cycle_seconds=queries.sales_cycle_seconds(deal))


@router.get("/{deal_id}/history", response_model=list[AuditRead],
            summary="The audit trail of one deal, newest first")
def deal_history(deal_id: uuid.UUID, db: DbSession, user: CurrentUser,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AuditRead]:
    deal = _load(db, user, deal_id, Permission.DEALS_VIEW, include_deleted=True)
    return fields.redact_history(db, user, "deal", [
        AuditRead.model_validate(e)
        for e in history_of(db, entity_type="deal", entity_id=deal.id, limit=limit)])
