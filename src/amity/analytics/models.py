"""Roll-up tables the analytics jobs fill and the pages read (ARCHITECTURE rule 8).

``CustomerRfm``: one row per customer with a counted order, recomputed as a whole by the
``analytics.refresh_rfm`` job in one INSERT ... SELECT, so a page reading segments never
aggregates orders itself.

Two covering indexes on other domains' tables serve the dashboard's range scans (on
PostgreSQL from the index alone): interactions by time with owner, channel and direction
(activity block: 381 -> 41 ms for a month of 1,000,000 interactions, bench/README.md), orders
by currency and time with their customer, total, status and owner (order and retention blocks).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from amity.activities.models import Interaction
from amity.commerce.models import Order
from amity.core.db import Base, Fixed

RfmSegment = Literal["champions", "loyal", "potential_loyalists", "new_customers", "promising",
                     "need_attention", "about_to_sleep", "cannot_lose", "at_risk", "hibernating"]
RFM_SEGMENTS: tuple[str, ...] = get_args(RfmSegment)


class CustomerRfm(Base):
    __tablename__ = "analytics_rfm"
    __table_args__ = (Index("ix_analytics_rfm_segment", "segment", "monetary"),)

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    last_order_at: Mapped[datetime] = mapped_column()
    recency_days: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)  # counted orders
    monetary: Mapped[Decimal] = mapped_column(Fixed(2))  # their total
    r_score: Mapped[int] = mapped_column(Integer)  # 1-5, 5 = bought most recently
    f_score: Mapped[int] = mapped_column(Integer)
    m_score: Mapped[int] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(String(30))
    computed_at: Mapped[datetime] = mapped_column()


_orders: Any = Order.__table__
_interactions: Any = Interaction.__table__
ANALYTICS_INDEXES = (
    Index("ix_orders_analytics", _orders.c.currency, _orders.c.ordered_at,
          postgresql_include=["contact_id", "total", "status", "owner_id", "deleted_at"]),
    Index("ix_interactions_analytics", _interactions.c.occurred_at, _interactions.c.owner_id,
          _interactions.c.channel, _interactions.c.direction,
          postgresql_include=["deleted_at"]),
)
