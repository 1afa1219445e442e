"""What the API accepts and returns for web-to-lead forms, ingestion channels and ingested
interactions."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, field_validator, model_validator

from amity.core.schemas import Input, Output

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=60,
                                       pattern=r"^[a-z][a-z0-9_]*$")]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Stage = Literal["subscriber", "lead", "qualified", "opportunity", "customer", "evangelist",
                "churned"]
Purpose = Literal["marketing", "newsletter", "transactional", "profiling", "third_party"]
ConsentChannel = Literal["email", "phone", "sms", "chat", "social", "in_person", "mail"]
FieldType = Literal["text", "email", "tel", "textarea", "number", "date", "checkbox", "select"]
# What a field fills on the contact; ``custom`` names a contact custom field in custom_field.
MapsTo = Literal["first_name", "last_name", "email", "phone", "company_name", "job_title",
                 "message", "custom"]
ChannelKind = Literal["chat", "social", "sms", "call", "other"]
_HTTP = re.compile(r"^https?://[^\s/]+[^\s]*$", re.IGNORECASE)


class FormField(Input):
    maps_to: MapsTo
    custom_field: Key | None = Field(None, description="With maps_to=custom: the contact "
                                                       "custom field's key")
    label: Label
    type: FieldType = "text"
    required: bool = False
    options: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=100, description="Choices of a select field")

    @model_validator(mode="after")
    def _custom(self) -> FormField:
        if (self.maps_to == "custom") != (self.custom_field is not None):
            raise ValueError("custom_field goes with maps_to=custom (and only with it)")
        if self.type == "select" and not self.options:
            raise ValueError("a select field needs options")
        return self

    @property
    def name(self) -> str:
        """The input's name in the page and in a JSON submission."""
        return f"custom.{self.custom_field}" if self.maps_to == "custom" else self.maps_to


class FormConsent(Input):
    key: Key = Field(description="The checkbox's name in a submission, e.g. 'newsletter'")
    purpose: Purpose
    channel: ConsentChannel = "email"
    text: Annotated[str, StringConstraints(min_length=1, max_length=2000)] = Field(
        description="The wording shown beside the checkbox; recorded with the consent")
    required: bool = False


def _check_url(value: str | None) -> str | None:
    if value is not None and not _HTTP.match(value):
        raise ValueError("redirect_url must be an http(s) URL")
    return value


class FormFields(Input):
    title: Annotated[str, StringConstraints(max_length=200)] | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    submit_label: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = None
    site_id: uuid.UUID | None = Field(None, description="The site whose origins may post the "
                                                        "form from their pages (CORS), and "
                                                        "whose visitors are linked")
    lifecycle_stage: Stage | None = Field(None, description="Set on contacts it creates")
    source: Annotated[str, StringConstraints(max_length=120)] | None = None
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=60)]] | None = Field(
        None, max_length=20)
    owner_id: uuid.UUID | None = Field(None, description="Owner of contacts it creates")
    success_message: Annotated[str, StringConstraints(max_length=2000)] | None = None
    redirect_url: Url | None = Field(None, description="Where the hosted page goes after a "
                                                       "submission (http or https only)")
    enabled: bool | None = None
    min_fill_seconds: int | None = Field(None, ge=0, le=600)
    rate_limit_per_minute: int | None = Field(None, ge=1, le=100_000)
    per_ip_per_hour: int | None = Field(None, ge=1, le=100_000)

    _url = field_validator("redirect_url")(_check_url)


def _unique_names(fields: list[FormField] | None, consents: list[FormConsent] | None) -> None:
    names = [f.name for f in fields or []] + [c.key for c in consents or []]
    if len(names) != len(set(names)):
        raise ValueError("each field and consent checkbox must fill a different thing")
    if fields is not None and not any(f.maps_to in ("email", "phone") for f in fields):
        raise ValueError("a form needs an email or a phone field (contacts are found by them)")


class FormCreate(FormFields):
    name: Name
    fields: list[FormField] = Field(min_length=1, max_length=50)
    consents: list[FormConsent] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _names(self) -> FormCreate:
        _unique_names(self.fields, self.consents)
        return self


class FormUpdate(FormFields):
    name: Name | None = None
    fields: list[FormField] | None = Field(None, min_length=1, max_length=50)
    consents: list[FormConsent] | None = Field(None, max_length=10)
    version: int | None = Field(None, description="The version you read; 412 if it changed")

    @model_validator(mode="after")
    def _names(self) -> FormUpdate:
        _unique_names(self.fields, self.consents)
        return self


