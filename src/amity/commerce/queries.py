"""Reading the catalogue and orders: filtered keyset lists, the reader's order scope, and the
customers with a product due for replacement.

Every list is one statement for its page (plus one selectin load of order lines), whatever the
page size; each filter and sort offered has an index.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import BigInteger, Date, Select, and_, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from amity.auth.access import Permission, scope_for, scoped
from amity.auth.models import User
from amity.commerce.models import COUNTED_STATUSES, Order, OrderLine, Product
from amity.commerce.schemas import ReplacementDueContact
from amity.contacts.models import Contact
from amity.core.db import is_postgres
from amity.core.errors import ValidationFailed
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.core.text import fold

AnySelect = Select[*tuple[Any, ...]]
ScopeOrders = Callable[[AnySelect], AnySelect]


def order_scope(db: Session, user: User) -> ScopeOrders | None:
    """A function restricting a select on orders to those ``user`` may see, or None when they
    may see no orders at all (the 360 view then shows no purchases)."""
    if scope_for(user, Permission.ORDERS_VIEW) == "none":
        return None
    return lambda stmt: scoped(db, stmt, user, Order, Permission.ORDERS_VIEW)


def preload(db: Session, model: type[Any], ids: Iterable[uuid.UUID | None]) -> None:
    """Load the rows with these ids into the session in one statement, so that per-item
    checks of a bulk request (``db.get``) find them without a query each."""
    wanted = {i for i in ids if i is not None}
    if wanted:
        list(db.scalars(select(model).where(model.id.in_(wanted))))


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _deleted(stmt: AnySelect, model: Any, deleted: str) -> AnySelect:
    if deleted == "exclude":
        return stmt.where(model.deleted_at.is_(None))
    if deleted == "only":
        return stmt.where(model.deleted_at.is_not(None))
    return stmt


def _sorts(model: Any, *names: str) -> dict[str, Sort]:
    out = {}
    for name in names:
        column = model.sort_name if name == "name" else getattr(model, name)
        out[name] = Sort(name, column)
        out[f"-{name}"] = Sort(name, column, descending=True)
    return out


PRODUCT_SORTS = _sorts(Product, "name", "sku", "created_at", "updated_at")


def list_products(db: Session, *, q: str | None = None, category: str | None = None,
                  active: bool | None = None, deleted: str = "exclude", sort: str = "name",
                  cursor: str | None = None, limit: int = 50) -> Page[Product]:
    """The catalogue; ``q`` matches a substring of the name (accents and case ignored) or
    of the SKU."""
    if sort not in PRODUCT_SORTS:
        raise ValidationFailed("sort.invalid", f"sort must be one of {sorted(PRODUCT_SORTS)}",
                               "sort")
    stmt = _deleted(select(Product), Product, deleted)
    if q:
        stmt = stmt.where(or_(Product.sort_name.like(_like(fold(q)), escape="\\"),
                              func.lower(Product.sku).like(_like(q.lower()), escape="\\")))
    if category:
        stmt = stmt.where(Product.category == category)
    if active is not None:
        stmt = stmt.where(Product.active.is_(active))
    s = PRODUCT_SORTS[sort]
    rows = list(db.scalars(keyset(stmt, s, Product.id, cursor, limit)))
    return page_of(rows, s, limit, key=lambda p: getattr(p, s.column.key))


# Sorting by total runs on the stored integer (cents), so the cursor holds an exact integer.
_TOTAL: Any = type_coerce(Order.total, BigInteger)
ORDER_SORTS = {**_sorts(Order, "ordered_at", "created_at"),
               "total": Sort("total", _TOTAL), "-total": Sort("total", _TOTAL, descending=True)}


@dataclass
class OrderFilters:
    """Every filter the order list offers; ``ordered_from``/``ordered_to`` are UTC days,
    both included."""

    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    status: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    product_id: uuid.UUID | None = None
    ordered_from: date | None = None
    ordered_to: date | None = None
    external_ref: str | None = None
    deleted: str = "exclude"


def _day(d: date) -> datetime:
    return datetime.combine(d, time.min, UTC)


def _sort_key(name: str) -> Callable[[Order], Any]:
    if name == "total":
        return lambda o: int(o.total.scaleb(2))
    return lambda o: getattr(o, name)


def list_orders(db: Session, base: AnySelect, *, filters: OrderFilters, sort: str = "-ordered_at",
                cursor: str | None = None, limit: int = 50) -> Page[Order]:
    """``base`` is ``select(Order)`` already restricted to what the reader may see."""
    if sort not in ORDER_SORTS:
        raise ValidationFailed("sort.invalid", f"sort must be one of {sorted(ORDER_SORTS)}",
                               "sort")
    f = filters
    if f.ordered_from and f.ordered_to and f.ordered_from > f.ordered_to:
        raise ValidationFailed("date_range.invalid", "'from' is after 'to'", "from")
    stmt = _deleted(base, Order, f.deleted)
    for column, value in ((Order.contact_id, f.contact_id), (Order.company_id, f.company_id),
                          (Order.owner_id, f.owner_id), (Order.external_ref, f.external_ref)):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.status:
        stmt = stmt.where(Order.status.in_(f.status))
    if f.channel:
        stmt = stmt.where(Order.channel.in_(f.channel))
    if f.product_id is not None:
        stmt = stmt.where(Order.id.in_(select(OrderLine.order_id)
                                       .where(OrderLine.product_id == f.product_id)))
    if f.ordered_from is not None:
        stmt = stmt.where(Order.ordered_at >= _day(f.ordered_from))
    if f.ordered_to is not None:
        stmt = stmt.where(Order.ordered_at < _day(f.ordered_to + timedelta(days=1)))
    s = ORDER_SORTS[sort]
    rows = list(db.scalars(keyset(stmt, s, Order.id, cursor, limit)))
    return page_of(rows, s, limit, key=_sort_key(s.name))


# -- replacements due -------------------------------------------------------------------------

def _due_on(db: Session) -> Any:
    """SQL for (UTC day of the last purchase) + the product's replacement cycle."""
    last = func.max(Order.ordered_at)
    if is_postgres(db):
        return cast(func.timezone("UTC", last), Date) + Product.replacement_cycle_days
    return func.date(last, func.printf("+%d days", Product.replacement_cycle_days), type_=Date)


