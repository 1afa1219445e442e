"""Purchase history of one customer (a contact or a company): what, how much, how often, and
which products are due for replacement.

Only orders placed, paid or fulfilled count (``COUNTED_STATUSES``). Three aggregate statements
whatever the number of orders: spend per currency, totals per product, totals per category.
Python only ranks the aggregated rows. Dates are UTC days.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, case, distinct, func, select
from sqlalchemy.orm import Session

from amity.commerce.models import COUNTED_STATUSES, Order, OrderLine, Product
from amity.commerce.pricing import average
from amity.commerce.schemas import (
    CategoryStat,
    CurrencySpend,
    ProductStat,
    PurchaseSummary,
    ReplacementDue,
)

AnySelect = Select[*tuple[Any, ...]]
ScopeOrders = Callable[[AnySelect], AnySelect]
TOP = 5


def _counted(stmt: AnySelect, contact_id: uuid.UUID | None, company_id: uuid.UUID | None,
             visible_orders: ScopeOrders | None) -> AnySelect:
    stmt = stmt.where(Order.status.in_(COUNTED_STATUSES), Order.deleted_at.is_(None))
    if contact_id is not None:
        stmt = stmt.where(Order.contact_id == contact_id)
    if company_id is not None:
        stmt = stmt.where(Order.company_id == company_id)
    return visible_orders(stmt) if visible_orders is not None else stmt


def _replacements(products: list[Any], today: date, window: int) -> list[ReplacementDue]:
    out = []
    for row in products:
        if row.product_id is None or row.cycle is None:
            continue
        last = row.last_at.date()
        due = last + timedelta(days=row.cycle)
        out.append(ReplacementDue(product_id=row.product_id, sku=row.sku, name=row.name,
                                  replacement_cycle_days=row.cycle, last_purchased_on=last,
                                  due_on=due, overdue=due < today,
                                  due_soon=today <= due <= today + timedelta(days=window)))
    return sorted(out, key=lambda r: (r.due_on, r.name))


def purchase_summary(db: Session, *, contact_id: uuid.UUID | None = None,
                     company_id: uuid.UUID | None = None, today: date,
                     visible_orders: ScopeOrders | None = None,
                     due_soon_days: int = 30) -> PurchaseSummary:
    """The customer's purchases. ``visible_orders`` restricts a select on orders to those the
    reader may see (the access layer's ``scoped``); None counts every order. A product is
    due for replacement ``replacement_cycle_days`` after its last purchase: ``overdue`` once
    that day has passed, ``due_soon`` from today until ``due_soon_days`` ahead."""
    if contact_id is None and company_id is None:
        raise ValueError("purchase_summary needs a contact_id or a company_id")

    def counted(stmt: AnySelect) -> AnySelect:
        return _counted(stmt, contact_id, company_id, visible_orders)

    spend_rows = list(db.execute(counted(
        select(Order.currency, func.count().label("orders"), func.sum(Order.total),
               func.min(Order.ordered_at), func.max(Order.ordered_at))
        .group_by(Order.currency).order_by(Order.currency))))
    free_text = case((OrderLine.product_id.is_(None), OrderLine.description), else_=None)
    products = list(db.execute(counted(
        select(OrderLine.product_id,
               func.coalesce(func.max(Product.name), func.max(OrderLine.description))
               .label("name"),
               func.max(OrderLine.sku).label("sku"),
               func.max(Product.replacement_cycle_days).label("cycle"),
               func.sum(OrderLine.quantity).label("quantity"),
               func.count(distinct(OrderLine.order_id)).label("orders"),
               func.max(Order.ordered_at).label("last_at"))
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .group_by(OrderLine.product_id, free_text))))
    categories = list(db.execute(counted(
        select(OrderLine.category, func.sum(OrderLine.quantity).label("quantity"),
               func.count(distinct(OrderLine.order_id)).label("orders"))
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.category.is_not(None))
        .group_by(OrderLine.category)
        .order_by(func.count(distinct(OrderLine.order_id)).desc(),
                  func.sum(OrderLine.quantity).desc(), OrderLine.category)
        .limit(TOP))))

    stats = [ProductStat(product_id=r.product_id, sku=r.sku, name=r.name, quantity=r.quantity,
                         orders=r.orders, last_purchased_at=r.last_at) for r in products]
    return PurchaseSummary(
        orders=sum(r.orders for r in spend_rows),
        first_purchase_at=min((r[3] for r in spend_rows), default=None),
        last_purchase_at=max((r[4] for r in spend_rows), default=None),
        spend=[CurrencySpend(currency=r[0], orders=r.orders, total=r[2],
                             average=average(r[2], r.orders)) for r in spend_rows],
        top_products_by_quantity=sorted(
            stats, key=lambda s: (-s.quantity, -s.orders, s.name))[:TOP],
        top_products_by_orders=sorted(
            stats, key=lambda s: (-s.orders, -s.quantity, s.name))[:TOP],
        top_categories=[CategoryStat(category=r.category, quantity=r.quantity, orders=r.orders)
                        for r in categories],
        replacements=_replacements(products, today, due_soon_days),
    )
