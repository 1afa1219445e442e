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
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, String, Table, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from amity.activities.models import Interaction
from amity.commerce.models import Order
from amity.core.db import Base, Fixed, UTCDateTime
from amity.tickets.models import Ticket

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
_tickets: Any = Ticket.__table__
ANALYTICS_INDEXES = (
    Index("ix_orders_analytics", _orders.c.currency, _orders.c.ordered_at,
          postgresql_include=["contact_id", "total", "status", "owner_id", "deleted_at"]),
    Index("ix_interactions_analytics", _interactions.c.occurred_at, _interactions.c.owner_id,
          _interactions.c.channel, _interactions.c.direction,
          postgresql_include=["deleted_at"]),
    # the ticket KPIs read only the tickets answered, resolved or rated in the period
    Index("ix_tickets_first_responded_at", _tickets.c.first_responded_at),
    Index("ix_tickets_resolved_at", _tickets.c.resolved_at),
    Index("ix_tickets_satisfaction_at", _tickets.c.satisfaction_at),
)


# Incrementally maintained roll-ups for the KPI dashboard (analytics.rollups fills them).
# Days are UTC calendar days; a period in another time zone reads its whole UTC days here and
# the partial days at its two ends from the live tables, so any zone gives exact numbers.
NIL_OWNER = uuid.UUID(int=0)  # analytics_customer_first rows over every owner's orders

order_days = Table(
    "analytics_order_days", Base.metadata,
    Column("day", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("owner_id", Uuid(), nullable=True),
    Column("orders", Integer, nullable=False),
    Column("revenue", Fixed(2), nullable=False),
    Column("customer_revenue", Fixed(2), nullable=False),  # of the orders with a contact
    Index("ix_analytics_order_days", "currency", "day", "owner_id"),
)
interaction_days = Table(
    "analytics_interaction_days", Base.metadata,
    Column("day", Date, nullable=False),
    Column("owner_id", Uuid(), nullable=True),
    Column("calls", Integer, nullable=False),
    Column("emails_sent", Integer, nullable=False),
    Column("meetings", Integer, nullable=False),
    Index("ix_analytics_interaction_days", "day", "owner_id"),
)
customer_first = Table(
    "analytics_customer_first", Base.metadata,
    Column("currency", String(3), primary_key=True),
    Column("owner_key", Uuid(), primary_key=True),  # the orders' owner, or NIL_OWNER for all
    Column("contact_id", Uuid(), ForeignKey("contacts.id", ondelete="CASCADE"),
           primary_key=True),
    Column("first_at", UTCDateTime(), nullable=False),
    Index("ix_analytics_customer_first_at", "currency", "owner_key", "first_at"),
    Index("ix_analytics_customer_first_contact", "contact_id"),
)
# Customers whose first counted order (per currency and owner key) fell on each UTC day: a
# running total of it answers "distinct customers before t" without counting every customer.
first_days = Table(
    "analytics_first_days", Base.metadata,
    Column("currency", String(3), nullable=False),
    Column("owner_key", Uuid(), nullable=False),
    Column("day", Date, nullable=False),
    Column("customers", Integer, nullable=False),
    Index("ix_analytics_first_days", "currency", "owner_key", "day"),
)
# Each customer's counted orders in time order, per currency and owner key (the orders' owner,
# or NIL_OWNER over all owners), each with the time of that customer's next one: retention
# counts customers active at an instant as the orders that are their last before it (within
# the window, next one at or after it), a range count over ``(currency, owner_key, at)`` with
# no GROUP BY (analytics.retention). Ties in time are ordered by the order's id.
customer_orders = Table(
    "analytics_customer_orders", Base.metadata,
    Column("owner_key", Uuid(), primary_key=True),
    Column("order_id", Uuid(), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("contact_id", Uuid(), ForeignKey("contacts.id", ondelete="CASCADE"),
           nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("next_at", UTCDateTime(), nullable=True),  # None: the customer's latest order
    Index("ix_analytics_customer_orders_at", "currency", "owner_key", "at",
          postgresql_include=["next_at", "contact_id"]),
    Index("ix_analytics_customer_orders_contact", "contact_id", "currency", "owner_key", "at"),
    Index("ix_analytics_customer_orders_next", "currency", "owner_key", "next_at",
          postgresql_include=["at"]),
)
# The chain's rows over all owners counted per (currency, UTC day of the order, UTC day of the
# customer's next order, NO_NEXT when there is none): retention and buyers for the whole
# business sum whole days here and read only the partial days at a period's edges from the
# chain (analytics.retention), instead of ranging over every order of the window.
NO_NEXT = date(9999, 12, 31)
order_pairs = Table(
    "analytics_order_pairs", Base.metadata,
    Column("currency", String(3), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("next_day", Date, primary_key=True),
    Column("customers", Integer, nullable=False),
    Index("ix_analytics_order_pairs", "currency", "day", "next_day",
          postgresql_include=["customers"]),
)
# Each team's members (of two or more) as the roll-ups last saw them. Every such team has its
# own rows in the customer tables above (owner_key = the team's id) over the orders of those
# members, so a dashboard for exactly those owners reads them like one owner's; any other set
# of owners is counted live. A refresh rebuilds the rows of a team whose members changed.
team_keys = Table(
    "analytics_team_members", Base.metadata,
    Column("team_id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), primary_key=True),
    Index("ix_analytics_team_members_user", "user_id"),
)
# What each source row counted for when the roll-ups last saw it (its time, owner, currency,
# kind and amount; for orders its customer), so a refresh applies the difference between that
# and the row as it is now: an edit that moves a row to another day or owner, a cancellation
# and a soft delete come off where they were counted and go on where they count now.
rollup_keys = Table(
    "analytics_rollup_keys", Base.metadata,
    Column("source", String(20), primary_key=True),
    Column("record_id", Uuid(), primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("owner_id", Uuid(), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("kind", String(12), nullable=True),  # None: counts for nothing (deleted, cancelled)
    Column("amount", BigInteger, nullable=True),  # an order's total in cents
    Column("contact_id", Uuid(), nullable=True),
)
rollup_state = Table(
    "analytics_rollup_state", Base.metadata,
    Column("source", String(20), primary_key=True),
    Column("watermark", UTCDateTime(), nullable=False),  # rows updated before it are counted
    Column("refreshed_at", UTCDateTime(), nullable=False),
    Column("rebuilt_at", UTCDateTime(), nullable=False),
)
