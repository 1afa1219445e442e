"""Events the deals domain publishes (rows in the outbox, same transaction as the change)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from amity.core.events import DomainEvent


@dataclass(frozen=True)
class DealChanged(DomainEvent):
    """Every write to a deal: create, update, contacts, lines, move, delete, restore."""

    type = "deal.changed"
    deal_id: uuid.UUID
    action: str = "update"


@dataclass(frozen=True)
class DealStageChanged(DomainEvent):
    type = "deal.stage_changed"
    deal_id: uuid.UUID
    from_stage_id: uuid.UUID | None
    to_stage_id: uuid.UUID
    from_pipeline_id: uuid.UUID | None
    to_pipeline_id: uuid.UUID


@dataclass(frozen=True)
class DealWon(DealChanged):
    type = "deal.won"
    action: str = "won"


@dataclass(frozen=True)
class DealLost(DealChanged):
    type = "deal.lost"
    action: str = "lost"
    lost_reason_id: uuid.UUID | None = None


@dataclass(frozen=True)
class PipelineChanged(DomainEvent):
    """A pipeline or one of its stages was created, edited, reordered or archived."""

    type = "pipeline.changed"
    pipeline_id: uuid.UUID
    action: str = "update"
    stage_id: uuid.UUID | None = None


@dataclass(frozen=True)
class LostReasonChanged(DomainEvent):
    type = "lost_reason.changed"
    lost_reason_id: uuid.UUID
    action: str = "update"
