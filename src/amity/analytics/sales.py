"""Sales roll-ups by a dimension: product category, product, channel, month or an order custom
field (``field:region``), exact to a fraction of a cent.

A line's value is quantity x unit price x (1 - discount %), which can have more places than the
line's rounded ``total`` (a 4-place unit price times a quantity). Summing the rounded totals
drifts by a few cents over thousands of lines, so the roll-up sums the exact products on the
scaled integers ``Fixed`` stores: S1 = sum(q*p) (scale 10^7) and S2 = sum(q*p*d) (scale 10^9);
value = S1/10^7 - S2/10^11, done in ``Decimal``. Both sums stay within 64 bits on SQLite for
totals up to about 9 billion; PostgreSQL sums bigints as numeric, without limit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, func, select, type_coerce
from sqlalchemy.orm import Session

from amity.analytics.kpis import owned
from amity.analytics.periods import Period
from amity.commerce.models import COUNTED_STATUSES, Order, OrderLine
from amity.core.errors import ValidationFailed
from amity.core.schemas import Output

BUILTIN_DIMENSIONS = ("category", "product", "channel")
S1_SCALE = Decimal(10) ** 7
S2_SCALE = Decimal(10) ** 11
CENT = Decimal("0.01")


class SalesRow(Output):
    key: str | None
    orders: int
    lines: int
    quantity: Decimal
    sales: Decimal  # exact (up to 9 places); round for display
    sales_rounded: Decimal  # to the cent


class SalesBreakdown(Output):
    by: str
    currency: str
    start: str | None
    end: str | None
    total: Decimal
    total_rounded: Decimal
    rows: list[SalesRow]


def dimension(by: str) -> Any:
    if by == "category":
        return OrderLine.category
    if by == "product":
        return func.coalesce(OrderLine.sku, OrderLine.description)
    if by == "channel":
        return Order.channel
    if by.startswith("field:") and 0 < len(by) - 6 <= 63 and by[6:].replace("_", "").isalnum():
        return Order.custom_fields[by[6:]].as_string()
    raise ValidationFailed("analytics.dimension",
                           "Group by category, product, channel or field:<order field key>",
                           "by")


def raw(column: Any) -> Any:
    """The scaled integer a ``Fixed`` column stores (no conversion back to Decimal)."""
    return type_coerce(column, BigInteger)


def sales_by(db: Session, *, by: str, currency: str, period: Period | None = None,
             owners: Sequence[uuid.UUID] | None = None, limit: int = 100) -> SalesBreakdown:
    key = dimension(by).label("key")
    qp = raw(OrderLine.quantity) * raw(OrderLine.unit_price)
    stmt = (select(key, func.count(func.distinct(Order.id)), func.count(),
                   func.sum(raw(OrderLine.quantity)), func.sum(qp),
                   func.sum(qp * raw(OrderLine.discount_percent)))
            .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
            .where(Order.deleted_at.is_(None), Order.status.in_(COUNTED_STATUSES),
                   Order.currency == currency, *owned(Order.owner_id, owners))
            .group_by(key))
    if period is not None:
        stmt = stmt.where(Order.ordered_at >= period.lo, Order.ordered_at < period.hi)
    rows = []
    for k, orders, lines, qty, s1, s2 in db.execute(stmt):
        value = Decimal(int(s1 or 0)) / S1_SCALE - Decimal(int(s2 or 0)) / S2_SCALE
        rows.append(SalesRow(key=k, orders=int(orders), lines=int(lines),
                             quantity=Decimal(int(qty or 0)).scaleb(-3), sales=value,
                             sales_rounded=value.quantize(CENT, ROUND_HALF_UP)))
    rows.sort(key=lambda r: (-r.sales, r.key or ""))
    total = sum((r.sales for r in rows), Decimal(0))
    return SalesBreakdown(by=by, currency=currency,
                          start=period.start.isoformat() if period else None,
                          end=period.end.isoformat() if period else None,
                          total=total, total_rounded=total.quantize(CENT, ROUND_HALF_UP),
                          rows=rows[:limit])


__all__ = ["BUILTIN_DIMENSIONS", "SalesBreakdown", "SalesRow", "sales_by"]
