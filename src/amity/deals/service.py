"""Every write to deals: validated, audited, announced.

Callers pass records they have already loaded through the access layer. A deal's ``status``
copies its stage's kind: a won deal has probability 100 and a ``closed_at``, a lost deal
probability 0, a ``closed_at`` and a reason. An open deal's probability is its stage's unless
overridden. Every stage a deal enters (creation included) is a ``DealStageChange`` row. Moves
are in ``deals.moves``; line items in ``deals.lines``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core import audit
from amity.core.clock import now
from amity.core.customfields import validate_custom_fields
from amity.core.errors import PreconditionFailed, ValidationFailed
from amity.core.events import DomainEvent, publish
from amity.core.text import fold
from amity.deals.events import DealChanged, DealLost, DealStageChanged, DealWon
from amity.deals.models import Deal, DealContact, DealStageChange, LostReason, Pipeline, Stage
from amity.deals.queries import default_pipeline
from amity.deals.ranks import bottom_rank
from amity.deals.schemas import DealContactIn, DealCreate, DealFields, DealUpdate

STAGE_CHANGES = cast(Table, DealStageChange.__table__)
SCALARS = ("name", "amount", "currency", "expected_close_date", "probability",
           "probability_overridden", "forecast_category", "pipeline_id", "stage_id", "status",
           "contact_id", "company_id", "owner_id", "source", "campaign", "next_step",
           "description", "closed_at", "lost_reason_id", "lost_reason_text")
PLAIN = ("expected_close_date", "forecast_category", "source", "campaign", "next_step",
         "description")
CENT = Decimal("0.01")


def snapshot(d: Deal) -> dict[str, Any]:
    data = {k: getattr(d, k) for k in SCALARS}
    data["custom_fields"] = dict(d.custom_fields or {})
    return data


def check_version(deal: Deal, *sent: int | None) -> None:
    for version in sent:
        if version is not None and version != deal.version:
            raise PreconditionFailed()


def _first_open(pipeline: Pipeline) -> Stage:
    for stage in sorted(pipeline.stages, key=lambda s: s.position):
        if stage.archived_at is None and stage.kind == "open":
            return stage
    raise ValidationFailed("pipeline.no_open_stage", f"Pipeline '{pipeline.name}' has no open "
                           "stage", "pipeline_id")


def live_stage(db: Session, stage_id: uuid.UUID, field: str = "stage_id") -> Stage:
    stage = db.get(Stage, stage_id)
    if stage is None or stage.archived_at is not None:
        raise ValidationFailed("stage.not_found", "No such live stage", field)
    return stage


def live_pipeline(db: Session, pipeline_id: uuid.UUID) -> Pipeline:
    pipeline = db.get(Pipeline, pipeline_id)
    if pipeline is None or pipeline.archived_at is not None:
        raise ValidationFailed("pipeline.not_found", "No such live pipeline", "pipeline_id")
    return pipeline


def not_in_pipeline(stage: Stage) -> ValidationFailed:
    return ValidationFailed("deal.stage_not_in_pipeline", f"Stage '{stage.name}' belongs to "
                            "another pipeline; name that pipeline in pipeline_id to move the "
                            "deal there", "stage_id")


def resolve_stage(db: Session, pipeline_id: uuid.UUID | None,
                  stage_id: uuid.UUID | None) -> Stage:
    """The stage a new deal starts in: the one named, else the first open stage of the
    pipeline named, else of the default pipeline."""
    if stage_id is not None:
        stage = live_stage(db, stage_id)
        if pipeline_id is not None and stage.pipeline_id != pipeline_id:
            raise not_in_pipeline(stage)
        live_pipeline(db, stage.pipeline_id)
        return stage
    pipeline = live_pipeline(db, pipeline_id) if pipeline_id else default_pipeline(db)
    if pipeline is None:
        raise ValidationFailed("pipeline.no_default", "There is no default pipeline; name one "
                               "in pipeline_id", "pipeline_id")
    return _first_open(pipeline)


def _check_refs(db: Session, deal: Deal, sent: set[str]) -> None:
    """Referenced records exist (their visibility is the access layer's job)."""
    for key, model, code in (("contact_id", Contact, "contact.not_found"),
                             ("company_id", Company, "company.not_found")):
        ref = getattr(deal, key)
        if key in sent and ref is not None:
            row = db.get(model, ref)
            if row is None or row.deleted_at is not None:
                raise ValidationFailed(code, f"No such {key.removesuffix('_id')}", key)
    if "owner_id" in sent and deal.owner_id is not None:
        owner = db.get(User, deal.owner_id)
        if owner is None or not owner.is_active:
            raise ValidationFailed("user.not_found", "No such active user", "owner_id")
    if "lost_reason_id" in sent and deal.lost_reason_id is not None:
        reason = db.get(LostReason, deal.lost_reason_id)
        if reason is None or not reason.active:
            raise ValidationFailed("lost_reason.not_found", "No such active lost reason",
                                   "lost_reason_id")


def has_lost_reason(deal: Deal) -> bool:
    return deal.lost_reason_id is not None or bool((deal.lost_reason_text or "").strip())


def settle(deal: Deal, stage: Stage, at: datetime) -> str | None:
    """Make the deal's status, probability and closing agree with ``stage``; returns the new
    status when it changed (so callers announce a win or a loss)."""
    previous = deal.status
    deal.status = stage.kind
    if stage.kind == "open":
        deal.closed_at = None
        deal.lost_reason_id = deal.lost_reason_text = None
        if not deal.probability_overridden:
            deal.probability = stage.probability
    else:
        deal.probability, deal.probability_overridden = stage.probability, False
        if previous != stage.kind or deal.closed_at is None:
            deal.closed_at = at
        if stage.kind == "won":
            deal.lost_reason_id = deal.lost_reason_text = None
        elif not has_lost_reason(deal):
            raise ValidationFailed("deal.lost_reason_required", "Say why the deal was lost: "
                                   "lost_reason_id or lost_reason_text", "lost_reason_id")
    return stage.kind if stage.kind != previous else None


def record_stage_change(db: Session, deal: Deal, *, from_stage: uuid.UUID | None,
                        from_pipeline: uuid.UUID | None, actor: User | None,
                        at: datetime) -> None:
    db.add(DealStageChange(id=uuid.uuid4(), deal_id=deal.id, from_stage_id=from_stage,
                           to_stage_id=deal.stage_id, from_pipeline_id=from_pipeline,
                           to_pipeline_id=deal.pipeline_id, changed_at=at,
                           actor_id=actor.id if actor else None))
    publish(db, DealStageChanged(deal_id=deal.id, from_stage_id=from_stage,
                                 to_stage_id=deal.stage_id, from_pipeline_id=from_pipeline,
                                 to_pipeline_id=deal.pipeline_id))


def insert_stage_change(db: Session, deal: Deal, *, from_stage: uuid.UUID | None,
                        from_pipeline: uuid.UUID | None, actor: User | None,
                        at: datetime) -> DealStageChanged:
    """``record_stage_change`` for hot paths: the history row is written at once with one
    INSERT (no ORM object); the event is returned for the caller to publish with others."""
    db.execute(insert(STAGE_CHANGES), {
        "id": uuid.uuid4(), "deal_id": deal.id, "from_stage_id": from_stage,
        "to_stage_id": deal.stage_id, "from_pipeline_id": from_pipeline,
        "to_pipeline_id": deal.pipeline_id, "changed_at": at,
        "actor_id": actor.id if actor else None})
    return DealStageChanged(deal_id=deal.id, from_stage_id=from_stage, to_stage_id=deal.stage_id,
                            from_pipeline_id=from_pipeline, to_pipeline_id=deal.pipeline_id)


def outcome_events(deal: Deal, outcome: str | None) -> list[DomainEvent]:
    if outcome == "won":
        return [DealWon(deal_id=deal.id)]
    if outcome == "lost":
        return [DealLost(deal_id=deal.id, lost_reason_id=deal.lost_reason_id)]
    return []


def announce_outcome(db: Session, deal: Deal, outcome: str | None) -> None:
    for event in outcome_events(deal, outcome):
        publish(db, event)


def _apply(db: Session, deal: Deal, data: DealFields, sent: set[str]) -> None:
    if "name" in sent and data.name is not None:
        deal.name = data.name
        deal.sort_name = fold(data.name)[:300]
    if "currency" in sent and data.currency is not None:
        deal.currency = data.currency
    if "amount" in sent and data.amount is not None:
        amount = data.amount.quantize(CENT)
        if deal.lines and amount != deal.amount:
            raise ValidationFailed("deal.amount_from_lines", "The deal has lines: its amount is "
                                   "their sum (change the lines instead)", "amount")
        deal.amount = amount
    for key in PLAIN:
        if key in sent:
            setattr(deal, key, getattr(data, key))
    for key in ("contact_id", "company_id", "owner_id"):
        if key in sent:
            setattr(deal, key, getattr(data, key))
    if "custom_fields" in sent:
        deal.custom_fields = validate_custom_fields(db, "deal", data.custom_fields,
                                                    existing=deal.custom_fields)
    if "lost_reason_id" in sent or "lost_reason_text" in sent:
        if deal.status != "lost":
            raise ValidationFailed("deal.not_lost", "Only a lost deal has a lost reason; move "
                                   "it to a lost stage", "lost_reason_id" if "lost_reason_id"
                                   in sent else "lost_reason_text")
        if "lost_reason_id" in sent:
            deal.lost_reason_id = data.lost_reason_id
        if "lost_reason_text" in sent:
            deal.lost_reason_text = data.lost_reason_text or None
        if not has_lost_reason(deal):
            raise ValidationFailed("deal.lost_reason_required", "A lost deal keeps a reason",
                                   "lost_reason_id")
    if "closed_at" in sent:
        if deal.status == "open" or data.closed_at is None:
            raise ValidationFailed("deal.not_closed", "Only a won or lost deal has a closing "
                                   "time (it cannot be removed)", "closed_at")
        deal.closed_at = data.closed_at


def _apply_probability(db: Session, deal: Deal, data: DealFields, sent: set[str]) -> None:
    if "probability" not in sent:
        return
    if deal.status != "open":
        if data.probability is not None and data.probability != deal.probability:
            raise ValidationFailed("deal.probability_closed", f"A {deal.status} deal's "
                                   f"probability is {deal.probability}", "probability")
        return
    if data.probability is None:
        stage = db.get(Stage, deal.stage_id)
        assert stage is not None
        deal.probability, deal.probability_overridden = stage.probability, False
    else:
        deal.probability, deal.probability_overridden = data.probability, True


def create_deal(db: Session, *, data: DealCreate, actor: User) -> Deal:
    """A new deal, at the bottom of its stage's column; its first stage-history row."""
    at = now()
    sent = set(data.model_fields_set) | {"name", "currency", "amount"}
    with db.no_autoflush:
        stage = resolve_stage(db, data.pipeline_id, data.stage_id)
        deal = Deal(id=uuid.uuid4(), pipeline_id=stage.pipeline_id, stage_id=stage.id,
                    status="open", probability=stage.probability, probability_overridden=False,
                    owner_id=actor.id, custom_fields={}, created_at=at, updated_at=at,
                    stage_entered_at=at, last_activity_at=at, contacts=[], lines=[])
        for key in ("closed_at", "lost_reason_id", "lost_reason_text"):
            setattr(deal, key, getattr(data, key))
        if data.closed_at is not None and stage.kind == "open":
            raise ValidationFailed("deal.not_closed", "An open deal has no closing time",
                                   "closed_at")
        if stage.kind != "lost" and (data.lost_reason_id or data.lost_reason_text):
            raise ValidationFailed("deal.not_lost", "Only a lost deal has a lost reason",
                                   "lost_reason_id")
        _apply(db, deal, data, sent - {"closed_at", "lost_reason_id", "lost_reason_text"})
        if "custom_fields" not in sent:  # required custom fields apply on create too
            deal.custom_fields = validate_custom_fields(db, "deal", {}, existing={})
        if stage.kind == "open":
            _apply_probability(db, deal, data, sent)
        _check_refs(db, deal, sent)
        outcome = settle(deal, stage, at)
        if stage.kind != "open" and data.closed_at is not None:
            deal.closed_at = data.closed_at
        deal.rank = bottom_rank(db, stage.pipeline_id, stage.id)
    db.add(deal)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="deal", entity_id=deal.id,
                 changes=audit.diff({}, snapshot(deal)))
    publish(db, DealChanged(deal_id=deal.id, action="create"))
    record_stage_change(db, deal, from_stage=None, from_pipeline=None, actor=actor, at=at)
    announce_outcome(db, deal, outcome)
    return deal


