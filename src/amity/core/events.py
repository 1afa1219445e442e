"""Domain events, stored as rows in the same transaction as the change that caused them.

Workers read the outbox after commit (the automation layer); nothing is lost if a process dies.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, cast

from sqlalchemy import String, Table, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.mixins import UUIDPk


class EventRecord(UUIDPk, Base):
    __tablename__ = "events"

    type: Mapped[str] = mapped_column(String(80), index=True)
    entity_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    occurred_at: Mapped[datetime] = mapped_column(default=now, index=True)
    published_at: Mapped[datetime | None] = mapped_column(default=None, index=True)


EVENTS = cast(Table, EventRecord.__table__)


@dataclass(frozen=True)
class DomainEvent:
    """Base for typed events; subclasses set ``type`` and declare their fields."""

    type: ClassVar[str] = "event"

    def entity(self) -> uuid.UUID | None:
        first = fields(self)[0].name if fields(self) else None
        value = getattr(self, first) if first else None
        return value if isinstance(value, uuid.UUID) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def publish_now(db: Session, *events: DomainEvent) -> None:
    """Store events with one INSERT, at once rather than at the next flush (no ORM objects:
    for hot paths such as a deal move). Same rows as ``publish``; same transaction."""
    rows = [{"id": uuid.uuid4(), "type": e.type, "entity_id": e.entity(),
             "payload": _jsonable(asdict(e)), "occurred_at": now(), "published_at": None}
            for e in events]
    if rows:
        db.execute(insert(EVENTS), rows)


def publish(db: Session, event: DomainEvent) -> EventRecord:
    """Store the event in the current transaction (it exists only if the change commits)."""
    rec = EventRecord(type=event.type, entity_id=event.entity(), payload=_jsonable(asdict(event)))
    db.add(rec)
    return rec
