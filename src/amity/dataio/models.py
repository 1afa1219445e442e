"""Imports (a stored file, its mapping and progress), what each created or changed, the rows it
refused, and exports produced in the background."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.mixins import UUIDPk

ENTITIES = ("contacts", "companies", "deals", "products", "orders", "interactions")
FORMATS = ("csv", "xlsx", "vcard")
# uploaded -> mapped -> queued -> running -> done | failed; done/failed -> rolling_back ->
# rolled_back
STATUSES = ("uploaded", "mapped", "queued", "running", "done", "failed", "rolling_back",
            "rolled_back")


class DataImport(UUIDPk, Base):
    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_owner_created", "owner_id", "created_at"),)

    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    entity: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80))  # under Settings.import_dir
    size_bytes: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str | None] = mapped_column(String(40))
    delimiter: Mapped[str | None] = mapped_column(String(4))
    headers: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    renamed_headers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="uploaded")
    total_rows: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)  # data rows consumed (resume)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    rolled_back_at: Mapped[datetime | None] = mapped_column()


class ImportChange(UUIDPk, Base):
    """A record an import created, or one it updated with the values it had before."""

    __tablename__ = "import_changes"
    __table_args__ = (Index("ix_import_changes_import_row", "import_id", "row_number"),)

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)
    entity_type: Mapped[str] = mapped_column(String(20))  # contact | company
    record_id: Mapped[uuid.UUID] = mapped_column()
    action: Mapped[str] = mapped_column(String(10))  # created | updated
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class ImportRowError(UUIDPk, Base):
    """A row an import refused: the original values and why, for the error file."""

    __tablename__ = "import_row_errors"
    __table_args__ = (UniqueConstraint("import_id", "row_number"),)

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)
    raw: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    errors: Mapped[list[Any]] = mapped_column(JSONType, default=list)  # [{field, message}]


class DataExport(UUIDPk, Base):
    """An export too large for one response, written to a file by a job."""

    __tablename__ = "exports"
    __table_args__ = (Index("ix_exports_owner_created", "owner_id", "created_at"),)

    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    entity: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(10))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued|done|failed
    row_count: Mapped[int | None] = mapped_column(Integer)
    stored_name: Mapped[str | None] = mapped_column(String(80))
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