def _encode(due: date, contact_id: uuid.UUID, product_id: uuid.UUID) -> str:
    raw = json.dumps([due.isoformat(), str(contact_id), str(product_id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[date, uuid.UUID, uuid.UUID]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return date.fromisoformat(raw[0]), uuid.UUID(raw[1]), uuid.UUID(raw[2])
    except (ValueError, TypeError, IndexError, KeyError, json.JSONDecodeError) as exc:
        raise ValidationFailed("cursor.invalid", "The cursor is not valid for this list; "
                               "start again without it", "cursor") from exc


@dataclass
class ReplacementsPage:
    items: list[ReplacementDueContact]
    next_cursor: str | None


def replacements_due(db: Session, *, visible_orders: ScopeOrders, today: date,
                     within_days: int = 30, include_overdue: bool = True,
                     cursor: str | None = None, limit: int = 100) -> ReplacementsPage:
    """(contact, product) pairs whose replacement falls due by ``today + within_days`` (and
    not before today unless ``include_overdue``), soonest first: the contact's last counted,
    visible order of a product with a replacement cycle, plus that cycle. One statement."""
    due = _due_on(db)
    stmt = (select(Order.contact_id, OrderLine.product_id, func.max(Product.sku).label("sku"),
                   func.max(Product.name).label("name"),
                   Product.replacement_cycle_days.label("cycle"),
                   func.max(Order.ordered_at).label("last_at"), due.label("due_on"))
            .join(Order, Order.id == OrderLine.order_id)
            .join(Product, Product.id == OrderLine.product_id)
            .join(Contact, and_(Contact.id == Order.contact_id, Contact.deleted_at.is_(None)))
            .where(Order.status.in_(COUNTED_STATUSES), Order.deleted_at.is_(None),
                   Product.replacement_cycle_days.is_not(None))
            .group_by(Order.contact_id, OrderLine.product_id, Product.replacement_cycle_days)
            .having(due <= today + timedelta(days=within_days)))
    stmt = visible_orders(stmt)
    if not include_overdue:
        stmt = stmt.having(due >= today)
    if cursor:
        c_due, c_contact, c_product = _decode(cursor)
        stmt = stmt.having(or_(due > c_due, and_(due == c_due, or_(
            Order.contact_id > c_contact,
            and_(Order.contact_id == c_contact, OrderLine.product_id > c_product)))))
    rows = list(db.execute(stmt.order_by(due, Order.contact_id, OrderLine.product_id)
                           .limit(limit + 1)))
    items = [ReplacementDueContact(
        contact_id=r.contact_id, product_id=r.product_id, sku=r.sku, name=r.name,
        replacement_cycle_days=r.cycle, last_purchased_on=r.last_at.date(), due_on=r.due_on,
        overdue=r.due_on < today) for r in rows[:limit]]
    nxt = None
    if len(rows) > limit:
        last = items[-1]
        nxt = _encode(last.due_on, last.contact_id, last.product_id)
    return ReplacementsPage(items=items, next_cursor=nxt)
