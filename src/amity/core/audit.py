"""The audit log: who changed what, when, with the before and after of each field.

Written by services in the same transaction as the change. Nothing in the product edits or
deletes an entry; the one exception is a GDPR erasure, which replaces the *values* in the
entries about the erased person with ``"***"`` (the keys, actor and time stay).

Sensitive values are never stored in clear: a field named like a password, secret or token,
a field a domain registered as sensitive (``register_sensitive``, e.g. a contact's
``personal_notes``), a key passed in ``sensitive=``, and a custom field defined with
``sensitive=True`` are recorded as ``"***"`` (the entry still says the field changed).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import String, Table, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from amity.core.clock import now
from amity.core.customfields import ENTITIES as CUSTOM_FIELD_ENTITIES
from amity.core.customfields import definitions_for
from amity.core.db import Base, JSONType
from amity.core.errors import ValidationFailed
from amity.core.mixins import UUIDPk
from amity.core.pagination import Page, Sort, keyset, page_of

MASK = "***"
SENSITIVE_NAME = re.compile(r"password|passwd|secret|token|totp|api_key|hash", re.IGNORECASE)
_REGISTRY: dict[str, set[str]] = {}


class AuditEntry(UUIDPk, Base):
    __tablename__ = "audit_log"

    at: Mapped[datetime] = mapped_column(default=now, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


AUDIT_LOG = cast(Table, AuditEntry.__table__)


def register_sensitive(entity_type: str, *keys: str) -> None:
    """Declare fields of ``entity_type`` whose values the audit log must never hold."""
    _REGISTRY.setdefault(entity_type, set()).update(keys)


def sensitive_keys(db: Session, entity_type: str) -> set[str]:
    """Registered keys plus the custom fields defined as sensitive for this entity."""
    keys = set(_REGISTRY.get(entity_type, ()))
    if entity_type in CUSTOM_FIELD_ENTITIES:
        keys |= {k for k, d in definitions_for(db, entity_type).items() if d.sensitive}
    return keys


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


def _hidden(value: Any) -> Any:
    """A value's mask: empty stays empty (so 'was set' / 'was cleared' still reads)."""
    return value if value is None or value == "" or value == [] or value == {} else MASK


def _is_sensitive(key: str, keys: set[str]) -> bool:
    return key in keys or bool(SENSITIVE_NAME.search(key))


def _mask_nested(value: Any, keys: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _hidden(v) if _is_sensitive(k, keys) else _mask_nested(v, keys)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_nested(v, keys) for v in value]
    return value


def mask(changes: dict[str, Any], keys: Iterable[str] = ()) -> dict[str, Any]:
    """``changes`` with every sensitive value replaced by ``"***"``.

    A top-level ``[before, after]`` pair keeps its shape (each side masked); nested dicts
    (e.g. custom_fields) are masked key by key.
    """
    wanted = set(keys)
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if not _is_sensitive(key, wanted):
            out[key] = _mask_nested(value, wanted)
        elif isinstance(value, list) and len(value) == 2:
            out[key] = [_hidden(v) for v in value]
        else:
            out[key] = _hidden(value)
    return out


def scrub(changes: dict[str, Any]) -> dict[str, Any]:
    """Every value hidden, keys kept: what an erasure leaves of an entry about a person."""
    return {key: [_hidden(v) for v in value] if isinstance(value, list) and len(value) == 2
            else _hidden(value) for key, value in changes.items()}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [before, after]} (masked later by ``record``)."""
    return {k: [_plain(before.get(k)), _plain(after.get(k))]
            for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def record(db: Session, *, actor_id: uuid.UUID | None, action: str, entity_type: str,
           entity_id: uuid.UUID | None, changes: dict[str, Any] | None = None,
           sensitive: Iterable[str] = ()) -> AuditEntry:
    """Add an entry; values of sensitive fields (see the module doc) are stored as '***'."""
    keys = sensitive_keys(db, entity_type) | set(sensitive)
    entry = AuditEntry(actor_id=actor_id, action=action, entity_type=entity_type,
                       entity_id=entity_id, changes=mask(_plain(changes or {}), keys))
    db.add(entry)
    return entry


def record_now(db: Session, *, actor_id: uuid.UUID | None, action: str, entity_type: str,
               entity_id: uuid.UUID | None, changes: dict[str, Any] | None = None,
               sensitive: Iterable[str] = ()) -> None:
    """As ``record``, written at once with one INSERT and no ORM object (for hot paths)."""
    keys = sensitive_keys(db, entity_type) | set(sensitive)
    db.execute(insert(AUDIT_LOG), {
        "id": uuid.uuid4(), "at": now(), "actor_id": actor_id, "action": action,
        "entity_type": entity_type, "entity_id": entity_id,
        "changes": mask(_plain(changes or {}), keys)})


def history_of(db: Session, *, entity_type: str, entity_id: uuid.UUID,
               limit: int = 100) -> list[AuditEntry]:
    """One record's audit trail, newest first."""
    return list(db.scalars(select(AuditEntry).where(AuditEntry.entity_type == entity_type,
                                                    AuditEntry.entity_id == entity_id)
                           .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))


@dataclass(frozen=True)
class AuditFilters:
    actor_id: uuid.UUID | None = None
    entity_type: str | None = None
    entity_id: uuid.UUID | None = None
    action: str | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


_AT = Sort("at", AuditEntry.at, descending=True)


def list_entries(db: Session, *, filters: AuditFilters, cursor: str | None,
                 limit: int) -> Page[AuditEntry]:
    """The whole log, newest first, keyset-paged by (at, id); ``at_to`` is exclusive."""
    for name in ("at_from", "at_to"):
        value = getattr(filters, name)
        if value is not None and value.tzinfo is None:
            raise ValidationFailed("datetime.naive", "Give times with a time zone, e.g. "
                                   "2026-01-31T00:00:00Z", name)
    stmt = select(AuditEntry)
    if filters.actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == filters.actor_id)
    if filters.entity_type:
        stmt = stmt.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == filters.entity_id)
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.at_from is not None:
        stmt = stmt.where(AuditEntry.at >= filters.at_from)
    if filters.at_to is not None:
        stmt = stmt.where(AuditEntry.at < filters.at_to)
    rows = list(db.scalars(keyset(stmt, _AT, AuditEntry.id, cursor, limit)))
    return page_of(rows, _AT, limit, key=lambda e: e.at)
