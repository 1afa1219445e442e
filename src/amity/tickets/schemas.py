"""What the API accepts and returns for tickets, comments, attachments and customer context."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from amity.core.schemas import CustomFieldValues, Input, LongText, Output

Status = Literal["new", "open", "pending_customer", "on_hold", "resolved", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]
Channel = Literal["email", "phone", "chat", "web_form", "social", "in_person"]
Queue = Literal["mine", "team", "unassigned", "breaching_soon", "breached"]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Category = Annotated[str, StringConstraints(min_length=1, max_length=120)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Header = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class TicketFields(Input):
    subject: Subject | None = None
    description: LongText | None = None
    priority: Priority | None = None
    channel: Channel | None = None
    category: Category | None = None
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    tags: list[Tag] | None = Field(None, max_length=100)
    custom_fields: CustomFieldValues | None = None


class TicketCreate(TicketFields):
    subject: Subject
    priority: Priority = "normal"
    channel: Channel = "web_form"


class TicketUpdate(TicketFields):
    status: Status | None = None
    resolution_notes: LongText | None = None
    version: int | None = None

    @field_validator("subject", "priority", "channel", "status")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:  # only sent values are validated: null was sent
            raise ValueError("cannot be null")
        return value


class Assign(Input):
    """Give the ticket to ``assignee_id`` (null: nobody) and/or ``team_id``; with ``auto``,
    the team's routing (round robin or least loaded) picks an available member."""

    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    auto: bool = False


class TargetState(Output):
    due_at: datetime | None
    warn_at: datetime | None
    met_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None


class SlaState(Output):
    policy_id: uuid.UUID | None
    paused_at: datetime | None = Field(description="Set while the ticket waits on the customer")
    paused_seconds: int = Field(description="Business time spent paused so far")
    first_response: TargetState
    resolution: TargetState


class CurrencyTotal(Output):
    currency: str
    total: Decimal


class DealBrief(Output):
    id: uuid.UUID
    name: str
    amount: Decimal
    currency: str
    expected_close_date: Any = None


class PurchaseBrief(Output):
    order_id: uuid.UUID
    number: str | None
    ordered_at: datetime
    status: str
    currency: str
    total: Decimal


class ServiceSummary(Output):
    contact_id: uuid.UUID
    open_tickets: int
    tickets_total: int
    satisfaction_average: Decimal | None = Field(description="Mean survey score (1-5)")
    satisfaction_responses: int
    average_resolution_seconds: int | None


class CustomerValue(Output):
    """What the customer is worth and has bought, within what the reader may see (null: the
    reader may not see orders, or deals)."""

    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    lifetime_spend: list[CurrencyTotal] | None
    orders: int | None
    recent_purchases: list[PurchaseBrief] | None
    open_deals: list[DealBrief] | None
    service: ServiceSummary | None


class TicketRead(Output):
    id: uuid.UUID
    reference: str = Field(description="Human reference, e.g. T-1042 ('[#T-1042]' in emails)")
    number: int
    version: int
    subject: str
    description: str | None
    status: str
    priority: str
    channel: str
    category: str | None
    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    team_id: uuid.UUID | None
    order_id: uuid.UUID | None
    product_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    tags: list[str]
    custom_fields: dict[str, Any]
    resolution_notes: str | None
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla: SlaState
    satisfaction_score: int | None
    satisfaction_comment: str | None
    satisfaction_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    customer: CustomerValue | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_ticket(cls, data: Any) -> Any:
        if isinstance(data, dict) or not hasattr(data, "tags"):
            return data
        out = {k: getattr(data, k) for k in cls.model_fields
               if k not in ("tags", "sla", "customer")}
        out["tags"] = [t.name for t in data.tags]
        out["sla"] = _sla(data)
        return out


def _target(t: Any, name: str, met: datetime | None) -> dict[str, Any]:
    return {"due_at": getattr(t, f"{name}_due_at"), "warn_at": getattr(t, f"{name}_warn_at"),
            "met_at": met, "warned_at": getattr(t, f"{name}_warned_at"),
            "breached_at": getattr(t, f"{name}_breached_at")}


def _sla(t: Any) -> dict[str, Any]:
    return {"policy_id": t.sla_policy_id, "paused_at": t.sla_paused_at,
            "paused_seconds": t.sla_paused_seconds,
            "first_response": _target(t, "first_response", t.first_responded_at),
            "resolution": _target(t, "resolution", t.resolved_at)}


class QueueCounts(Output):
    mine: int
    team: int
    unassigned: int
    breaching_soon: int
    breached: int


class CommentCreate(Input):
    body: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
    public: bool = Field(True, description="False: an internal note agents see, never sent")
    author: Literal["agent", "customer"] = Field(
        "agent", description="'customer': written down on the customer's behalf (a call)")
    contact_id: uuid.UUID | None = Field(
        None, description="The customer who wrote (default: the ticket's contact)")
    message_id: Header | None = None
    in_reply_to: Header | None = None

    @model_validator(mode="after")
    def _customer_is_public(self) -> CommentCreate:
        if self.author == "customer" and not self.public:
            raise ValueError("a customer's comment is public; internal notes are agents'")
        return self


class AttachmentRead(Output):
    id: uuid.UUID
    ticket_id: uuid.UUID
    comment_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    url: str = ""

    @model_validator(mode="after")
    def _url(self) -> AttachmentRead:
        if not self.url:
            self.url = f"/api/v1/tickets/{self.ticket_id}/attachments/{self.id}"
        return self


class CommentRead(Output):
    id: uuid.UUID
    ticket_id: uuid.UUID
    author_kind: str
    author_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    public: bool
    body: str
    message_id: str | None
    in_reply_to: str | None
    created_at: datetime
    attachments: list[AttachmentRead]


class SurveyAnswer(Input):
    score: int = Field(ge=1, le=5, description="1 = poor ... 5 = excellent")
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class SurveyState(Output):
    reference: str
    subject: str
    expires_at: datetime
    score: int | None = None
    answered_at: datetime | None = None
