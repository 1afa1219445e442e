"""Webhook subscriptions and deliveries as the API reads and writes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from amity.core.schemas import Input, Output

Url = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Pattern = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Description = Annotated[str, StringConstraints(max_length=500)]
EVENT_TYPES_DOC = ("Event types to receive: exact ('ticket.sla_breached'), a prefix "
                   "('deal.*') or '*' for every event")


class WebhookCreate(Input):
    url: Url = Field(description="http:// or https:// URL that receives the POSTs")
    event_types: list[Pattern] = Field(min_length=1, max_length=50,
                                       description=EVENT_TYPES_DOC)
    description: Description = ""
    enabled: bool = True


class WebhookUpdate(Input):
    url: Url | None = None
    event_types: list[Pattern] | None = Field(None, min_length=1, max_length=50,
                                              description=EVENT_TYPES_DOC)
    description: Description | None = None
    enabled: bool | None = Field(None, description="true re-enables a disabled subscription "
                                                   "(its failure count is reset)")
    version: int | None = None


class WebhookRead(Output):
    id: uuid.UUID
    version: int
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    consecutive_failures: int
    failing_since: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookRead):
    secret: str = Field(description="Signs every request (X-Amity-Signature). Shown only now: "
                                    "store it; rotate it if lost.")


class DeliveryRead(Output):
    id: uuid.UUID = Field(description="Sent as X-Amity-Delivery, the same on every attempt")
    subscription_id: uuid.UUID
    kind: Literal["event", "ping"]
    seq: int | None
    event_id: uuid.UUID | None
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    last_attempt_at: datetime | None
    status_code: int | None
    duration_ms: int | None
    error: str | None
    response_excerpt: str | None
    payload: dict[str, Any]