class FormRead(Output):
    id: uuid.UUID
    version: int
    name: str
    public_key: str
    title: str | None
    description: str | None
    submit_label: str
    fields: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    site_id: uuid.UUID | None
    lifecycle_stage: str | None
    source: str | None
    tags: list[str]
    owner_id: uuid.UUID | None
    success_message: str | None
    redirect_url: str | None
    enabled: bool
    min_fill_seconds: int
    rate_limit_per_minute: int
    per_ip_per_hour: int
    created_at: datetime
    updated_at: datetime


class SubmissionRead(Output):
    id: uuid.UUID
    form_id: uuid.UUID
    client_id: str | None
    contact_id: uuid.UUID | None
    contact_created: bool
    interaction_id: uuid.UUID | None
    visitor_key: str | None
    values: dict[str, Any]
    conflicts: dict[str, Any]
    consents: list[Any]
    ip: str | None
    user_agent: str | None
    created_at: datetime


class SubmitResult(Output):
    submission_id: uuid.UUID
    message: str
    redirect_url: str | None


# ---- channels and ingestion -------------------------------------------------------------

class ChannelCreate(Input):
    name: Name
    kind: ChannelKind
    enabled: bool = True
    create_contacts: bool = Field(False, description="Create a contact for a sender no contact "
                                                     "matches (else the interaction keeps the "
                                                     "bare address, unlinked)")


class ChannelUpdate(Input):
    name: Name | None = None
    enabled: bool | None = None
    create_contacts: bool | None = None
    version: int | None = Field(None, description="The version you read; 412 if it changed")


class ChannelRead(Output):
    id: uuid.UUID
    version: int
    name: str
    kind: str
    enabled: bool
    create_contacts: bool
    secret_rotated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ChannelCreated(ChannelRead):
    secret: str = Field(description="The signing secret: shown this once")


Handle = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Party(Input):
    """Who sent or received it: at least one of email, phone or a social handle."""

    email: Annotated[str, StringConstraints(min_length=3, max_length=320)] | None = None
    phone: Annotated[str, StringConstraints(min_length=3, max_length=40)] | None = None
    handle: Handle | None = None
    network: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    name: Annotated[str, StringConstraints(max_length=200)] | None = None

    @model_validator(mode="after")
    def _some(self) -> Party:
        if not (self.email or self.phone or self.handle):
            raise ValueError("give an email, a phone or a handle")
        if self.handle and not self.network:
            raise ValueError("a handle needs its network, e.g. 'twitter'")
        return self


class IngestItem(Input):
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        description="The provider's id: sending it again is a no-op")
    channel: Literal["email", "call", "meeting", "chat", "social", "visit", "sms"] | None = (
        Field(None, description="Default: the channel's kind (required for kind 'other')"))
    direction: Literal["inbound", "outbound", "internal"] = "inbound"
    occurred_at: AwareDatetime
    subject: Annotated[str, StringConstraints(max_length=998)] | None = None
    body: Annotated[str, StringConstraints(max_length=100_000)] | None = None
    from_: Party | None = Field(None, alias="from")
    to: list[Party] = Field(default_factory=list, max_length=50)
    duration_s: int | None = Field(None, ge=0, le=366 * 86400, description="Calls")
    outcome: Literal["connected", "no_answer", "voicemail", "busy", "wrong_number",
                     "failed"] | None = Field(None, description="Calls")
    network: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(
        None, description="Social: the network")
    url: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        None, description="Social: a link to the post or message")
    thread_key: Annotated[str, StringConstraints(max_length=255)] | None = None

    model_config = {"populate_by_name": True}

    @model_validator(mode="after")
    def _someone(self) -> IngestItem:
        if self.from_ is None and not self.to:
            raise ValueError("give 'from' or 'to'")
        return self


class IngestBatch(Input):
    interactions: list[IngestItem] = Field(min_length=1, max_length=100)


class ApiIngest(IngestBatch):
    source: Annotated[str, StringConstraints(min_length=1, max_length=60,
                                             pattern=r"^[a-z0-9][a-z0-9_.-]*$")] = Field(
        description="Your integration's name: with each external_id it de-duplicates")
    create_contacts: bool = False


class IngestedItem(Output):
    external_id: str
    interaction_id: uuid.UUID | None
    created: bool
    contact_ids: list[uuid.UUID]


class IngestOut(Output):
    results: list[IngestedItem]
