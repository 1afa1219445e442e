"""Fitted models and the per-customer predictions the scoring jobs store.

``model_fits`` keeps every fit (kind, version, parameters, diagnostics, status): a
prediction names the version it came from, and the admin page shows the latest fit of each
kind. ``customer_predictions`` is one row per contact, overwritten by each scoring run, so the
contact page reads one row by primary key. Estimates are floats in the business's reporting
currency (``currency``), not booked money.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.mixins import UUIDPk

MODEL_KINDS = ("clv", "churn", "deal", "products")
FIT_STATUSES = ("fitted", "insufficient", "failed")


class ModelFit(UUIDPk, Base):
    __tablename__ = "model_fits"
    __table_args__ = (UniqueConstraint("kind", "version"),
                      Index("ix_model_fits_kind_trained", "kind", "trained_at"))

    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    diagnostics: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    trained_at: Mapped[datetime] = mapped_column(default=now)

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.version}"


class CustomerPrediction(Base):
    __tablename__ = "customer_predictions"
    __table_args__ = (Index("ix_customer_predictions_risk", "churn_risk"),
                      Index("ix_customer_predictions_clv", "clv"))

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str | None] = mapped_column(String(3))
    purchases_3m: Mapped[float | None] = mapped_column(Float)
    purchases_6m: Mapped[float | None] = mapped_column(Float)
    purchases_12m: Mapped[float | None] = mapped_column(Float)
    revenue_3m: Mapped[float | None] = mapped_column(Float)
    revenue_6m: Mapped[float | None] = mapped_column(Float)
    revenue_12m: Mapped[float | None] = mapped_column(Float)
    p_alive: Mapped[float | None] = mapped_column(Float)
    clv: Mapped[float | None] = mapped_column(Float)
    clv_model: Mapped[str | None] = mapped_column(String(40))
    churn_risk: Mapped[float | None] = mapped_column(Float)
    at_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    churn_reasons: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    churn_model: Mapped[str | None] = mapped_column(String(40))  # churn-N or "rules"
    # best time to contact: hour of the week (0 = Monday 00:00 UTC) and its response rate
    contact_hour: Mapped[int | None] = mapped_column(Integer)
    contact_hour_rate: Mapped[float | None] = mapped_column(Float)
    contact_hour_basis: Mapped[str | None] = mapped_column(String(12))  # own / population
    computed_at: Mapped[datetime] = mapped_column(default=now)

