"""The columns every business record carries (ARCHITECTURE rule 6)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from amity.core.clock import now
from amity.core.db import JSONType


class UUIDPk:
    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now, index=True)


class Versioned:
    """Optimistic concurrency: every UPDATE checks and bumps ``version``."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Owned:
    @declared_attr
    def owner_id(cls) -> Mapped[uuid.UUID | None]:
        return mapped_column(Uuid(), ForeignKey("users.id", ondelete="SET NULL"), index=True)


class SoftDelete:
    deleted_at: Mapped[datetime | None] = mapped_column(default=None, index=True)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class CustomFields:
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)


class Record(UUIDPk, Timestamps, Versioned, Owned, SoftDelete, CustomFields):
    """Everything a business record has: key, times, version, owner, soft delete, custom fields."""
