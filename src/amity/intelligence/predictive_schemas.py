"""What the API returns for a deal's chance of being won and a contact's product offers."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class DealWinRead(BaseModel):
    deal_id: uuid.UUID
    computed: bool = Field(description="false until the first scoring run reached this deal "
                                       "(closed deals are not scored)")
    probability: float | None = Field(None, description="chance the deal is won, 0-1")
    model: str | None = Field(None, description="deal-N (learned from closed deals) or rules "
                                                "(the stage's default probability: too few "
                                                "closed deals to learn from)")
    factors: list[str] = Field(default_factory=list,
                               description="what moved the chance most, in plain words")
    computed_at: datetime | None = None


class RecommendationRead(BaseModel):
    product_id: uuid.UUID
    sku: str
    name: str
    category: str | None
    price: Decimal
    currency: str
    kind: str = Field(description="replenish (owned, due for replacement), co-purchase "
                                  "(bought by customers who bought what they own) or popular "
                                  "(a best seller, for customers with no purchases yet)")
    reason: str
    confidence: float | None = Field(None, description="P(bought it | bought `because`)")
    lift: float | None = Field(None, description="confidence over the product's share of "
                                                 "all customers")
    because_product_id: uuid.UUID | None = None
    last_bought: datetime | None = None
