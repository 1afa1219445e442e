"""What the intelligence API returns: fitted models with their diagnostics, a contact's
predictions with reasons and best time to contact, the at-risk list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from amity.core.schemas import Output


class FitRead(Output):
    id: uuid.UUID
    kind: str = Field(description="clv or churn")
    version: int
    label: str = Field(description="kind-version, as named by the predictions it made")
    status: str = Field(description="fitted, insufficient (too little history: see message) "
                                    "or failed")
    message: str | None
    params: dict[str, Any]
    diagnostics: dict[str, Any]
    samples: int
    trained_at: datetime


class BestTimeRead(BaseModel):
    hour_of_week: int = Field(description="0 = Monday 00:00-01:00 UTC ... 167")
    text: str
    rate: float = Field(description="smoothed share of the contact's responses in that hour")
    basis: str = Field(description="own (enough responses of their own) or population")


class PredictionRead(BaseModel):
    contact_id: uuid.UUID
    computed: bool = Field(description="false until the first scoring run reached them")
    computed_at: datetime | None = None
    currency: str | None = None
    purchases_3m: float | None = None
    purchases_6m: float | None = None
    purchases_12m: float | None = None
    revenue_3m: float | None = None
    revenue_6m: float | None = None
    revenue_12m: float | None = None
    p_alive: float | None = Field(None, description="P(still a customer), BG/NBD")
    clv: float | None = Field(None, description="discounted value of the next 12 months")
    clv_model: str | None = None
    churn_risk: float | None = Field(None, description="P(no purchase in the next 90 days); "
                                                       "null for lapsed customers")
    at_risk: bool = False
    churn_reasons: list[str] = Field(default_factory=list)
    churn_model: str | None = Field(None, description="churn-N, or rules when there was too "
                                                      "little history to learn from")
    best_time: BestTimeRead | None = None
    next_best_actions: list[str] = Field(default_factory=list,
                                         description="rules on the stored predictions")


class AgendaActionRead(BaseModel):
    """One of the reader's own customers and what to do next with them (agenda)."""

    contact_id: uuid.UUID
    name: str
    actions: list[str] = Field(description="most urgent first: rules on the stored predictions")
    churn_risk: float | None
    clv: float | None
    currency: str | None


class AtRiskRead(BaseModel):
    contact_id: uuid.UUID
    name: str
    churn_risk: float
    churn_reasons: list[str]
    clv: float | None
    currency: str | None
    computed_at: datetime


class RefreshRequest(BaseModel):
    threshold: float = Field(0.5, gt=0, le=1, description="at-risk threshold on churn risk")
    discount: float = Field(0.10, ge=0, le=1, description="annual discount rate for CLV")
