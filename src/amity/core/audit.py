"""The audit log: who changed what, when, with the before and after of each field.

Written by services in the same transaction as the change. Nothing in the product edits it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.mixins import UUIDPk


class AuditEntry(UUIDPk, Base):
    __tablename__ = "audit_log"

    at: Mapped[datetime] = mapped_column(default=now, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [before, after]}."""
    return {k: [_plain(before.get(k)), _plain(after.get(k))]
            for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def record(db: Session, *, actor_id: uuid.UUID | None, action: str, entity_type: str,
           entity_id: uuid.UUID | None, changes: dict[str, Any] | None = None) -> AuditEntry:
    entry = AuditEntry(actor_id=actor_id, action=action, entity_type=entity_type,
                       entity_id=entity_id, changes=_plain(changes or {}))
    db.add(entry)
    return entry


def history_of(db: Session, *, entity_type: str, entity_id: uuid.UUID,
               limit: int = 100) -> list[AuditEntry]:
    """One record's audit trail, newest first."""
    return list(db.scalars(select(AuditEntry).where(AuditEntry.entity_type == entity_type,
                                                    AuditEntry.entity_id == entity_id)
                           .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))
