"""The company record."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amity.core.db import Base, JSONType
from amity.core.mixins import Record
from amity.core.tags import Tag

company_tags = Table(
    "company_tags", Base.metadata,
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Company(Record, Base):
    __tablename__ = "companies"
    __table_args__ = (Index("ix_companies_sort", "sort_name", "id"),)

    name: Mapped[str] = mapped_column(String(300))
    sort_name: Mapped[str] = mapped_column(String(300), default="")  # folded name
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    website: Mapped[str | None] = mapped_column(String(500))
    industry: Mapped[str | None] = mapped_column(String(120), index=True)
    size: Mapped[str | None] = mapped_column(String(20))
    employee_count: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True)

    # Loaded when read (one statement) rather than with every company: a contact list loads
    # its contacts' companies for a brief (id, name, domain) that has no tags. Lists of full
    # companies ask for them (companies.service.list_companies: selectinload).
    tags: Mapped[list[Tag]] = relationship(secondary=company_tags, lazy="select",
                                           order_by=Tag.key)
    parent: Mapped[Company | None] = relationship(remote_side="Company.id", lazy="raise")
