"""Cohort retention by first-purchase month, and the repeat-purchase rate per product category.

Months are business-time-zone months: a small table of their UTC boundaries (``periods.months``)
is sent as a UNION ALL of literals and joined on ``ordered_at``, so both databases bucket the
same way and no row is converted in Python. A customer's cohort is the month of their first
counted order ever (customers who first bought before the table's first month are left out);
cell (cohort, k) is the share of the cohort with a counted order k months later.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Select, and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from amity.analytics.kpis import owned, ratio
from amity.analytics.periods import MAX_DAYS, add_months, months, zone
from amity.commerce.models import COUNTED_STATUSES, Order, OrderLine
from amity.core.db import UTCDateTime
from amity.core.errors import ValidationFailed
from amity.core.schemas import Output


class CohortRow(Output):
    cohort: date  # first day of the first-purchase month
    customers: int
    retained: list[int]  # customers buying again k months later, k = 0, 1, ...
    rates: list[Decimal | None]  # retained / customers, 4 places


class CohortTable(Output):
    first_month: date
    last_month: date
    time_zone: str
    rows: list[CohortRow]


class RepeatRow(Output):
    category: str | None
    customers: int  # whose first purchase of the category is in the range
    repeaters: int  # of them, bought anything again later
    same_category: int  # of them, bought the same category again later
    repeat_rate: Decimal | None
    same_category_rate: Decimal | None


def month_table(first: date, last: date, tz_name: str) -> Any:
    tz = zone(tz_name)
    if first > last or (last - first).days > MAX_DAYS:
        raise ValidationFailed("period.invalid", "Give a first month before the last, at "
                               "most ten years apart", "from")
    parts = [select(literal(i, Integer).label("idx"), literal(lo, UTCDateTime).label("lo"),
                    literal(hi, UTCDateTime).label("hi"))
             for i, (_m, lo, hi) in enumerate(months(first, last, tz))]
    return union_all(*parts).subquery("months")


def counted(currency: str, owners: Sequence[uuid.UUID] | None) -> list[Any]:
    return [Order.deleted_at.is_(None), Order.status.in_(COUNTED_STATUSES),
            Order.currency == currency, Order.contact_id.is_not(None),
            *owned(Order.owner_id, owners)]


def cohort_table(db: Session, *, first: date, last: date, tz_name: str, currency: str,
                 owners: Sequence[uuid.UUID] | None = None) -> CohortTable:
    m = month_table(first, last, tz_name)
    where = counted(currency, owners)
    first_order = (select(Order.contact_id.label("contact_id"),
                          func.min(Order.ordered_at).label("at"))
                   .where(*where).group_by(Order.contact_id).subquery("first_order"))
    cohort = (select(first_order.c.contact_id, m.c.idx.label("cohort"))
              .join(m, and_(first_order.c.at >= m.c.lo, first_order.c.at < m.c.hi))
              .subquery("cohort"))
    active: Select[Any] = (select(Order.contact_id.label("contact_id"), m.c.idx.label("idx"))
                           .join(m, and_(Order.ordered_at >= m.c.lo, Order.ordered_at < m.c.hi))
                           .where(*where).distinct())
    act = active.subquery("active")
    stmt = (select(cohort.c.cohort, (act.c.idx - cohort.c.cohort).label("k"), func.count())
            .join(act, act.c.contact_id == cohort.c.contact_id)
            .where(act.c.idx >= cohort.c.cohort)
            .group_by(cohort.c.cohort, act.c.idx - cohort.c.cohort))
    cells: dict[int, dict[int, int]] = {}
    for c, k, n in db.execute(stmt):
        cells.setdefault(int(c), {})[int(k)] = int(n)
    first_month = first.replace(day=1)
    n_months = len(months(first, last, zone(tz_name)))
    rows = []
    for c in sorted(cells):
        size = cells[c].get(0, 0)
        retained = [cells[c].get(k, 0) for k in range(n_months - c)]
        rows.append(CohortRow(cohort=add_months(first_month, c), customers=size,
                              retained=retained, rates=[ratio(x, size) for x in retained]))
    return CohortTable(first_month=first_month, last_month=last.replace(day=1),
                       time_zone=tz_name, rows=rows)


def repeat_by_category(db: Session, *, lo: datetime, hi: datetime, currency: str,
                       owners: Sequence[uuid.UUID] | None = None) -> list[RepeatRow]:
    """Per category: customers whose first purchase of it falls in [lo, hi), and how many of
    them bought again after that first purchase (anything, and the same category)."""
    where = counted(currency, owners)
    firsts = (select(Order.contact_id.label("contact_id"), OrderLine.category.label("category"),
                     func.min(Order.ordered_at).label("at"),
                     func.max(Order.ordered_at).label("last_at"))
              .join(OrderLine, OrderLine.order_id == Order.id).where(*where)
              .group_by(Order.contact_id, OrderLine.category).subquery("firsts"))
    last_any = (select(Order.contact_id.label("contact_id"),
                       func.max(Order.ordered_at).label("last_at"))
                .where(*where).group_by(Order.contact_id).subquery("last_any"))
    stmt = (select(firsts.c.category, func.count(),
                   func.sum(case((last_any.c.last_at > firsts.c.at, 1), else_=0)),
                   func.sum(case((firsts.c.last_at > firsts.c.at, 1), else_=0)))
            .join(last_any, last_any.c.contact_id == firsts.c.contact_id)
            .where(firsts.c.at >= lo, firsts.c.at < hi)
            .group_by(firsts.c.category).order_by(firsts.c.category))
    return [RepeatRow(category=cat, customers=int(n), repeaters=int(r or 0),
                      same_category=int(s or 0), repeat_rate=ratio(int(r or 0), int(n)),
                      same_category_rate=ratio(int(s or 0), int(n)))
            for cat, n, r, s in db.execute(stmt)]
