"""RFM segmentation: recency, frequency and monetary scores 1-5 and a named segment per
customer, recomputed in one INSERT ... SELECT into ``analytics_rfm``.

Scores are quintiles of rank (ties share the lower rank, so equal customers get equal scores):
score = 1 + 5 x (rank - 1) // customers. Recency ranks by the last order (latest = 5),
frequency by the number of counted orders, monetary by their total. Segments follow the usual
R x F grid (first match wins):

| segment | R | F |
|---|---|---|
| champions | 5 | 4-5 |
| loyal | 3-4 | 4-5 |
| potential_loyalists | 4-5 | 2-3 |
| new_customers | 5 | 1 |
| promising | 4 | 1 |
| need_attention | 3 | 3 |
| about_to_sleep | 3 | 1-2 |
| cannot_lose | 1-2 | 5 |
| at_risk | 1-2 | 3-4 |
| hibernating | 1-2 | 1-2 |
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, and_, case, cast, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from amity.analytics.kpis import owned, ratio
from amity.analytics.models import RFM_SEGMENTS, CustomerRfm
from amity.analytics.sales import raw
from amity.commerce.models import COUNTED_STATUSES, Order
from amity.contacts.models import Contact
from amity.core.db import UTCDateTime
from amity.core.schemas import Output
from amity.deals.stats import days_between


class SegmentRow(Output):
    segment: str
    customers: int
    share: Decimal | None
    monetary: Decimal  # the segment's customers' total
    avg_recency_days: Decimal | None
    avg_frequency: Decimal | None


class RfmSummary(Output):
    currency: str | None
    computed_at: datetime | None
    customers: int
    segments: list[SegmentRow]


def _score(order_by: Any) -> Any:
    n = func.count().over()
    return 1 + (5 * (func.rank().over(order_by=order_by) - 1)) // n


def _segment(r: Any, f: Any) -> Any:
    def between(col: Any, lo: int, hi: int) -> Any:
        return and_(col >= lo, col <= hi)

    return case(
        (and_(r == 5, between(f, 4, 5)), "champions"),
        (and_(between(r, 3, 4), between(f, 4, 5)), "loyal"),
        (and_(between(r, 4, 5), between(f, 2, 3)), "potential_loyalists"),
        (and_(r == 5, f == 1), "new_customers"),
        (and_(r == 4, f == 1), "promising"),
        (and_(r == 3, f == 3), "need_attention"),
        (and_(r == 3, between(f, 1, 2)), "about_to_sleep"),
        (f == 5, "cannot_lose"),
        (between(f, 3, 4), "at_risk"),
        else_="hibernating")


def refresh(db: Session, *, at: datetime, currency: str) -> int:
    """Replace every row with the customers' RFM as of ``at`` (orders before it); returns the
    number of customers scored. One DELETE and one INSERT ... SELECT: no row passes Python."""
    base = (select(Order.contact_id.label("contact_id"),
                   func.max(Order.ordered_at).label("last_order_at"),
                   func.count().label("frequency"),
                   func.sum(raw(Order.total)).label("monetary"))
            .where(Order.deleted_at.is_(None), Order.status.in_(COUNTED_STATUSES),
                   Order.currency == currency, Order.contact_id.is_not(None),
                   Order.ordered_at < at)
            .group_by(Order.contact_id).subquery("base"))
    at_lit = literal(at, UTCDateTime)
    scored = select(
        base.c.contact_id, base.c.last_order_at, base.c.frequency, base.c.monetary,
        cast(func.floor(days_between(db, base.c.last_order_at, at_lit)), Integer)
        .label("recency_days"),
        _score(base.c.last_order_at).label("r"),
        _score(base.c.frequency).label("f"),
        _score(base.c.monetary).label("m"),
    ).subquery("scored")
    rows = select(
        scored.c.contact_id, literal(currency).label("currency"), scored.c.last_order_at,
        scored.c.recency_days, scored.c.frequency, scored.c.monetary,
        scored.c.r, scored.c.f, scored.c.m, _segment(scored.c.r, scored.c.f),
        at_lit)
    db.execute(delete(CustomerRfm))
    cols = ["contact_id", "currency", "last_order_at", "recency_days", "frequency",
            "monetary", "r_score", "f_score", "m_score", "segment", "computed_at"]
    db.execute(insert(CustomerRfm).from_select(cols, rows))
    return int(db.scalar(select(func.count()).select_from(CustomerRfm)) or 0)


def summary(db: Session, owners: Sequence[uuid.UUID] | None = None) -> RfmSummary:
    """Customers, share, money, mean recency and frequency per segment (one aggregate), over
    the customers whose contact is owned by ``owners`` (None: everyone)."""
    stmt = (select(CustomerRfm.segment, func.count(), func.sum(raw(CustomerRfm.monetary)),
                   func.avg(CustomerRfm.recency_days), func.avg(CustomerRfm.frequency),
                   func.max(CustomerRfm.computed_at), func.max(CustomerRfm.currency))
            .group_by(CustomerRfm.segment))
    if owners is not None:
        stmt = stmt.join(Contact, Contact.id == CustomerRfm.contact_id).where(
            *owned(Contact.owner_id, owners))
    found = {r[0]: r for r in db.execute(stmt)}
    total = sum(int(r[1]) for r in found.values())
    segments = []
    for name in RFM_SEGMENTS:
        r = found.get(name)
        n = int(r[1]) if r else 0
        segments.append(SegmentRow(
            segment=name, customers=n, share=ratio(n, total),
            monetary=Decimal(int(r[2] or 0) if r else 0).scaleb(-2),
            avg_recency_days=ratio(r[3], 1, "0.01") if r else None,
            avg_frequency=ratio(r[4], 1, "0.01") if r else None))
    computed = max((r[5] for r in found.values()), default=None)
    currency = next((r[6] for r in found.values()), None)
    return RfmSummary(currency=currency, computed_at=computed, customers=total,
                      segments=segments)


__all__ = ["RfmSummary", "SegmentRow", "refresh", "summary"]
