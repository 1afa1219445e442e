"""Products, orders (purchases) with their lines, and exchange rates.

Money is exact (``Fixed``: scaled integers). An order line keeps a copy of the product's SKU,
name and category as sold, so history stays true when the catalogue changes. ``external_ref``
is unique: importing the same order twice finds the first one instead of duplicating it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amity.core.clock import now
from amity.core.db import Base, Fixed
from amity.core.mixins import Record, Timestamps, UUIDPk

ORDER_CHANNELS = ("store", "web", "phone", "marketplace", "sales", "other")
ORDER_STATUSES = ("placed", "paid", "fulfilled", "cancelled", "refunded")
# orders that count as purchases in history, forecasts and analytics
COUNTED_STATUSES = ("placed", "paid", "fulfilled")


class Product(Record, Base):
    __tablename__ = "products"
    __table_args__ = (Index("ix_products_sort_name", "sort_name", "id"),)

    sku: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    sort_name: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str | None] = mapped_column(String(120), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(Fixed(4))
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    replacement_cycle_days: Mapped[int | None] = mapped_column(Integer, default=None)


class Order(Record, Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_contact_date", "contact_id", "ordered_at"),
        Index("ix_orders_company_date", "company_id", "ordered_at"),
        Index("ix_orders_total", "total", "id"),  # the list's sort by total (keyset)
        UniqueConstraint("external_ref"),
        UniqueConstraint("deal_id"),
    )

    number: Mapped[str | None] = mapped_column(String(80))
    external_ref: Mapped[str | None] = mapped_column(String(200))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"))
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"))
    deal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deals.id",
                                                                 ondelete="SET NULL"))
    ordered_at: Mapped[datetime] = mapped_column(default=now, index=True)
    channel: Mapped[str] = mapped_column(String(20), default="store", index=True)
    status: Mapped[str] = mapped_column(String(20), default="placed", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Fixed(2), default=Decimal("0"))
    discount_total: Mapped[Decimal] = mapped_column(Fixed(2), default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Fixed(2), default=Decimal("0"))
    notes: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list[OrderLine]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OrderLine.position")


class OrderLine(UUIDPk, Base):
    __tablename__ = "order_lines"
    __table_args__ = (Index("ix_order_lines_product", "product_id", "order_id"),)

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                                index=True)
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"))
    sku: Mapped[str | None] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(500), default="")
    category: Mapped[str | None] = mapped_column(String(120))
    quantity: Mapped[Decimal] = mapped_column(Fixed(3))
    unit_price: Mapped[Decimal] = mapped_column(Fixed(4))
    discount_percent: Mapped[Decimal] = mapped_column(Fixed(2), default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Fixed(2))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ExchangeRate(UUIDPk, Timestamps, Base):
    """How many units of the base currency one unit of ``currency`` buys from ``valid_from``;
    with rates configured, forecasts and totals are also given in the base currency."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("currency", "valid_from"),)

    currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Fixed(8))
    valid_from: Mapped[date] = mapped_column()
