"""Events the duplicates domain publishes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from amity.core.events import DomainEvent


@dataclass(frozen=True)
class RecordsMerged(DomainEvent):
    type = "dedupe.merged"
    merge_id: uuid.UUID
    record_type: str = "contact"
    survivor_id: uuid.UUID | None = None
    loser_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class MergeUndone(DomainEvent):
    type = "dedupe.merge_undone"
    merge_id: uuid.UUID
    record_type: str = "contact"
    survivor_id: uuid.UUID | None = None
