"""Stored results of deal scoring and product recommendations.

``deal_predictions``: one row per open deal, rewritten by each scoring run (the deal page and
the board read it by key): the probability that the deal is won, the model that gave it
(``deal-N`` or ``rules`` when there were too few closed deals to learn from) and the factors
that weighed most, in plain words. ``product_associations``: for each ordered pair of
products bought by the same customers, how many customers bought both, the confidence
P(bought B | bought A) and the lift (confidence over B's share of all customers), rebuilt in
one SQL statement by the recommendations job.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.clock import now
from amity.core.db import Base, JSONType


class DealPrediction(Base):
    __tablename__ = "deal_predictions"

    deal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    probability: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(40))  # deal-N or "rules"
    factors: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    computed_at: Mapped[datetime] = mapped_column(default=now)


class ProductAssociation(Base):
    __tablename__ = "product_associations"
    __table_args__ = (Index("ix_product_associations_consequent", "consequent_id"),)

    antecedent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    consequent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    customers: Mapped[int] = mapped_column(Integer)  # bought both
    confidence: Mapped[float] = mapped_column(Float)
    lift: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(default=now)
