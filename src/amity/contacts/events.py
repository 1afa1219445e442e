"""Events the contacts domain publishes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from amity.core.events import DomainEvent


@dataclass(frozen=True)
class ContactCreated(DomainEvent):
    type = "contact.created"
    contact_id: uuid.UUID


@dataclass(frozen=True)
class ContactUpdated(DomainEvent):
    type = "contact.updated"
    contact_id: uuid.UUID
    changed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LifecycleStageChanged(DomainEvent):
    type = "contact.lifecycle_stage_changed"
    contact_id: uuid.UUID
    from_stage: str | None = None
    to_stage: str | None = None


@dataclass(frozen=True)
class ContactDeleted(DomainEvent):
    type = "contact.deleted"
    contact_id: uuid.UUID


@dataclass(frozen=True)
class ContactRestored(DomainEvent):
    type = "contact.restored"
    contact_id: uuid.UUID
