"""Writing the shape of the sales process: pipelines, their stages, lost reasons.

Nothing here is ever deleted: archiving keeps every deal's stage history meaningful. Renaming,
reordering and changing default probabilities keep history too (history rows hold stage ids).
Rules: one default pipeline; a pipeline keeps at least one live open, won and lost stage; a
won stage's probability is 100 and a lost stage's 0; a stage holding open deals (or a
pipeline holding any) is not archived until they are moved.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import Conflict, PreconditionFailed, ValidationFailed
from amity.core.events import publish
from amity.deals.events import LostReasonChanged, PipelineChanged
from amity.deals.models import Deal, LostReason, Pipeline, Stage
from amity.deals.schemas import (
    LostReasonCreate,
    LostReasonUpdate,
    PipelineCreate,
    PipelineUpdate,
    StageCreate,
    StageUpdate,
)

KIND_PROBABILITY = {"won": 100, "lost": 0}
KIND_CATEGORY = {"open": "pipeline", "won": "closed", "lost": "omitted"}
STAGE_FIELDS = ("name", "position", "kind", "probability", "forecast_category", "stall_days")


def _check_version(current: int, *sent: int | None) -> None:
    for version in sent:
        if version is not None and version != current:
            raise PreconditionFailed()


def stage_snapshot(s: Stage) -> dict[str, Any]:
    return {k: getattr(s, k) for k in STAGE_FIELDS}


def live_stages(pipeline: Pipeline) -> list[Stage]:
    return [s for s in pipeline.stages if s.archived_at is None]


def _check_probability(kind: str, probability: int, field: str = "probability") -> None:
    fixed = KIND_PROBABILITY.get(kind)
    if fixed is not None and probability != fixed:
        raise ValidationFailed("stage.probability", f"A {kind} stage's probability is {fixed}",
                               field)


def _new_stage(data: StageCreate, position: int, field: str = "") -> Stage:
    probability = data.probability
    if probability is None:
        probability = KIND_PROBABILITY.get(data.kind, 0)
    _check_probability(data.kind, probability, f"{field}probability")
    return Stage(id=uuid.uuid4(), name=data.name, kind=data.kind, position=position,
                 probability=probability, stall_days=data.stall_days,
                 forecast_category=data.forecast_category or KIND_CATEGORY[data.kind])


def _check_complete(stages: Sequence[Stage], field: str = "stages") -> None:
    """A pipeline needs a live open, won and lost stage: deals must be able to end."""
    kinds = {s.kind for s in stages if s.archived_at is None}
    missing = [k for k in ("open", "won", "lost") if k not in kinds]
    if missing:
        raise ValidationFailed("pipeline.stages_incomplete", "A pipeline needs at least one "
                               f"open, one won and one lost stage (missing: "
                               f"{', '.join(missing)})", field)


def _check_name_free(db: Session, name: str, pipeline_id: uuid.UUID | None = None) -> None:
    clash = db.scalar(select(Pipeline.id).where(func.lower(Pipeline.name) == name.lower()))
    if clash is not None and clash != pipeline_id:
        raise Conflict("pipeline.name_taken", f"A pipeline named '{name}' exists", "name")


def _unset_other_defaults(db: Session, keep: uuid.UUID) -> None:
    for other in db.scalars(select(Pipeline).where(Pipeline.is_default.is_(True),
                                                   Pipeline.id != keep)):
        other.is_default = False


def create_pipeline(db: Session, *, data: PipelineCreate, actor: User) -> Pipeline:
    _check_name_free(db, data.name)
    stages = [_new_stage(s, i, f"stages.{i}.") for i, s in enumerate(data.stages)]
    _check_complete(stages)
    position = data.position
    if position is None:
        position = (db.scalar(select(func.max(Pipeline.position))) or 0) + 1
    pipeline = Pipeline(id=uuid.uuid4(), name=data.name, position=position,
                        is_default=data.is_default, stages=stages)
    if data.is_default:
        _unset_other_defaults(db, pipeline.id)
    db.add(pipeline)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="pipeline",
                 entity_id=pipeline.id, changes={
                     "name": [None, pipeline.name], "is_default": [None, pipeline.is_default],
                     "stages": [None, [stage_snapshot(s) for s in stages]]})
    publish(db, PipelineChanged(pipeline_id=pipeline.id, action="create"))
    return pipeline


def update_pipeline(db: Session, *, pipeline: Pipeline, data: PipelineUpdate, actor: User,
                    expected_version: int | None = None) -> Pipeline:
    _check_version(pipeline.version, data.version, expected_version)
    sent = data.model_fields_set
    before = {"name": pipeline.name, "position": pipeline.position,
              "is_default": pipeline.is_default}
    if "name" in sent and data.name is not None:
        _check_name_free(db, data.name, pipeline.id)
        pipeline.name = data.name
    if "position" in sent and data.position is not None:
        pipeline.position = data.position
    if "is_default" in sent and data.is_default is not None \
            and data.is_default != pipeline.is_default:
        if not data.is_default:
            raise ValidationFailed("pipeline.default_required", "Make another pipeline the "
                                   "default instead", "is_default")
        if pipeline.archived_at is not None:
            raise ValidationFailed("pipeline.archived", "An archived pipeline cannot be the "
                                   "default", "is_default")
        _unset_other_defaults(db, pipeline.id)
        pipeline.is_default = True
    after = {"name": pipeline.name, "position": pipeline.position,
             "is_default": pipeline.is_default}
    changes = audit.diff(before, after)
    if changes:
        pipeline.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="pipeline",
                     entity_id=pipeline.id, changes=changes)
        publish(db, PipelineChanged(pipeline_id=pipeline.id))
    return pipeline


def _open_deals(db: Session, *, stage_id: uuid.UUID | None = None,
                pipeline_id: uuid.UUID | None = None) -> int:
    stmt = select(func.count()).select_from(Deal).where(Deal.status == "open",
                                                        Deal.deleted_at.is_(None))
    if stage_id is not None:
        stmt = stmt.where(Deal.stage_id == stage_id)
    if pipeline_id is not None:
        stmt = stmt.where(Deal.pipeline_id == pipeline_id)
    return int(db.scalar(stmt) or 0)


def archive_pipeline(db: Session, *, pipeline: Pipeline, actor: User,
                     expected_version: int | None = None) -> Pipeline:
    """Hide a pipeline from boards and new deals; its closed deals keep pointing at it."""
    _check_version(pipeline.version, expected_version)
    if pipeline.archived_at is not None:
        return pipeline
    if pipeline.is_default:
        raise ValidationFailed("pipeline.default", "Make another pipeline the default before "
                               "archiving this one", "pipeline_id")
    count = _open_deals(db, pipeline_id=pipeline.id)
    if count:
        raise Conflict("pipeline.has_open_deals", f"The pipeline still holds {count} open "
                       f"deal{'s' if count != 1 else ''}; move or close them first",
                       "pipeline_id", open_deals=count)
    pipeline.archived_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="archive", entity_type="pipeline",
                 entity_id=pipeline.id)
    publish(db, PipelineChanged(pipeline_id=pipeline.id, action="archive"))
    return pipeline


def _renumber(stages: Sequence[Stage]) -> None:
    """Live stages first in the given order, archived ones after (they keep their order)."""
    archived = [s for s in stages if s.archived_at is not None]
    for i, s in enumerate([*[s for s in stages if s.archived_at is None], *archived]):
        if s.position != i:
            s.position = i


def add_stage(db: Session, *, pipeline: Pipeline, data: StageCreate, position: int | None,
              actor: User) -> Stage:
    if pipeline.archived_at is not None:
        raise ValidationFailed("pipeline.archived", "The pipeline is archived", "pipeline_id")
    live = sorted(live_stages(pipeline), key=lambda s: s.position)
    stage = _new_stage(data, 0)
    stage.pipeline_id = pipeline.id
    index = len(live) if position is None else min(position, len(live))
    live.insert(index, stage)
    archived = [s for s in pipeline.stages if s.archived_at is not None]
    pipeline.stages.append(stage)
    _renumber([*live, *archived])
    pipeline.updated_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="stage",
                 entity_id=stage.id, changes=audit.diff({}, stage_snapshot(stage)))
    publish(db, PipelineChanged(pipeline_id=pipeline.id, action="stage_added",
                                stage_id=stage.id))
    return stage


def update_stage(db: Session, *, stage: Stage, pipeline: Pipeline, data: StageUpdate,
                 actor: User, expected_version: int | None = None) -> Stage:
    """Rename, change kind, probability, category or stall days. Deals in the stage that did
    not override their probability follow a new default."""
    _check_version(stage.version, data.version, expected_version)
    sent = data.model_fields_set - {"version"}
    before = stage_snapshot(stage)
    kind = data.kind if "kind" in sent and data.kind is not None else stage.kind
    if kind != stage.kind:
        held = int(db.scalar(select(func.count()).select_from(Deal)
                             .where(Deal.stage_id == stage.id)) or 0)
        if held:
            raise Conflict("stage.has_deals", f"The stage holds {held} deal"
                           f"{'s' if held != 1 else ''}; its kind cannot change", "kind",
                           deals=held)
        if stage.archived_at is None and not any(
                s.kind == stage.kind and s.archived_at is None and s.id != stage.id
                for s in pipeline.stages):
            raise ValidationFailed("pipeline.stages_incomplete", f"This is the pipeline's "
                                   f"last {stage.kind} stage; a pipeline needs at least one "
                                   "open, one won and one lost stage", "kind")
    probability = data.probability if "probability" in sent else None
    if probability is None:
        probability = KIND_PROBABILITY.get(kind, stage.probability) if kind != stage.kind \
            else stage.probability
    _check_probability(kind, probability)
    for key in ("name", "forecast_category"):
        value = getattr(data, key)
        if key in sent and value is not None:
            setattr(stage, key, value)
    if kind != stage.kind and "forecast_category" not in sent:
        stage.forecast_category = KIND_CATEGORY[kind]
    if "stall_days" in sent:
        stage.stall_days = data.stall_days
    stage.kind, stage.probability = kind, probability
    changes = audit.diff(before, stage_snapshot(stage))
    if not changes:
        return stage
    stage.updated_at = now()
    db.flush()
    if "probability" in changes:
        db.execute(update(Deal).where(Deal.stage_id == stage.id,
                                      Deal.probability_overridden.is_(False),
                                      Deal.status == "open")
                   .values(probability=probability, version=Deal.version + 1,
                           updated_at=now())
                   .execution_options(synchronize_session="fetch"))
    audit.record(db, actor_id=actor.id, action="update", entity_type="stage",
                 entity_id=stage.id, changes=changes)
    publish(db, PipelineChanged(pipeline_id=stage.pipeline_id, action="stage_changed",
                                stage_id=stage.id))
    return stage


def archive_stage(db: Session, *, stage: Stage, pipeline: Pipeline, actor: User,
                  expected_version: int | None = None) -> Stage:
    _check_version(stage.version, expected_version)
    if stage.archived_at is not None:
        return stage
    count = _open_deals(db, stage_id=stage.id)
    if count:
        raise Conflict("stage.has_open_deals", f"The stage still holds {count} open deal"
                       f"{'s' if count != 1 else ''}; move them to another stage first",
                       "stage_id", open_deals=count)
    others = [s for s in pipeline.stages if s.id != stage.id]
    if not any(s.kind == stage.kind and s.archived_at is None for s in others):
        raise ValidationFailed("pipeline.stages_incomplete", f"This is the pipeline's last "
                               f"{stage.kind} stage; a pipeline needs at least one open, one "
                               "won and one lost stage", "stage_id")
    stage.archived_at = now()
    pipeline.updated_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="archive", entity_type="stage",
                 entity_id=stage.id)
    publish(db, PipelineChanged(pipeline_id=pipeline.id, action="stage_archived",
                                stage_id=stage.id))
    return stage


def reorder_stages(db: Session, *, pipeline: Pipeline, stage_ids: Sequence[uuid.UUID],
                   actor: User, expected_version: int | None = None,
                   sent_version: int | None = None) -> Pipeline:
    """``stage_ids`` lists every live stage once, in the new order."""
    _check_version(pipeline.version, sent_version, expected_version)
    live = {s.id: s for s in live_stages(pipeline)}
    if len(set(stage_ids)) != len(stage_ids):
        raise ValidationFailed("stage_order.duplicate", "A stage is listed twice", "stage_ids")
    unknown = [str(i) for i in stage_ids if i not in live]
    if unknown:
        raise ValidationFailed("stage_order.unknown", "Not live stages of this pipeline: "
                               + ", ".join(unknown), "stage_ids")
    missing = [s.name for i, s in live.items() if i not in set(stage_ids)]
    if missing:
        raise ValidationFailed("stage_order.incomplete", "List every live stage; missing: "
                               + ", ".join(missing), "stage_ids")
    before = [s.id for s in sorted(live.values(), key=lambda s: s.position)]
    if list(stage_ids) == before:
        return pipeline
    archived = sorted((s for s in pipeline.stages if s.archived_at is not None),
                      key=lambda s: s.position)
    _renumber([*(live[i] for i in stage_ids), *archived])
    pipeline.updated_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="reorder", entity_type="pipeline",
                 entity_id=pipeline.id, changes={"stages": [before, list(stage_ids)]})
    publish(db, PipelineChanged(pipeline_id=pipeline.id, action="reordered"))
    db.refresh(pipeline, ["stages"])
    return pipeline


# -- lost reasons -------------------------------------------------------------------------

def _check_reason_free(db: Session, name: str, reason_id: uuid.UUID | None = None) -> None:
    clash = db.scalar(select(LostReason.id).where(func.lower(LostReason.name) == name.lower()))
    if clash is not None and clash != reason_id:
        raise Conflict("lost_reason.name_taken", f"A lost reason named '{name}' exists", "name")


def create_lost_reason(db: Session, *, data: LostReasonCreate, actor: User) -> LostReason:
    _check_reason_free(db, data.name)
    position = data.position
    if position is None:
        position = (db.scalar(select(func.max(LostReason.position))) or 0) + 1
    reason = LostReason(id=uuid.uuid4(), name=data.name, position=position, active=True)
    db.add(reason)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="lost_reason",
                 entity_id=reason.id, changes={"name": [None, reason.name]})
    publish(db, LostReasonChanged(lost_reason_id=reason.id, action="create"))
    return reason


def update_lost_reason(db: Session, *, reason: LostReason, data: LostReasonUpdate,
                       actor: User) -> LostReason:
    before = {"name": reason.name, "position": reason.position, "active": reason.active}
    sent = data.model_fields_set
    if "name" in sent and data.name is not None:
        _check_reason_free(db, data.name, reason.id)
        reason.name = data.name
    if "position" in sent and data.position is not None:
        reason.position = data.position
    if "active" in sent and data.active is not None:
        reason.active = data.active
    changes = audit.diff(before, {"name": reason.name, "position": reason.position,
                                  "active": reason.active})
    if changes:
        reason.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="lost_reason",
                     entity_id=reason.id, changes=changes)
        publish(db, LostReasonChanged(lost_reason_id=reason.id))
    return reason


def deactivate_lost_reason(db: Session, *, reason: LostReason, actor: User) -> LostReason:
    """Offered no more for new losses; deals lost for it keep it."""
    return update_lost_reason(db, reason=reason, data=LostReasonUpdate(active=False),
                              actor=actor)
