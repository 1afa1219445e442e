"""What the API accepts and returns for scoring rules, scoring settings and contact scores."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from amity.core.schemas import Input, Output

Kind = Literal["behaviour", "profile"]
Behaviour = Literal["page_view", "download", "form_submit", "email_open", "email_click",
                    "unsubscribe", "inbound_email", "meeting", "call", "chat", "visit"]
RuleField = Literal["url", "title", "subject", "outcome", "job_title", "department",
                    "lifecycle_stage", "source", "language", "company_size",
                    "company_industry"]
Operator = Literal["contains", "not_contains", "equals", "not_equals", "gt", "gte", "lt", "lte"]
Decay = Literal["none", "half_life", "expire"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Value = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Points = Annotated[int, Field(ge=-1000, le=1000)]
Days = Annotated[int, Field(ge=1, le=3650)]


class RuleCreate(Input):
    """A behaviour rule (``behaviour`` + optional filter ``field operator value``) or a
    profile rule (``field operator value`` on the contact)."""

    name: Name
    kind: Kind
    behaviour: Behaviour | None = None
    field: RuleField | None = None
    operator: Operator | None = None
    value: Value | None = None
    points: Points
    cap_points: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        None, description="At most this many points from the rule per cap_period_days")
    cap_period_days: Days | None = None
    decay: Decay = Field("none", description="half_life: halves every decay_days; expire: "
                                             "gone after decay_days")
    decay_days: Days | None = None
    enabled: bool = True


class RuleUpdate(Input):
    name: Name | None = None
    behaviour: Behaviour | None = None
    field: RuleField | None = None
    operator: Operator | None = None
    value: Value | None = None
    points: Points | None = None
    cap_points: Annotated[int, Field(ge=1, le=100_000)] | None = None
    cap_period_days: Days | None = None
    decay: Decay | None = None
    decay_days: Days | None = None
    enabled: bool | None = None
    version: int | None = Field(None, description="The version you read; 412 if it changed")


class RuleRead(Output):
    id: uuid.UUID
    version: int
    name: str
    kind: str
    behaviour: str | None
    field: str | None
    operator: str | None
    value: str | None
    points: int
    cap_points: int | None
    cap_period_days: int | None
    decay: str
    decay_days: int | None
    enabled: bool
    created_at: datetime
    updated_at: datetime


class SettingsRead(Output):
    threshold: int
    fallback_user_id: uuid.UUID | None
    alert_enabled: bool
    version: int


class SettingsUpdate(Input):
    threshold: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    fallback_user_id: uuid.UUID | None = None
    alert_enabled: bool | None = None


class RulePartRead(Output):
    rule_id: uuid.UUID
    name: str
    kind: str
    points: int


class EntryRead(Output):
    id: uuid.UUID
    rule_id: uuid.UUID | None
    rule_name: str
    kind: str
    source_type: str
    source_id: uuid.UUID | None
    points: int
    capped: bool
    occurred_at: datetime
    created_at: datetime


class ScoreRead(Output):
    contact_id: uuid.UUID
    score: int = Field(description="Now, with decay applied")
    threshold: int
    hot: bool
    hot_since: datetime | None
    crossings: int
    computed_at: datetime | None
    breakdown: list[RulePartRead]
    history: list[EntryRead] = Field(description="Newest first (up to 100)")
