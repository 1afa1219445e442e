"""/products and /exchange-rates: the catalogue and currency conversion.

Both are shared reference data: read with 'deals.view' or 'orders.view' in any scope, changed
with 'settings.edit'.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

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
from amity.auth.access import Permission, require, require_any
from amity.auth.models import User
from amity.commerce import catalogue, queries, rates
from amity.commerce.models import ExchangeRate, Product
from amity.commerce.schemas import (
    ExchangeRateCreate,
    ExchangeRateRead,
    ProductCreate,
    ProductRead,
    ProductUpdate,
)
from amity.contacts.schemas import DeletedFilter
from amity.core.errors import NotFound, PreconditionFailed
from amity.core.schemas import PageOut

router = APIRouter(tags=["products"])
ProductSort = Annotated[str, Query(pattern=r"^-?(name|sku|created_at|updated_at)$")]


def _read(user: User) -> None:
    require_any(user, Permission.DEALS_VIEW, Permission.ORDERS_VIEW)


def _load(db: DbSession, product_id: uuid.UUID, include_deleted: bool = False) -> Product:
    product = db.get(Product, product_id)
    if product is None or (product.deleted_at is not None and not include_deleted):
        raise NotFound("product")
    return product


@router.get("/products", response_model=PageOut[ProductRead])
def list_products(db: DbSession, user: CurrentUser, settings: AppSettings,
                  q: Annotated[str | None, Query(max_length=200)] = None,
                  category: Annotated[str | None, Query(max_length=120)] = None,
                  active: bool | None = None, deleted: DeletedFilter = "exclude",
                  sort: ProductSort = "name", cursor: Cursor = None,
                  limit: Limit = None) -> dict[str, Any]:
    _read(user)
    page = queries.list_products(db, q=q, category=category, active=active, deleted=deleted,
                                 sort=sort, cursor=cursor,
                                 limit=limit or settings.page_size_default)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/products", status_code=201, response_model=ProductRead)
def create_product(body: ProductCreate, db: DbSession, user: CurrentUser,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    return idempotent(db, user, idempotency_key, "/products", body,
                      lambda: catalogue.create_product(db, data=body, actor=user), ProductRead)


@router.get("/products/{product_id}", response_model=ProductRead)
def get_product(product_id: uuid.UUID, response: Response, db: DbSession, user: CurrentUser,
                include_deleted: bool = False) -> Product:
    _read(user)
    product = _load(db, product_id, include_deleted)
    response.headers["ETag"] = etag(product.version)
    return product


@router.patch("/products/{product_id}", response_model=ProductRead)
def update_product(product_id: uuid.UUID, body: ProductUpdate, response: Response,
                   db: DbSession, user: CurrentUser, if_match: IfMatch = None) -> Product:
    require(user, Permission.SETTINGS_MANAGE)
    product = catalogue.update_product(db, product=_load(db, product_id), data=body, actor=user,
                                       expected_version=parse_if_match(if_match))
    db.flush()
    response.headers["ETag"] = etag(product.version)
    return product


@router.delete("/products/{product_id}", status_code=204)
def delete_product(product_id: uuid.UUID, db: DbSession, user: CurrentUser,
                   if_match: IfMatch = None) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    product = _load(db, product_id)
    expected = parse_if_match(if_match)
    if expected is not None and expected != product.version:
        raise PreconditionFailed()
    catalogue.delete_product(db, product=product, actor=user)
    return Response(status_code=204)


@router.post("/products/{product_id}/restore", response_model=ProductRead)
def restore_product(product_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Product:
    require(user, Permission.SETTINGS_MANAGE)
    return catalogue.restore_product(db, product=_load(db, product_id, include_deleted=True),
                                     actor=user)


# -- exchange rates ---------------------------------------------------------------------------

@router.get("/exchange-rates", response_model=PageOut[ExchangeRateRead])
def list_exchange_rates(db: DbSession, user: CurrentUser, settings: AppSettings,
                        currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
                        cursor: Cursor = None, limit: Limit = None) -> dict[str, Any]:
    _read(user)
    page = rates.list_rates(db, currency=currency, cursor=cursor,
                            limit=limit or settings.page_size_default)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/exchange-rates", status_code=201, response_model=ExchangeRateRead)
def create_exchange_rate(body: ExchangeRateCreate, db: DbSession, user: CurrentUser,
                         settings: AppSettings,
                         idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    return idempotent(db, user, idempotency_key, "/exchange-rates", body,
                      lambda: rates.create_rate(db, data=body, base=settings.base_currency,
                                                actor=user), ExchangeRateRead)


@router.get("/exchange-rates/{rate_id}", response_model=ExchangeRateRead)
def get_exchange_rate(rate_id: uuid.UUID, db: DbSession, user: CurrentUser) -> ExchangeRate:
    _read(user)
    rate = db.get(ExchangeRate, rate_id)
    if rate is None:
        raise NotFound("exchange_rate")
    return rate


@router.delete("/exchange-rates/{rate_id}", status_code=204)
def delete_exchange_rate(rate_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    rate = db.get(ExchangeRate, rate_id)
    if rate is None:
        raise NotFound("exchange_rate")
    rates.delete_rate(db, rate=rate, actor=user)
    return Response(status_code=204)

