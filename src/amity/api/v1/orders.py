"""/orders: purchases of contacts and companies, with their lines; the purchase history of a
contact or company; customers due to replace a product."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

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
from amity.api.idempotency import IDEMPOTENCY_TTL, idempotent
from amity.api.v1.contacts import AuditRead
from amity.auth.access import (
    Permission,
    access_record,
    check_owner,
    check_record,
    check_reference,
    require,
    scoped,
)
from amity.auth.models import User
from amity.commerce import queries, service
from amity.commerce.history import purchase_summary
from amity.commerce.models import Order
from amity.commerce.schemas import (
    BulkItemError,
    Channel,
    OrderBulkCreate,
    OrderBulkResult,
    OrderCreate,
    OrderRead,
    OrderUpdate,
    PurchaseSummary,
    ReplacementDueContact,
    Status,
)
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.contacts.schemas import DeletedFilter
from amity.core import idempotency
from amity.core.audit import history_of
from amity.core.clock import now
from amity.core.errors import DomainError, PreconditionFailed
from amity.core.schemas import PageOut

router = APIRouter(tags=["orders"])
OrderSort = Annotated[str, Query(pattern=r"^-?(ordered_at|created_at|total)$")]
Days = Annotated[int, Query(ge=0, le=3650)]


def _load(db: DbSession, user: User, order_id: uuid.UUID, perm: Permission,
          include_deleted: bool = False) -> Order:
    return access_record(db, user, Order, order_id, perm, entity="order",
                         include_deleted=include_deleted)


def _check_refs(db: DbSession, user: User, body: OrderCreate | OrderUpdate,
                perm: Permission, prefix: str = "") -> None:
    """The customer named must be visible to the user; the owner within their scope."""
    sent = body.model_fields_set
    if "contact_id" in sent:
        check_reference(db, user, Contact, body.contact_id, Permission.CONTACTS_VIEW,
                        field=f"{prefix}contact_id", code="contact.not_found",
                        message="No such contact")
    if "company_id" in sent:
        check_reference(db, user, Company, body.company_id, Permission.COMPANIES_VIEW,
                        field=f"{prefix}company_id", code="company.not_found",
                        message="No such company")
    if "owner_id" in sent:
        check_owner(db, user, body.owner_id, perm, field=f"{prefix}owner_id")


def _visible(db: DbSession, user: User) -> Callable[[Order], bool]:
    def visible(order: Order) -> bool:
        try:
            check_record(db, user, order, Permission.ORDERS_VIEW, entity="order")
        except DomainError:
            return False
        return True
    return visible


def _replayable(db: DbSession, user: User, key: str | None, body: BaseModel,
                run: Callable[[], tuple[Order, bool]]) -> JSONResponse:
    """Like ``idempotent``, but the status depends on the outcome: 201 for a new order, 200
    for the one already stored under the same external_ref."""
    fingerprint = idempotency.request_fingerprint("POST", "/orders",
                                                  body.model_dump_json().encode())
    if key is not None:
        stored = idempotency.lookup(db, user.id, key, fingerprint,
                                    ttl=db.info.get(IDEMPOTENCY_TTL, timedelta(hours=24)))
        if stored is not None:
            return JSONResponse(stored.body, status_code=stored.status,
                                headers={"Idempotent-Replayed": "true"})
    order, created = run()
    status = 201 if created else 200
    result = OrderRead.model_validate(order).model_dump(mode="json")
    if key is not None:
        idempotency.remember(db, user.id, key, fingerprint, status, result)
    return JSONResponse(result, status_code=status, headers={"ETag": etag(order.version)})


@router.get("/orders", response_model=PageOut[OrderRead])
def list_orders(db: DbSession, user: CurrentUser, settings: AppSettings,
                contact_id: uuid.UUID | None = None, company_id: uuid.UUID | None = None,
                owner_id: uuid.UUID | None = None,
                status: Annotated[list[Status] | None, Query()] = None,
                channel: Annotated[list[Channel] | None, Query()] = None,
                product_id: uuid.UUID | None = None,
                ordered_from: Annotated[date | None, Query(
                    alias="from", description="First UTC day included")] = None,
                ordered_to: Annotated[date | None, Query(
                    alias="to", description="Last UTC day included")] = None,
                external_ref: Annotated[str | None, Query(max_length=200)] = None,
                deleted: DeletedFilter = "exclude", sort: OrderSort = "-ordered_at",
                cursor: Cursor = None, limit: Limit = None) -> dict[str, Any]:
    base = scoped(db, select(Order), user, Order, Permission.ORDERS_VIEW)
    filters = queries.OrderFilters(
        contact_id=contact_id, company_id=company_id, owner_id=owner_id,
        status=list(status or []), channel=list(channel or []), product_id=product_id,
        ordered_from=ordered_from, ordered_to=ordered_to, external_ref=external_ref,
        deleted=deleted)
    page = queries.list_orders(db, base, filters=filters, sort=sort, cursor=cursor,
                               limit=limit or settings.page_size_default)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/orders", status_code=201, response_model=OrderRead,
             responses={200: {"model": OrderRead, "description": "An order with this "
                              "external_ref was already stored: it is returned unchanged"}})
def create_order(body: OrderCreate, db: DbSession, user: CurrentUser,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.ORDERS_CREATE)
    _check_refs(db, user, body, Permission.ORDERS_CREATE)

    return _replayable(db, user, idempotency_key, body,
                       lambda: service.place_order(db, data=body, actor=user,
                                                   visible=_visible(db, user)))


def _screen(db: DbSession, user: User,
            raw: list[dict[str, Any]]) -> list[OrderCreate | BulkItemError]:
    """Each item validated and its references checked; a failing item becomes its error."""
    items: list[OrderCreate | BulkItemError] = []
    for i, data in enumerate(raw):
        try:
            items.append(OrderCreate.model_validate(data))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            items.append(BulkItemError(code="validation_error", message=first.get("msg", ""),
                                       field=f"items.{i}.{where}" if where else f"items.{i}"))
    valid = [it for it in items if isinstance(it, OrderCreate)]
    queries.preload(db, Contact, (it.contact_id for it in valid))
    queries.preload(db, Company, (it.company_id for it in valid))
    for i, item in enumerate(items):
        if isinstance(item, OrderCreate):
            try:
                _check_refs(db, user, item, Permission.ORDERS_CREATE, prefix=f"items.{i}.")
            except DomainError as exc:
                items[i] = BulkItemError(code=exc.code, message=exc.message, field=exc.field)
    return items


@router.post("/orders/bulk", response_model=OrderBulkResult,
             summary="Import up to 1,000 orders; re-imported external_refs are found, not "
                     "duplicated")
def create_orders_bulk(body: OrderBulkCreate, db: DbSession, user: CurrentUser,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.ORDERS_CREATE)
    items = _screen(db, user, body.items)
    return idempotent(db, user, idempotency_key, "/orders/bulk", body,
                      lambda: service.import_orders(db, items=items, actor=user,
                                                    all_or_nothing=body.all_or_nothing,
                                                    visible=_visible(db, user)),
                      OrderBulkResult, status=200)


@router.get("/orders/replacements-due", response_model=PageOut[ReplacementDueContact],
            summary="Contacts whose product is due for replacement")
def replacements_due(db: DbSession, user: CurrentUser, within_days: Days = 30,
                     include_overdue: bool = True, cursor: Cursor = None,
                     limit: Limit = None) -> dict[str, Any]:
    require(user, Permission.ORDERS_VIEW)
    visible = queries.order_scope(db, user)
    assert visible is not None  # require() let the user through
    page = queries.replacements_due(db, visible_orders=visible, today=now().date(),
                                    within_days=within_days, include_overdue=include_overdue,
                                    cursor=cursor, limit=limit or 100)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/orders/{order_id}", response_model=OrderRead)
def get_order(order_id: uuid.UUID, response: Response, db: DbSession, user: CurrentUser,
              include_deleted: bool = False) -> Order:
    order = _load(db, user, order_id, Permission.ORDERS_VIEW, include_deleted)
    response.headers["ETag"] = etag(order.version)
    return order


@router.patch("/orders/{order_id}", response_model=OrderRead)
def update_order(order_id: uuid.UUID, body: OrderUpdate, response: Response, db: DbSession,
                 user: CurrentUser, if_match: IfMatch = None) -> Order:
    order = _load(db, user, order_id, Permission.ORDERS_EDIT)
    _check_refs(db, user, body, Permission.ORDERS_EDIT)
    order = service.update_order(db, order=order, data=body, actor=user,
                                 expected_version=parse_if_match(if_match))
    db.flush()
    response.headers["ETag"] = etag(order.version)
    return order


@router.delete("/orders/{order_id}", status_code=204)
def delete_order(order_id: uuid.UUID, db: DbSession, user: CurrentUser,
                 if_match: IfMatch = None) -> Response:
    order = _load(db, user, order_id, Permission.ORDERS_DELETE)
    expected = parse_if_match(if_match)
    if expected is not None and expected != order.version:
        raise PreconditionFailed()
    service.delete_order(db, order=order, actor=user)
    return Response(status_code=204)


@router.post("/orders/{order_id}/restore", response_model=OrderRead)
def restore_order(order_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Order:
    order = _load(db, user, order_id, Permission.ORDERS_DELETE, include_deleted=True)
    return service.restore_order(db, order=order, actor=user)


@router.get("/orders/{order_id}/history", response_model=list[AuditRead])
def order_history(order_id: uuid.UUID, db: DbSession, user: CurrentUser,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AuditRead]:
    order = _load(db, user, order_id, Permission.ORDERS_VIEW, include_deleted=True)
    return [AuditRead.model_validate(e)
            for e in history_of(db, entity_type="order", entity_id=order.id, limit=limit)]


def _summary(db: DbSession, user: User, kind: Literal["contact", "company"],
             customer_id: uuid.UUID, due_soon_days: int) -> PurchaseSummary:
    require(user, Permission.ORDERS_VIEW)
    if kind == "contact":
        access_record(db, user, Contact, customer_id, Permission.CONTACTS_VIEW, entity="contact")
    else:
        access_record(db, user, Company, customer_id, Permission.COMPANIES_VIEW,
                      entity="company")
    return purchase_summary(db, contact_id=customer_id if kind == "contact" else None,
                            company_id=customer_id if kind == "company" else None,
                            today=now().date(), visible_orders=queries.order_scope(db, user),
                            due_soon_days=due_soon_days)


@router.get("/contacts/{contact_id}/purchases", response_model=PurchaseSummary,
            summary="What a contact bought (orders the reader may see)")
def contact_purchases(contact_id: uuid.UUID, db: DbSession, user: CurrentUser,
                      due_soon_days: Days = 30) -> PurchaseSummary:
    return _summary(db, user, "contact", contact_id, due_soon_days)


@router.get("/companies/{company_id}/purchases", response_model=PurchaseSummary,
            summary="What a company bought (orders naming it, that the reader may see)")
def company_purchases(company_id: uuid.UUID, db: DbSession, user: CurrentUser,
                      due_soon_days: Days = 30) -> PurchaseSummary:
    return _summary(db, user, "company", company_id, due_soon_days)
