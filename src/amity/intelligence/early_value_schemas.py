"""What the early-value API returns: the stored report (each signal's lift with intervals,
sample sizes and a sentence) and the customers inside their window with or without one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from amity.intelligence.early_value import SIGNAL_KEYS


class SignalLift(BaseModel):
    key: str = Field(description=f"One of {', '.join(SIGNAL_KEYS)}")
    label: str
    with_n: int = Field(description="Customers who showed the signal in their window")
    without_n: int
    with_mean: float | None = Field(description="Their mean first-year value (reporting "
                                                "currency)")
    without_mean: float | None
    with_top: float | None = Field(description="Share of them in the top quarter by value")
    without_top: float | None
    lift: float | None = Field(description="with_mean / without_mean; null when either side "
                                           "has fewer than 10 customers")
    lift_ci: list[float | None] = Field(description="Bootstrap interval of the lift")
    top_lift: float | None = Field(description="with_top / without_top")
    top_lift_ci: list[float | None]
    significant: bool = Field(description="The lift's interval leaves out 1")
    sentence: str


class EarlyValueReport(BaseModel):
    computed: bool = Field(description="false until the first analysis ran")
    version: int | None = None
    status: str | None = Field(None, description="fitted, or insufficient (see message)")
    message: str | None = None
    computed_at: datetime | None = None
    window_days: int = 90
    horizon_days: int = 365
    currency: str | None = None
    customers: int = Field(0, description="Customers with a full first year (the sample)")
    inside_window: int = Field(0, description="Customers inside their window when computed")
    mean_value: str | None = Field(None, description="Mean first-year value (decimal string)")
    top_quarter_threshold: float | None = None
    signals: list[SignalLift] = []

    @classmethod
    def of(cls, fit: Any) -> EarlyValueReport:
        if fit is None:
            return cls(computed=False)
        d, p = fit.diagnostics or {}, fit.params or {}
        return cls(computed=True, version=fit.version, status=fit.status, message=fit.message,
                   computed_at=fit.trained_at, window_days=p.get("window_days", 90),
                   horizon_days=p.get("horizon_days", 365), currency=d.get("currency"),
                   customers=d.get("customers", 0), inside_window=d.get("inside_window", 0),
                   mean_value=d.get("mean_value"),
                   top_quarter_threshold=d.get("top_quarter_threshold"),
                   signals=[SignalLift(**s) for s in d.get("signals", [])])


class EarlyValueRefresh(BaseModel):
    window_days: int = Field(90, ge=7, le=365)
    horizon_days: int = Field(365, ge=30, le=1825)
    min_orders: int = Field(2, ge=2, le=20, description="Threshold of the repeat-orders signal")


class WindowCustomerRead(BaseModel):
    contact_id: uuid.UUID
    name: str
    first_order_at: datetime
    days_left: int = Field(description="Days until their window closes")
    orders: int
    categories: int
    channels: int
    tickets: int
    referrals: int
