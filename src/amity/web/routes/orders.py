"""The contact page's Deals and Purchases panels (loaded into the page by HTMX) and the
"add order" form. Only what the reader may see: their visible deals of the contact, and the
orders they may view (the purchase summary counts only those)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.api.deps import DbSession
from amity.auth.access import Permission, access_record, require, scope_for, scoped
from amity.auth.models import User
from amity.commerce import queries as orders
from amity.commerce.history import purchase_summary
from amity.commerce.models import Order
from amity.commerce.schemas import OrderCreate
from amity.commerce.service import place_order
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.errors import DomainError
from amity.deals import queries as deals
from amity.deals.models import Deal
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)
PANEL_LIMIT = 10
LINE_ROWS = 3


def _panel(request: Request, db: Session, user: User, contact: Contact, *,
           form: dict[str, Any] | None = None, error: str | None = None,
           status_code: int = 200) -> Response:
    ctx: dict[str, Any] = {"contact": contact, "deals": None, "summary": None,
                           "orders": None, "products": [], "error": error,
                           "form": form or {"currency": "EUR", "ordered_on": now().date()
                                            .isoformat(), "lines": []},
                           "line_rows": LINE_ROWS,
                           "can_deal": scope_for(user, Permission.DEALS_CREATE) != "none",
                           "can_order": scope_for(user, Permission.ORDERS_CREATE) != "none"}
    if scope_for(user, Permission.DEALS_VIEW) != "none":
        base = scoped(db, select(Deal), user, Deal, Permission.DEALS_VIEW)
        page = deals.list_deals(db, base, filters=deals.DealFilters(contact_id=contact.id),
                                sort="-created_at", cursor=None, limit=PANEL_LIMIT)
        ctx["deals"] = page.items
    scope = orders.order_scope(db, user)
    if scope is not None:
        ctx["summary"] = purchase_summary(db, contact_id=contact.id, today=now().date(),
                                          visible_orders=scope)
        base_orders = scoped(db, select(Order), user, Order, Permission.ORDERS_VIEW)
        ctx["orders"] = orders.list_orders(db, base_orders, filters=orders.OrderFilters(
            contact_id=contact.id), limit=PANEL_LIMIT).items
    if ctx["can_order"]:
        ctx["products"] = orders.list_products(db, active=True, limit=200).items
    return render(request, "orders/_contact_panels.html", ctx, status_code=status_code)


@router.get("/contacts/{contact_id}/commerce")
def contact_commerce(request: Request, contact_id: uuid.UUID, db: DbSession,
                     user: WebUser) -> Response:
    contact = access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW,
                            entity="contact")
    return _panel(request, db, user, contact)


def _lines(product_id: list[str], description: list[str], quantity: list[str],
           unit_price: list[str]) -> list[dict[str, Any]]:
    def at(values: list[str], i: int) -> str:
        return values[i].strip() if i < len(values) else ""

    rows = []
    for i in range(max(len(product_id), len(description), len(quantity), len(unit_price))):
        row = {"product_id": at(product_id, i), "description": at(description, i),
               "quantity": at(quantity, i), "unit_price": at(unit_price, i)}
        if any(row.values()):
            rows.append(row)
    return rows


@router.post("/contacts/{contact_id}/orders", dependencies=[CsrfChecked])
def add_order(request: Request, contact_id: uuid.UUID, db: DbSession, user: WebUser,
              currency: Annotated[str, Form(max_length=3)] = "",
              ordered_on: Annotated[str, Form(max_length=10)] = "",
              product_id: Annotated[list[str] | None, Form()] = None,
              description: Annotated[list[str] | None, Form()] = None,
              quantity: Annotated[list[str] | None, Form()] = None,
              unit_price: Annotated[list[str] | None, Form()] = None) -> Response:
    contact = access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW,
                            entity="contact")
    require(user, Permission.ORDERS_CREATE)
    lines = _lines(product_id or [], description or [], quantity or [], unit_price or [])
    form = {"currency": currency, "ordered_on": ordered_on, "lines": lines}
    try:
        data: dict[str, Any] = {"contact_id": contact.id, "currency": currency.strip().upper(),
                                "lines": [{k: v for k, v in ln.items() if v} for ln in lines]}
        if ordered_on.strip():
            day = date.fromisoformat(ordered_on.strip())
            data["ordered_at"] = datetime.combine(day, time(12), UTC)
        place_order(db, data=OrderCreate.model_validate(data), actor=user)
    except (ValidationError, DomainError, ValueError) as exc:
        db.rollback()
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            message = f"{where}: {first.get('msg', 'invalid')}".removeprefix(": ")
        elif isinstance(exc, DomainError):
            message = exc.message
        else:
            message = "The date is not a valid date (YYYY-MM-DD)."
        status = exc.status if isinstance(exc, DomainError) else 422
        return _panel(request, db, user, contact, form=form, error=message,
                      status_code=status)
    if request.headers.get("HX-Request") == "true":
        return _panel(request, db, user, contact)
    return RedirectResponse(f"/contacts/{contact.id}#commerce", status_code=303)
