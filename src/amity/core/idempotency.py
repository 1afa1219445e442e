"""Stored responses for POSTs sent with an ``Idempotency-Key``: a retry gets the first answer."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.errors import ValidationFailed
from amity.core.mixins import UUIDPk


class IdempotencyRecord(UUIDPk, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    user_id: Mapped[uuid.UUID] = mapped_column()
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column()
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def lookup(db: Session, user_id: uuid.UUID, key: str, fingerprint: str,
           ttl: timedelta = timedelta(hours=24)) -> IdempotencyRecord | None:
    """The stored response for this key, or None. A key reused for another request is a 422.

    Keys older than ``ttl`` are forgotten (deleted here), so a key may be reused after that.
    """
    if not key or len(key) > 200:
        raise ValidationFailed("idempotency_key.invalid",
                               "Idempotency-Key must be 1 to 200 characters", "Idempotency-Key")
    rec = db.scalar(select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id,
                                                    IdempotencyRecord.key == key))
    if rec is not None and rec.created_at < now() - ttl:
        db.delete(rec)
        db.flush()
        return None
    if rec is not None and rec.request_hash != fingerprint:
        raise ValidationFailed("idempotency_key.reused", "This Idempotency-Key was already used "
                               "for a different request", "Idempotency-Key")
    return rec


def remember(db: Session, user_id: uuid.UUID, key: str, fingerprint: str, status: int,
             body: dict[str, Any]) -> None:
    db.add(IdempotencyRecord(user_id=user_id, key=key, request_hash=fingerprint, status=status,
                             body=body))
