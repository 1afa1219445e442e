"""What the data-quality API returns."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, field_validator

from amity.core.schemas import Output


class FieldFillOut(Output):
    field: str
    missing: int
    completeness: float


class InvalidOut(Output):
    email: int
    phone: int
    birthday: int


class ReportOut(Output):
    entity: str
    segment_tag: str | None
    total: int
    stale_days: int
    computed_at: datetime
    fields: list[FieldFillOut]
    without_email_or_phone: int
    stale: int
    invalid: InvalidOut
    average_score: float | None
    below_50: int
    duplicates_open: int
    unused_custom_fields: list[str]


class RecordQualityOut(Output):
    contact_id: uuid.UUID
    score: int
    failed: list[str]


class WorstOut(Output):
    id: uuid.UUID
    name: str
    score: int


class StewardOut(Output):
    id: uuid.UUID
    user_id: uuid.UUID
    entity: str
    segment_tag: str | None = Field(description="Only contacts with this tag; null: all")
    created_at: datetime

    @field_validator("segment_tag")
    @classmethod
    def _none_for_all(cls, value: str | None) -> str | None:
        return value or None
