"""What the API accepts and returns for email templates, sending email, sites and web events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from amity.core.schemas import Input, Output

Purpose = Literal["marketing", "newsletter", "transactional"]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=998)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


class TemplateCreate(Input):
    name: Name
    subject: Subject = Field(description="A Jinja template (sandboxed): {{ first_name }} ...")
    body: Body = Field(description="A Jinja template (sandboxed), plain text")
    purpose: Purpose = "marketing"


class TemplateUpdate(Input):
    name: Name | None = None
    subject: Subject | None = None
    body: Body | None = None
    purpose: Purpose | None = None
    version: int | None = Field(None, description="The version you read; 412 if it changed")


class TemplateRead(Output):
    id: uuid.UUID
    version: int
    name: str
    subject: str
    body: str
    purpose: str
    created_at: datetime
    updated_at: datetime


class EmailSend(Input):
    """Either subject and body, or a template_id (and variables for it)."""

    subject: Subject | None = None
    body: Body | None = None
    template_id: uuid.UUID | None = None
    variables: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, max_length=50,
        description="Extra template variables (the contact's fields are there already)")
    purpose: Purpose = Field("marketing", description="Ignored with a template (it has one)")

    @model_validator(mode="after")
    def _content(self) -> EmailSend:
        if self.template_id is None and (self.subject is None or self.body is None):
            raise ValueError("give subject and body, or template_id")
        if self.template_id is not None and (self.subject or self.body):
            raise ValueError("give a template_id or subject and body, not both")
        return self


Origin = Annotated[str, StringConstraints(min_length=1, max_length=300,
                                          pattern=r"^https?://[^/\s]+$")]


class SiteCreate(Input):
    name: Name
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=50)
    rate_limit_per_minute: int = Field(6000, ge=1, le=1_000_000)


class SiteUpdate(Input):
    name: Name | None = None
    allowed_origins: list[Origin] | None = Field(None, max_length=50)
    rate_limit_per_minute: int | None = Field(None, ge=1, le=1_000_000)
    version: int | None = None


class SiteRead(Output):
    id: uuid.UUID
    version: int
    name: str
    public_key: str
    allowed_origins: list[str]
    rate_limit_per_minute: int
    created_at: datetime
    updated_at: datetime


Url = Annotated[str, StringConstraints(max_length=2000)]
VisitorKey = Annotated[str, StringConstraints(min_length=8, max_length=64,
                                              pattern=r"^[A-Za-z0-9_-]+$")]


class WebEventIn(Input):
    type: Literal["page_view", "download", "form_submit"]
    url: Url
    title: Annotated[str, StringConstraints(max_length=500)] | None = None
    referrer: Url | None = None
    visitor_id: VisitorKey
    occurred_at: AwareDatetime | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = Field(
        None, description="form_submit: the email the visitor gave (links them if known)")
    identity: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="The amity_id parameter an email click added to the page's URL")


class WebEventBatch(Input):
    key: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="The site's public key (or the X-Amity-Key header)")
    events: list[WebEventIn] = Field(min_length=1, max_length=100)


class IngestResult(Output):
    accepted: int
    linked: int = Field(description="Visitors linked to a contact by this batch")


def as_batch(raw: Any) -> dict[str, Any]:
    """One event or a batch: both become a batch."""
    if isinstance(raw, dict) and "events" not in raw and "type" in raw:
        key = raw.pop("key", None)
        return {"key": key, "events": [raw]}
    if isinstance(raw, dict):
        return raw
    raise ValueError("send a JSON object: one event, or {\"events\": [...]}")
