"""Roll-up tables the analytics jobs fill and the pages read (ARCHITECTURE rule 8).

``CustomerRfm``: one row per customer with a counted order, recomputed as a whole by the
``analytics.refresh_rfm`` job in one INSERT ... SELECT, so a page reading segments never
aggregates orders itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.db import Base, Fixed

RFM_SEGMENTS = ("champions", "loyal", "potential_loyalists", "new_customers", "promising",
                "need_attention", "about_to_sleep", "cannot_lose", "at_risk", "hibernating")


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
