"""Which sources and campaigns bring the most valuable customers: first-touch, last-touch and
linear attribution of each customer's early revenue.

A customer's touches are their contact record's ``source`` (at the contact's creation) and the
``source`` / ``campaign`` of their deals (at each deal's creation), up to their first counted
order. Their value is the revenue of their counted orders in the ``value_days`` after that
first order (default 180). First touch gives all of it to the earliest touch, last touch to
the latest, linear an equal share to each (shares rounded to the cent per source). Customers
with no touch are counted under ``(none)``. One statement: window functions number each
customer's touches, an outer GROUP BY sums per touch key.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import Float, and_, case, cast, func, select, union_all
from sqlalchemy.orm import Session

from amity.analytics.kpis import owned
from amity.analytics.periods import Period
from amity.analytics.sales import raw
from amity.commerce.models import COUNTED_STATUSES, Order
from amity.contacts.models import Contact
from amity.core.db import is_postgres
from amity.core.schemas import Output
from amity.deals.models import Deal

By = Literal["source", "campaign"]


class AttributionRow(Output):
    key: str | None
    customers_first: int  # customers whose first touch this is
    first_touch: Decimal
    last_touch: Decimal
    linear: Decimal


class Attribution(Output):
    by: By
    start: str
    end: str
    currency: str
    value_days: int
    customers: int
    value: Decimal
    rows: list[AttributionRow]


def attribution(db: Session, period: Period, *, currency: str, by: By = "source",
                value_days: int = 180,
                owners: Sequence[uuid.UUID] | None = None) -> Attribution:
    """Customers whose first counted order is in ``period``."""
    counted = [Order.deleted_at.is_(None), Order.status.in_(COUNTED_STATUSES),
               Order.currency == currency, Order.contact_id.is_not(None),
               *owned(Order.owner_id, owners)]
    first = (select(Order.contact_id.label("contact_id"), func.min(Order.ordered_at).label("at"))
             .where(*counted).group_by(Order.contact_id).subquery("first"))
    # SQLite keeps times as text: its datetime() adds the days (the result sorts correctly
    # against stored values); PostgreSQL adds an interval
    window_end = (first.c.at + func.make_interval(0, 0, 0, int(value_days)) if is_postgres(db)
                  else func.datetime(first.c.at, f"+{int(value_days)} days"))
    customers = (select(first.c.contact_id, first.c.at,
                        func.sum(raw(Order.total)).label("cents"))
                 .join(Order, and_(Order.contact_id == first.c.contact_id, *counted,
                                   Order.ordered_at >= first.c.at,
                                   Order.ordered_at < window_end))
                 .where(first.c.at >= period.lo, first.c.at < period.hi)
                 .group_by(first.c.contact_id, first.c.at).subquery("customers"))
    deal_key: Any = Deal.source if by == "source" else Deal.campaign
    parts: list[Any] = [
        select(Deal.contact_id.label("contact_id"), deal_key.label("key"),
               Deal.created_at.label("at"))
        .where(Deal.deleted_at.is_(None), Deal.contact_id.is_not(None), deal_key.is_not(None))]
    if by == "source":  # a contact's own source is its first touch; it has no campaign
        parts.append(select(Contact.id, Contact.source, Contact.created_at)
                     .where(Contact.deleted_at.is_(None), Contact.source.is_not(None)))
    touches = union_all(*parts).subquery("touches")
    joined = (select(customers.c.contact_id, customers.c.cents, touches.c.key,
                     func.row_number().over(partition_by=customers.c.contact_id,
                                            order_by=(touches.c.at, touches.c.key)).label("up"),
                     func.row_number().over(partition_by=customers.c.contact_id,
                                            order_by=(touches.c.at.desc(), touches.c.key.desc())
                                            ).label("down"),
                     func.count(touches.c.key).over(partition_by=customers.c.contact_id)
                     .label("n"))
              .select_from(customers)
              .outerjoin(touches, and_(touches.c.contact_id == customers.c.contact_id,
                                       touches.c.at <= customers.c.at))
              .subquery("joined"))
    stmt = (select(joined.c.key,
                   func.sum(case((joined.c.up == 1, 1), else_=0)),
                   func.sum(case((joined.c.up == 1, joined.c.cents), else_=0)),
                   func.sum(case((joined.c.down == 1, joined.c.cents), else_=0)),
                   func.sum(cast(joined.c.cents, Float) / case((joined.c.n > 0, joined.c.n),
                                                               else_=1)))
            .group_by(joined.c.key))
    rows = []
    cent = Decimal("0.01")
    for key, n_first, first_c, last_c, linear_c in db.execute(stmt):
        rows.append(AttributionRow(
            key=key, customers_first=int(n_first or 0),
            first_touch=Decimal(int(first_c or 0)).scaleb(-2),
            last_touch=Decimal(int(last_c or 0)).scaleb(-2),
            linear=(Decimal(str(linear_c or 0)) / 100).quantize(cent, ROUND_HALF_UP)))
    rows.sort(key=lambda r: (-r.first_touch, r.key or ""))
    total = db.execute(select(func.count(), func.sum(customers.c.cents))).one()
    return Attribution(by=by, start=period.start.isoformat(), end=period.end.isoformat(),
                       currency=currency, value_days=value_days, customers=int(total[0]),
                       value=Decimal(int(total[1] or 0)).scaleb(-2), rows=rows)


__all__ = ["Attribution", "AttributionRow", "attribution"]
