"""What the API accepts and returns for contacts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from amity.activities.schemas import TimelineItem as TimelineItem  # the 360's timeline
from amity.commerce.schemas import PurchaseSummary
from amity.core.schemas import (
    Address,
    CustomFieldValues,
    ImportantDate,
    Input,
    Label,
    LongText,
    Name,
    Output,
    SocialProfile,
    TimeZoneName,
)
from amity.tickets.schemas import ServiceSummary

Stage = Literal["subscriber", "lead", "qualified", "opportunity", "customer", "evangelist",
                "churned"]
Channel = Literal["email", "phone", "sms", "chat", "social", "in_person", "mail"]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class EmailIn(Input):
    email: Annotated[str, StringConstraints(max_length=320)]
    label: Label | None = None
    primary: bool = False


class PhoneIn(Input):
    number: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="Any common format; stored as E.164. Without a country code the "
                    "configured default region is assumed.")
    label: Label | None = None
    primary: bool = False


class ContactFields(Input):
    first_name: Name | None = None
    last_name: Name | None = None
    nickname: Name | None = None
    job_title: Name | None = None
    department: Name | None = None
    company_id: uuid.UUID | None = None
    lifecycle_stage: Stage | None = None
    source: Annotated[str, StringConstraints(max_length=120)] | None = None
    referred_by_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    birthday: date | None = None
    gender: Annotated[str, StringConstraints(max_length=40)] | None = None
    language: Annotated[str, StringConstraints(max_length=20)] | None = None
    time_zone: TimeZoneName = None
    preferred_channel: Channel | None = None
    best_time_to_contact: Name | None = None
    do_not_contact: bool | None = None
    personal_notes: LongText | None = Field(
        None, description="Preferences, allergies, family events: what the team should know.")
    emails: list[EmailIn] | None = Field(None, max_length=20)
    phones: list[PhoneIn] | None = Field(None, max_length=20)
    addresses: list[Address] | None = Field(None, max_length=20)
    social_profiles: list[SocialProfile] | None = Field(None, max_length=20)
    important_dates: list[ImportantDate] | None = Field(None, max_length=50)
    tags: list[Tag] | None = Field(None, max_length=100)
    custom_fields: CustomFieldValues | None = None


class ContactCreate(ContactFields):
    @model_validator(mode="after")
    def _needs_identity(self) -> ContactCreate:
        if not (self.first_name or self.last_name or self.emails or self.phones):
            raise ValueError("a contact needs a name, an email or a phone number")
        return self


class ContactBulkCreate(Input):
    items: list[ContactCreate] = Field(min_length=1, max_length=1000)


class BulkCreated(Output):
    created: int
    ids: list[uuid.UUID]


class ContactUpdate(ContactFields):
    """Only the fields sent are changed; lists (emails, phones, tags...) are replaced whole."""

    version: int | None = Field(None, description="The version you read; 412 if it changed. "
                                                  "The If-Match header does the same.")


class EmailOut(Output):
    email: str
    label: str | None
    is_primary: bool


class PhoneOut(Output):
    e164: str
    label: str | None
    is_primary: bool


class CompanyBrief(Output):
    id: uuid.UUID
    name: str
    domain: str | None = None


class ContactRead(Output):
    id: uuid.UUID
    version: int
    display_name: str
    first_name: str
    last_name: str
    nickname: str | None
    job_title: str | None
    department: str | None
    company_id: uuid.UUID | None
    company: CompanyBrief | None
    lifecycle_stage: str
    source: str | None
    referred_by_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    birthday: date | None
    gender: str | None
    language: str | None
    time_zone: str | None
    preferred_channel: str | None
    best_time_to_contact: str | None
    do_not_contact: bool
    personal_notes: str | None
    emails: list[EmailOut]
    phones: list[PhoneOut]
    addresses: list[dict[str, Any]]
    social_profiles: list[dict[str, Any]]
    important_dates: list[dict[str, Any]]
    tags: list[str]
    custom_fields: dict[str, Any]
    last_contacted_at: datetime | None
    last_activity_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @model_validator(mode="before")
    @classmethod
    def _tag_names(cls, data: Any) -> Any:
        if hasattr(data, "tags") and not isinstance(data, dict):
            from amity.contacts.models import Contact

            if isinstance(data, Contact):
                return {**{k: getattr(data, k) for k in cls.model_fields if k != "tags"},
                        "tags": [t.name for t in data.tags]}
        return data


class ContactBrief(Output):
    id: uuid.UUID
    display_name: str


class Contact360(Output):
    contact: ContactRead
    company: CompanyBrief | None
    referred_by: ContactBrief | None
    referrals: list[ContactBrief]
    timeline: list[TimelineItem] = Field(description="The first page of the contact's timeline "
                                         "(interactions, notes, tasks, deals, orders)")
    timeline_next_cursor: str | None = Field(
        None, description="Pass as `cursor` to /contacts/{id}/timeline for the next page")
    notes_count: int
    purchases: PurchaseSummary | None = Field(
        None, description="What the contact bought (orders the reader may see); null when the "
                          "reader may not view orders")
    service: ServiceSummary | None = Field(
        None, description="Open and past tickets (those the reader may see) and satisfaction; "
                          "null when the reader may not view tickets")


SortKey = Literal["created_at", "-created_at", "updated_at", "-updated_at", "name", "-name"]
DeletedFilter = Literal["exclude", "only", "include"]
