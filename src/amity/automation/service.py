"""Writing workflows: create, edit (a new immutable version each time), enable, disable,
delete; and reading them: lists, versions, runs, dry-run. Every write is audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from amity.activities.outreach_models import EmailTemplate
from amity.auth.models import Team, User
from amity.automation import conditions
from amity.automation.definition import (
    ChangeOwner,
    ConditionGroup,
    CreateTask,
    Definition,
    EnrolSequence,
    Notify,
    OwnerCondition,
    SendEmail,
    UpdateField,
    trigger_key,
)
from amity.automation.models import Workflow, WorkflowRun, WorkflowVersion
from amity.contacts.models import Contact
from amity.contacts.schemas import ContactUpdate
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import NotFound, PreconditionFailed, ValidationFailed
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.sequences.models import Sequence

FIELDS = ("name", "description", "enabled", "current_version", "trigger_key", "owner_id")
SAMPLE = 20


def _snapshot(w: Workflow) -> dict[str, Any]:
    return {k: getattr(w, k) for k in FIELDS}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("workflow.invalid", message, field)


def _user_ok(db: Session, user_id: uuid.UUID | None, field: str) -> None:
    user = db.get(User, user_id) if user_id is not None else None
    if user_id is not None and (user is None or not user.is_active):
        raise _invalid(field, f"No active user {user_id}")


def _groups(group: ConditionGroup) -> list[ConditionGroup]:
    return [group, *(g for sub in group.groups for g in _groups(sub))]


def check_definition(db: Session, definition: Definition) -> None:
    """References inside a definition must exist (422 naming the place otherwise)."""
    for i, action in enumerate(definition.actions):
        where = f"definition.actions.{i}"
        if isinstance(action, SendEmail) and action.template_id is not None:
            t = db.get(EmailTemplate, action.template_id)
            if t is None or t.deleted_at is not None:
                raise _invalid(f"{where}.template_id", "No such email template")
        if isinstance(action, CreateTask | Notify):
            _user_ok(db, action.user_id, f"{where}.user_id")
            if action.team_id is not None and db.get(Team, action.team_id) is None:
                raise _invalid(f"{where}.team_id", "No such team")
        if isinstance(action, ChangeOwner):
            _user_ok(db, action.user_id, f"{where}.user_id")
        if isinstance(action, UpdateField):
            try:
                ContactUpdate.model_validate({action.field: action.value})
            except ValidationError as exc:
                raise _invalid(f"{where}.value", f"Not a valid {action.field}: "
                               f"{exc.errors()[0].get('msg', '')}") from exc
            if action.field == "lifecycle_stage" and action.value is None:
                raise _invalid(f"{where}.value", "lifecycle_stage cannot be empty")
        if isinstance(action, EnrolSequence):
            seq = db.get(Sequence, action.sequence_id)
            if seq is None or getattr(seq, "deleted_at", None) is not None:
                raise _invalid(f"{where}.sequence_id", "No such sequence")
    for group in _groups(definition.conditions):
        for j, rule in enumerate(group.rules):
            if isinstance(rule, OwnerCondition):
                _user_ok(db, rule.user_id, f"definition.conditions.rules.{j}.user_id")
    # Compiling the conditions finds values of the wrong type for their field (422).
    conditions.group_sql(definition.conditions)


def parse_definition(raw: dict[str, Any]) -> Definition:
    """A definition from JSON; Pydantic errors become one 422 naming the first place."""
    try:
        return Definition.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()))
        raise ValidationFailed("workflow.invalid", f"{loc}: {err.get('msg')}",
                               f"definition.{loc}" if loc else "definition") from exc


def _add_version(db: Session, w: Workflow, definition: Definition, actor: User,
                 number: int) -> WorkflowVersion:
    v = WorkflowVersion(id=uuid.uuid4(), workflow_id=w.id, number=number,
                        definition=definition.model_dump(mode="json"),
                        created_by_id=actor.id, created_at=now())
    db.add(v)
    return v


def create_workflow(db: Session, *, name: str, description: str | None,
                    definition: Definition, enabled: bool, actor: User,
                    owner_id: uuid.UUID | None = None) -> Workflow:
    check_definition(db, definition)
    w = Workflow(id=uuid.uuid4(), name=name, description=description, enabled=enabled,
                 current_version=1, trigger_key=trigger_key(definition),
                 owner_id=owner_id or actor.id)
    db.add(w)
    db.flush()
    _add_version(db, w, definition, actor, 1)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="workflow",
                 entity_id=w.id, changes=audit.diff({}, _snapshot(w)))
    return w


def update_workflow(db: Session, *, workflow: Workflow, actor: User,
                    name: str | None = None, description: str | None = None,
                    description_set: bool = False, definition: Definition | None = None,
                    enabled: bool | None = None,
                    expected_version: int | None = None) -> Workflow:
    """Change name/description/enabled in place; a new definition becomes a new version
    (runs already started keep the version they began with)."""
    if expected_version is not None and expected_version != workflow.version:
        raise PreconditionFailed()
    before = _snapshot(workflow)
    if definition is not None:
        check_definition(db, definition)
        current = db.scalar(select(WorkflowVersion.definition).where(
            WorkflowVersion.workflow_id == workflow.id,
            WorkflowVersion.number == workflow.current_version))
        if current != definition.model_dump(mode="json"):
            number = (db.scalar(select(func.max(WorkflowVersion.number)).where(
                WorkflowVersion.workflow_id == workflow.id)) or 0) + 1
            _add_version(db, workflow, definition, actor, number)
            workflow.current_version = number
            workflow.trigger_key = trigger_key(definition)
    if name is not None:
        workflow.name = name
    if description_set:
        workflow.description = description
    if enabled is not None:
        workflow.enabled = enabled
    changes = audit.diff(before, _snapshot(workflow))
    if changes:
        workflow.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="workflow",
                     entity_id=workflow.id, changes=changes)
    return workflow


def set_enabled(db: Session, *, workflow: Workflow, enabled: bool, actor: User) -> Workflow:
    return update_workflow(db, workflow=workflow, actor=actor, enabled=enabled)


def delete_workflow(db: Session, *, workflow: Workflow, actor: User) -> None:
    """Soft delete: it starts nothing more; waiting runs stop when they resume."""
    workflow.deleted_at, workflow.enabled = now(), False
    db.flush()
    audit.record(db, actor_id=actor.id, action="delete", entity_type="workflow",
                 entity_id=workflow.id)


# ---- reading -------------------------------------------------------------------------------

def get_workflow(db: Session, workflow_id: uuid.UUID) -> Workflow:
    w = db.get(Workflow, workflow_id)
    if w is None or w.deleted_at is not None:
        raise NotFound("workflow")
    return w


def current_definition(db: Session, w: Workflow) -> dict[str, Any]:
    return dict(get_version(db, w, w.current_version).definition)


def get_version(db: Session, w: Workflow, number: int) -> WorkflowVersion:
    v = db.scalar(select(WorkflowVersion).where(WorkflowVersion.workflow_id == w.id,
                                                WorkflowVersion.number == number))
    if v is None:
        raise NotFound("workflow_version")
    return v


def list_versions(db: Session, w: Workflow) -> list[WorkflowVersion]:
    return list(db.scalars(select(WorkflowVersion).where(WorkflowVersion.workflow_id == w.id)
                           .order_by(WorkflowVersion.number.desc()).limit(500)))


_NAME = Sort("name", Workflow.name)
_RUN_CREATED = Sort("created_at", WorkflowRun.created_at, descending=True)


def list_workflows(db: Session, *, enabled: bool | None = None, cursor: str | None = None,
                   limit: int = 50) -> Page[Workflow]:
    stmt = select(Workflow).where(Workflow.deleted_at.is_(None))
    if enabled is not None:
        stmt = stmt.where(Workflow.enabled.is_(enabled))
    rows = list(db.scalars(keyset(stmt, _NAME, Workflow.id, cursor, limit)))
    return page_of(rows, _NAME, limit, key=lambda w: w.name)


def list_runs(db: Session, *, workflow_id: uuid.UUID | None = None,
              contact_id: uuid.UUID | None = None, status: str | None = None,
              cursor: str | None = None, limit: int = 50,
              visible_workflows: bool = True) -> Page[WorkflowRun]:
    stmt = select(WorkflowRun)
    if workflow_id is not None:
        stmt = stmt.where(WorkflowRun.workflow_id == workflow_id)
    if contact_id is not None:
        stmt = stmt.where(WorkflowRun.contact_id == contact_id)
    if status is not None:
        stmt = stmt.where(WorkflowRun.status == status)
    rows = list(db.scalars(keyset(stmt, _RUN_CREATED, WorkflowRun.id, cursor, limit)))
    return page_of(rows, _RUN_CREATED, limit, key=lambda r: r.created_at)


def workflow_names(db: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict(db.execute(select(Workflow.id, Workflow.name).where(Workflow.id.in_(ids)))
                .tuples().all())


@dataclass(frozen=True)
class DryRun:
    matching: int
    sample: list[Contact]
    trigger: str
    note: str


def dry_run(db: Session, *, definition: Definition,
            visible: Callable[[Select[Any]], Select[Any]], limit: int = SAMPLE) -> DryRun:
    """The contacts the conditions select now (among those the reader may see): a count and
    the first ``limit`` by name. Nothing is started or changed."""
    check_definition(db, definition)
    where = (conditions.live_contacts(), conditions.group_sql(definition.conditions))
    total = db.scalar(visible(select(func.count()).select_from(Contact).where(*where)))
    sample = list(db.scalars(visible(select(Contact).where(*where))
                             .order_by(Contact.sort_name, Contact.id).limit(limit)))
    t = definition.trigger
    if t.type == "event":
        note = f"Runs start when a {t.event} event occurs for one of them"
    elif t.type == "web":
        note = f"Runs start when one of them has a {t.kind.replace('_', ' ')} event"
    else:
        note = (f"The daily scan ({t.time_zone}) starts runs for those whose {t.type} "
                "occasion falls due")
    return DryRun(matching=int(total or 0), sample=sample, trigger=trigger_key(definition),
                  note=note)


@dataclass(frozen=True)
class BuilderChoices:
    """What the builder's selects offer: (id, name) of active users, teams and sequences."""

    users: list[tuple[uuid.UUID, str]]
    teams: list[tuple[uuid.UUID, str]]
    sequences: list[tuple[uuid.UUID, str]]


def builder_choices(db: Session) -> BuilderChoices:
    users = db.execute(select(User.id, User.name, User.email).where(User.is_active.is_(True))
                       .order_by(User.name, User.email).limit(500)).all()
    teams = db.execute(select(Team.id, Team.name).order_by(Team.name).limit(500)).all()
    seqs = db.execute(select(Sequence.id, Sequence.name).where(Sequence.deleted_at.is_(None))
                      .order_by(Sequence.name).limit(500)).all()
    return BuilderChoices([(u.id, f"{u.name or u.email}") for u in users],
                          [(t.id, t.name) for t in teams], [(s.id, s.name) for s in seqs])
