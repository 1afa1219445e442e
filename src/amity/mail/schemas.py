"""What the API accepts and returns for mailboxes (the password goes in, never out)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from amity.core.schemas import Input, Output

Security = Literal["ssl", "starttls", "none"]
Purpose = Literal["tickets", "timeline"]
MailboxName = Annotated[str, StringConstraints(min_length=1, max_length=100,
                                               pattern=r"^[^\x00-\x1f\x7f]+$")]
# a DNS name or an IP address (IPv6 without brackets); no scheme, port or path
Host = Annotated[str, StringConstraints(min_length=1, max_length=255,
                                        pattern=r"^[A-Za-z0-9._:-]+$")]
Username = Annotated[str, StringConstraints(min_length=1, max_length=320,
                                            pattern=r"^[^\x00-\x1f\x7f]+$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=500,
                                            pattern=r"^[^\x00-\x1f\x7f]+$")]
Folder = Annotated[str, StringConstraints(min_length=1, max_length=200,
                                          pattern=r'^[^\x00-\x1f\x7f"\\]+$')]
Port = Annotated[int, Field(ge=1, le=65535)]

_PASSWORD: dict[str, Any] = {"description": "Used to log in; stored, never returned",
                             "writeOnly": True}


class MailboxCreate(Input):
    name: MailboxName
    host: Host
    port: Port | None = Field(None, description="Default 993 with ssl, else 143")
    security: Security = Field("ssl", description="'none' only for a loopback host")
    username: Username
    password: Password = Field(json_schema_extra=_PASSWORD)
    folder: Folder = "INBOX"
    purpose: Purpose = Field(description="'tickets': every new message goes through email "
                                         "to ticket; 'timeline': messages from or to known "
                                         "contacts are logged as email interactions")
    enabled: bool = True


class MailboxUpdate(Input):
    """Only the fields sent change. A new host, username or folder starts polling over."""

    name: MailboxName | None = None
    host: Host | None = None
    port: Port | None = None
    security: Security | None = None
    username: Username | None = None
    password: Password | None = Field(None, json_schema_extra=_PASSWORD)
    folder: Folder | None = None
    purpose: Purpose | None = None
    enabled: bool | None = None
    version: int | None = Field(None, description="The version you read; 412 if it changed")


class MailboxRead(Output):
    id: uuid.UUID
    version: int
    name: str
    host: str
    port: int
    security: str
    username: str
    has_password: bool
    folder: str
    purpose: str
    enabled: bool
    uid_validity: int | None
    last_uid: int
    last_polled_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_poll_at: datetime | None
    stored_count: int
    skipped_count: int
    quarantined_count: int
    created_at: datetime
    updated_at: datetime


class MailboxCheck(Output):
    ok: bool
    error: str | None = Field(None, description="Why logging in or opening the folder failed")
    uid_validity: int | None = None
    messages: int | None = Field(None, description="Messages in the folder")


class PollQueued(Output):
    job_id: uuid.UUID
