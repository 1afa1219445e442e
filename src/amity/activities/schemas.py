"""What the API accepts and returns for interactions, tasks, notifications, the timeline."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from amity.core.schemas import CustomFieldValues, Input, LongText, Output, ShortText

Channel = Literal["email", "call", "meeting", "chat", "social", "visit", "sms"]
Direction = Literal["inbound", "outbound", "internal"]
Role = Literal["from", "to", "cc", "bcc", "attendee", "organiser"]
Outcome = Literal["connected", "no_answer", "voicemail", "busy", "wrong_number", "failed"]
SocialType = Literal["message", "mention"]
TaskStatus = Literal["open", "done", "cancelled"]
Priority = Literal["low", "normal", "high", "urgent"]
TimelineKind = Literal["interaction", "note", "task", "deal", "order", "ticket"]
Header = Annotated[str, StringConstraints(max_length=998)]


class ParticipantIn(Input):
    """Exactly one of contact_id, user_id or address (an email or phone not matched yet)."""

    contact_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    address: Annotated[str, StringConstraints(min_length=1, max_length=320)] | None = None
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    role: Role = "to"

    @model_validator(mode="after")
    def _one_party(self) -> ParticipantIn:
        if sum(x is not None for x in (self.contact_id, self.user_id, self.address)) != 1:
            raise ValueError("give exactly one of contact_id, user_id or address")
        return self


class InteractionFields(Input):
    direction: Direction | None = None
    subject: Header | None = None
    body: LongText | None = None
    occurred_at: AwareDatetime | None = Field(
        None, description="When it happened (a meeting's start); default now")
    ends_at: AwareDatetime | None = Field(None, description="Meetings and visits")
    duration_s: int | None = Field(None, ge=0, le=366 * 86400, description="Calls, meetings")
    outcome: Outcome | None = Field(None, description="Calls")
    location: ShortText | None = Field(None, description="Meetings and visits")
    network: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(
        None, description="Social: the network, e.g. 'linkedin'")
    handle: Annotated[str, StringConstraints(max_length=200)] | None = None
    url: Annotated[str, StringConstraints(max_length=1000)] | None = None
    social_type: SocialType | None = Field(None, description="Social: a message or a mention")
    participants: list[ParticipantIn] | None = Field(None, max_length=500)
    company_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    message_id: Header | None = Field(None, description="Email: the Message-ID header")
    in_reply_to: Header | None = Field(None, description="Email: the In-Reply-To header")
    thread_key: Annotated[str, StringConstraints(max_length=255)] | None = None
    custom_fields: CustomFieldValues | None = None


class InteractionCreate(InteractionFields):
    channel: Channel
    external_source: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = (
        Field(None, description="Where it came from (a mailbox, a phone system)"))
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = (
        Field(None, description="Its id there: sending the same pair again returns the "
                                "interaction recorded the first time (200)"))

    @model_validator(mode="after")
    def _external_pair(self) -> InteractionCreate:
        if (self.external_source is None) != (self.external_id is None):
            raise ValueError("external_source and external_id go together")
        return self


class InteractionUpdate(InteractionFields):
    """Only the fields sent change; ``participants`` is replaced whole when sent."""

    channel: Channel | None = None
    version: int | None = Field(None, description="The version you read; 412 if it changed")


class ParticipantOut(Output):
    contact_id: uuid.UUID | None
    user_id: uuid.UUID | None
    address: str | None
    name: str | None
    role: str


class InteractionRead(Output):
    id: uuid.UUID
    version: int
    channel: str
    direction: str
    subject: str | None
    body: str | None
    occurred_at: datetime
    ends_at: datetime | None
    duration_s: int | None
    outcome: str | None
    location: str | None
    network: str | None
    handle: str | None
    url: str | None
    social_type: str | None
    participants: list[ParticipantOut]
    company_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    ticket_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    message_id: str | None
    in_reply_to: str | None
    thread_key: str | None
    external_source: str | None
    external_id: str | None
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class TaskFields(Input):
    description: LongText | None = None
    due_at: AwareDatetime | None = None
    priority: Priority | None = None
    assignee_id: uuid.UUID | None = Field(None, description="Default: you")
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    reminder_at: AwareDatetime | None = Field(
        None, description="Default: due_at minus the configured lead; null for no reminder")


class TaskCreate(TaskFields):
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class TaskUpdate(TaskFields):
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    status: TaskStatus | None = None
    version: int | None = Field(None, description="The version you read; 412 if it changed")


class TaskRead(Output):
    id: uuid.UUID
    version: int
    title: str
    description: str | None
    due_at: datetime | None
    status: str
    priority: str
    assignee_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    completed_at: datetime | None
    reminder_at: datetime | None
    reminded_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class Agenda(Output):
    date: date
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    overdue: list[TaskRead]
    due_today: list[TaskRead]
    meetings: list[InteractionRead]


class NotificationRead(Output):
    id: uuid.UUID
    kind: str
    title: str
    body: str | None
    entity_type: str | None
    entity_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None


class NotificationsRead(Input):
    ids: list[uuid.UUID] | None = Field(None, max_length=500)
    all: bool = Field(False, description="Mark every unread notification read")

    @model_validator(mode="after")
    def _something(self) -> NotificationsRead:
        if not self.all and not self.ids:
            raise ValueError("give ids, or all: true")
        return self


class MarkedRead(Output):
    marked: int


class TimelineItem(Output):
    """One entry of a contact's timeline, whatever its source."""

    kind: str = Field(description="interaction, note, task, deal, order, ticket")
    id: uuid.UUID
    occurred_at: datetime
    title: str
    body: str | None = None
    author_id: uuid.UUID | None = None
    event: str | None = Field(None, description="deal: created, won or lost")
    channel: str | None = None
    direction: str | None = None
    status: str | None = None


class TimelinePage(Output):
    items: list[TimelineItem]
    next_cursor: str | None


class CalendarFeedRead(Output):
    exists: bool
    created_at: datetime | None = None


class CalendarFeedCreated(Output):
    url: str = Field(description="Subscribe to it in a calendar app; shown only this once")
    token: str
    created_at: datetime


class CalendarImport(Input):
    ics: Annotated[str, StringConstraints(min_length=1, max_length=1_000_000)] = Field(
        description="The invitation (.ics text)")


class CalendarImported(Output):
    created: list[uuid.UUID]
    existing: list[uuid.UUID]
