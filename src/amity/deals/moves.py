"""Moving deals: through the stages of their pipeline, to another pipeline, up and down a
column of the board; and the next step (a task on the deal).

A move is a handful of statements (the target stage, at most two neighbours' ranks, the deal's
row, its history row, the audit entry and the events), so it stays fast on a large pipeline.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from amity.activities.models import Task
from amity.activities.service import create_task
from amity.auth.models import User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import ValidationFailed
from amity.core.events import DomainEvent, publish, publish_now
from amity.deals.events import DealChanged
from amity.deals.models import Deal, LostReason, Stage
from amity.deals.queries import Visible
from amity.deals.ranks import rank_for
from amity.deals.service import (
    check_version,
    insert_stage_change,
    live_pipeline,
    live_stage,
    not_in_pipeline,
    outcome_events,
    settle,
    snapshot,
)

if TYPE_CHECKING:
    from amity.commerce.models import Order


@dataclass
class Moved:
    deal: Deal
    order: Order | None = None
    stage: Stage | None = None


def _lost_reason(db: Session, reason_id: uuid.UUID) -> None:
    reason = db.get(LostReason, reason_id)
    if reason is None or not reason.active:
        raise ValidationFailed("lost_reason.not_found", "No such active lost reason",
                               "lost_reason_id")


def move_deal_to_stage(db: Session, *, deal: Deal, stage_id: uuid.UUID, actor: User,
                       position: int | None = None, pipeline_id: uuid.UUID | None = None,
                       lost_reason_id: uuid.UUID | None = None,
                       lost_reason_text: str | None = None, create_order: bool = False,
                       expected_version: int | None = None, column: Visible | None = None,
                       at: datetime | None = None) -> Moved:
    """Put the deal in ``stage_id`` at ``position`` of its column (0 = top, None = bottom;
    ``column`` restricts the column to the deals the actor sees, as their board shows it).

    A stage of another pipeline needs that ``pipeline_id`` (else 422
    ``deal.stage_not_in_pipeline``). A won stage closes the deal as won (probability 100) and,
    with ``create_order``, places its order; a lost stage needs a reason; an open stage
    reopens a closed deal. A change of stage is a history row and a ``deal.stage_changed``
    event; staying in the stage only reorders the column.
    """
    at = at or now()
    check_version(deal, expected_version)
    stage = live_stage(db, stage_id)
    if pipeline_id is not None and pipeline_id != stage.pipeline_id:
        raise not_in_pipeline(stage)
    if pipeline_id is None and stage.pipeline_id != deal.pipeline_id:
        raise not_in_pipeline(stage)
    if stage.pipeline_id != deal.pipeline_id:
        live_pipeline(db, stage.pipeline_id)
    if lost_reason_id is not None or lost_reason_text:
        if stage.kind != "lost":
            raise ValidationFailed("deal.not_lost", "A lost reason goes with a lost stage",
                                   "lost_reason_id" if lost_reason_id else "lost_reason_text")
        if lost_reason_id is not None:
            _lost_reason(db, lost_reason_id)
    if stage.kind == "lost" and deal.status != "lost" and lost_reason_id is None \
            and not (lost_reason_text or "").strip():
        raise ValidationFailed("deal.lost_reason_required", "Say why the deal was lost: "
                               "lost_reason_id or lost_reason_text", "lost_reason_id")
    if create_order and not (stage.kind == "won" and deal.status != "won"):
        raise ValidationFailed("deal.create_order_not_won", "An order is placed when a deal is "
                               "won: move it to a won stage", "create_order")
    rank = rank_for(db, deal_id=deal.id, pipeline_id=stage.pipeline_id, stage_id=stage.id,
                    position=position, visible=column)
    before, old_rank = snapshot(deal), deal.rank
    from_stage, from_pipeline = deal.stage_id, deal.pipeline_id
    changed_stage = stage.id != from_stage
    deal.rank = rank
    outcome = None
    if changed_stage:
        deal.stage_id, deal.pipeline_id, deal.stage_entered_at = stage.id, stage.pipeline_id, at
        if lost_reason_id is not None:
            deal.lost_reason_id = lost_reason_id
        if lost_reason_text:
            deal.lost_reason_text = lost_reason_text
        outcome = settle(deal, stage, at)
        if outcome == "open":
            outcome = None
    deal.updated_at = deal.last_activity_at = at
    db.flush()  # the deal's row (and its new version); the rest is written without the ORM
    events: list[DomainEvent] = []
    if changed_stage:
        events.append(insert_stage_change(db, deal, from_stage=from_stage,
                                          from_pipeline=from_pipeline, actor=actor, at=at))
    changes: dict[str, Any] = audit.diff(before, snapshot(deal))
    changes["rank"] = [old_rank, rank]
    audit.record_now(db, actor_id=actor.id, action="move", entity_type="deal",
                     entity_id=deal.id, changes=changes)
    events.append(DealChanged(deal_id=deal.id, action="move"))
    publish_now(db, *events, *outcome_events(deal, outcome))
    order = None
    if create_order:
        from amity.commerce.service import create_order_from_deal

        order = create_order_from_deal(db, deal=deal, actor=actor)
    return Moved(deal=deal, order=order, stage=stage)


def set_next_step(db: Session, *, deal: Deal, title: str, actor: User,
                  due_at: datetime | None = None,
                  assignee_id: uuid.UUID | None = None) -> tuple[Deal, Task]:
    """A task on the deal (so it is not stalled while the task is open) whose title becomes
    the deal's next step."""
    task = create_task(db, title=title, actor=actor, due_at=due_at, assignee_id=assignee_id,
                       contact_id=deal.contact_id, company_id=deal.company_id,
                       deal_id=deal.id)
    before = deal.next_step
    deal.next_step = task.title[:500]
    deal.updated_at = deal.last_activity_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="update", entity_type="deal", entity_id=deal.id,
                 changes={"next_step": [before, deal.next_step], "task_id": [None, task.id]})
    publish(db, DealChanged(deal_id=deal.id, action="next_step"))
    return deal, task