def update_deal(db: Session, *, deal: Deal, data: DealUpdate, actor: User,
                expected_version: int | None = None) -> Deal:
    """Edit fields; stage changes go through ``moves.move_deal_to_stage``."""
    check_version(deal, data.version, expected_version)
    sent = set(data.model_fields_set) - {"version"}
    before = snapshot(deal)
    with db.no_autoflush:
        _apply(db, deal, data, sent)
        _apply_probability(db, deal, data, sent)
        _check_refs(db, deal, sent)
    changes = audit.diff(before, snapshot(deal))
    if changes:
        deal.updated_at = deal.last_activity_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="deal",
                     entity_id=deal.id, changes=changes)
        publish(db, DealChanged(deal_id=deal.id))
    return deal


def set_deal_contacts(db: Session, *, deal: Deal, contacts: list[DealContactIn], actor: User,
                      expected_version: int | None = None,
                      sent_version: int | None = None) -> Deal:
    """Replace the deal's other contacts and their roles (in the order given)."""
    check_version(deal, sent_version, expected_version)
    ids = [c.contact_id for c in contacts]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("deal.contact_twice", "A contact is listed twice", "contacts")
    for i, item in enumerate(contacts):
        person = db.get(Contact, item.contact_id)
        if person is None or person.deleted_at is not None:
            raise ValidationFailed("contact.not_found", "No such contact",
                                   f"contacts.{i}.contact_id")
    before = [[str(c.contact_id), c.role] for c in deal.contacts]
    existing = {c.contact_id: c for c in deal.contacts}
    kept = []
    for position, item in enumerate(contacts):
        row = existing.get(item.contact_id) or DealContact(deal_id=deal.id,
                                                           contact_id=item.contact_id)
        row.role, row.position = item.role, position
        kept.append(row)
    deal.contacts = kept
    after = [[str(c.contact_id), c.role] for c in kept]
    if after != before:
        deal.updated_at = deal.last_activity_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="deal",
                     entity_id=deal.id, changes={"contacts": [before, after]})
        publish(db, DealChanged(deal_id=deal.id, action="contacts"))
    return deal


def delete_deal(db: Session, *, deal: Deal, actor: User,
                expected_version: int | None = None) -> Deal:
    check_version(deal, expected_version)
    if deal.deleted_at is None:
        deal.deleted_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="delete", entity_type="deal",
                     entity_id=deal.id)
        publish(db, DealChanged(deal_id=deal.id, action="delete"))
    return deal


def restore_deal(db: Session, *, deal: Deal, actor: User) -> Deal:
    if deal.deleted_at is not None:
        deal.deleted_at = None
        db.flush()
        audit.record(db, actor_id=actor.id, action="restore", entity_type="deal",
                     entity_id=deal.id)
        publish(db, DealChanged(deal_id=deal.id, action="restore"))
    return deal


def touch_deal(db: Session, *, deal_id: uuid.UUID, at: datetime) -> None:
    """Something happened on the deal at ``at`` (a note, a task, a call): it is not stalled.
    Activity is not content, so the version stays (nobody's edit is refused for it)."""
    db.execute(update(Deal).where(Deal.id == deal_id, Deal.last_activity_at < at)
               .values(last_activity_at=at).execution_options(synchronize_session="evaluate"))
