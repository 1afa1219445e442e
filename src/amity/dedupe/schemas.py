"""Request and response bodies of duplicates and merges."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from amity.core.schemas import Input, Output

Entity = Literal["contact", "company"]


class RecordBrief(Output):
    """Enough of a record to tell two apart at a glance."""

    id: uuid.UUID
    name: str
    email: str | None = None
    phone: str | None = None
    city: str | None = None
    owner_id: uuid.UUID | None = None


class SuggestionRead(Output):
    id: uuid.UUID
    entity: str
    a_id: uuid.UUID
    b_id: uuid.UUID
    score: float = Field(description="0-100: how sure the detector is that these are one")
    reasons: list[str] = Field(description="e.g. 'same email', 'last name 92% similar'")
    status: str = Field(description="open, dismissed or merged")
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    merge_id: uuid.UUID | None
    a: RecordBrief | None = None
    b: RecordBrief | None = None


class MergeIn(Input):
    survivor_id: uuid.UUID = Field(description="The record that stays")
    loser_ids: list[uuid.UUID] = Field(min_length=1, max_length=10,
                                       description="Records merged into the survivor; they "
                                                   "are soft-deleted and marked merged_into")
    choices: dict[str, uuid.UUID] = Field(
        default_factory=dict, max_length=100,
        description="Field name (or 'custom_fields.<key>') -> the id of the record whose value "
                    "the survivor takes. Unnamed fields keep the survivor's value, or the "
                    "first loser's where the survivor has none.")


class ScanIn(Input):
    entity: Entity = "contact"


class ScanQueued(Output):
    job_id: uuid.UUID
    entity: str


class MergeRead(Output):
    id: uuid.UUID
    entity: str
    survivor_id: uuid.UUID
    loser_ids: list[uuid.UUID]
    actor_id: uuid.UUID | None
    created_at: datetime
    choices: dict[str, Any]
    moved: int = Field(0, description="Column values moved to the survivor")
    removed: int = Field(0, description="Rows dropped because the survivor had the same one")
    undone_at: datetime | None
    undone_by_id: uuid.UUID | None

    @model_validator(mode="before")
    @classmethod
    def _counts(cls, data: Any) -> Any:
        if hasattr(data, "moves"):
            return {**{k: getattr(data, k) for k in (
                "id", "entity", "survivor_id", "loser_ids", "actor_id", "created_at",
                "choices", "undone_at", "undone_by_id")},
                "moved": len(data.moves), "removed": len(data.removed)}
        return data
