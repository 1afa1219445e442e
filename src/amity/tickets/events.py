"""The events tickets publish (rows in the events outbox, read by automation after commit)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from amity.core.events import DomainEvent


@dataclass(frozen=True)
class TicketChanged(DomainEvent):
    """Created, updated, deleted or restored (``action``)."""

    type = "ticket.changed"
    ticket_id: uuid.UUID
    action: str = "update"


@dataclass(frozen=True)
class TicketStatusChanged(DomainEvent):
    type = "ticket.status_changed"
    ticket_id: uuid.UUID
    from_status: str | None = None
    to_status: str = ""


@dataclass(frozen=True)
class TicketAssigned(DomainEvent):
    type = "ticket.assigned"
    ticket_id: uuid.UUID
    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    automatic: bool = False


@dataclass(frozen=True)
class TicketCommented(DomainEvent):
    type = "ticket.commented"
    ticket_id: uuid.UUID
    comment_id: uuid.UUID | None = None
    author_kind: str = "agent"
    public: bool = True


@dataclass(frozen=True)
class TicketResolved(DomainEvent):
    """Carries the satisfaction survey link (mailed to the customer by email-to-ticket)."""

    type = "ticket.resolved"
    ticket_id: uuid.UUID
    survey_id: uuid.UUID | None = None
    survey_url: str | None = None
    contact_id: uuid.UUID | None = None


@dataclass(frozen=True)
class SlaWarning(DomainEvent):
    """A target is close to its due time (the policy's warning percentage has passed)."""

    type = "ticket.sla_warning"
    ticket_id: uuid.UUID
    target: str = ""
    due_at: datetime | None = None
    warned_at: datetime | None = None


@dataclass(frozen=True)
class SlaBreached(DomainEvent):
    type = "ticket.sla_breached"
    ticket_id: uuid.UUID
    target: str = ""
    due_at: datetime | None = None
    breached_at: datetime | None = None


@dataclass(frozen=True)
class SatisfactionReceived(DomainEvent):
    type = "ticket.satisfaction_received"
    ticket_id: uuid.UUID
    score: int = 0
    contact_id: uuid.UUID | None = None
