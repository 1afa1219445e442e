"""Running workflows: start a run for a record (once per occasion), check its conditions, do
its actions in order, pause on a wait and resume later.

Every action runs in a savepoint in the caller's transaction, and the run's step index moves
in that same transaction: a crash before the commit redoes the step, never a half of it, and a
committed step is never done again. Actions that leave the database (email, webhooks, mail to
users) are queued through ``Hooks`` (implemented by the job runtime) keyed by the run and
step, so each happens once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amity.activities import email as contact_email
from amity.activities.models import Interaction, Notification
from amity.activities.service import create_task
from amity.auth.models import Team, User
from amity.automation import conditions
from amity.automation.definition import (
    Action,
    AddTag,
    CallWebhook,
    ChangeOwner,
    CreateTask,
    Definition,
    EnrolSequence,
    Notify,
    RemoveTag,
    SendEmail,
    UpdateField,
    Wait,
)
from amity.automation.models import Workflow, WorkflowRun, WorkflowVersion
from amity.contacts.models import Contact
from amity.contacts.schemas import ContactUpdate
from amity.contacts.service import update_contact
from amity.core.clock import now
from amity.core.errors import DomainError
from amity.sequences.service import enrol

# A workflow whose actions trigger itself again (an update on contact.updated) stops here.
LOOP_LIMIT = 20
LOOP_WINDOW = timedelta(hours=1)


class Hooks(Protocol):
    """What the engine asks of the job runtime (all in the caller's transaction)."""

    sender: str

    def send_email(self, interaction: Interaction, contact_id: uuid.UUID,
                   purpose: str) -> None: ...

    def call_webhook(self, run: WorkflowRun, step: int, url: str, secret: str,
                     body: dict[str, Any]) -> None: ...

    def mail_user(self, user: User, subject: str, body: str, key: str) -> None: ...

    def resume_at(self, run: WorkflowRun, at: datetime) -> None: ...


@dataclass(frozen=True)
class Subject:
    """Whom a run is about: a contact and/or a record (deal, ticket, order...)."""

    contact_id: uuid.UUID | None
    record_type: str | None = None
    record_id: uuid.UUID | None = None
    record_owner_id: uuid.UUID | None = None

    @property
    def key(self) -> uuid.UUID:
        found = self.contact_id or self.record_id
        assert found is not None
        return found


def log(run: WorkflowRun, step: int | None, action: str, outcome: str) -> None:
    run.log = [*run.log, {"at": now().isoformat(), "step": step, "action": action,
                          "outcome": outcome[:500]}]


def definition_of(db: Session, run: WorkflowRun) -> Definition:
    version = db.get(WorkflowVersion, run.version_id)
    assert version is not None
    return Definition.model_validate(version.definition)


def start_run(db: Session, *, workflow: Workflow, subject: Subject, occasion: str,
              hooks: Hooks, event_id: uuid.UUID | None = None) -> WorkflowRun | None:
    """Start ``workflow`` (its current version) for ``subject`` unless this occasion started it
    already; returns the new run, or None."""
    if db.scalar(select(WorkflowRun.id).where(
            WorkflowRun.workflow_id == workflow.id, WorkflowRun.subject_id == subject.key,
            WorkflowRun.occasion == occasion)) is not None:
        return None
    version = db.scalar(select(WorkflowVersion).where(
        WorkflowVersion.workflow_id == workflow.id,
        WorkflowVersion.number == workflow.current_version))
    assert version is not None
    run = WorkflowRun(id=uuid.uuid4(), workflow_id=workflow.id, version_id=version.id,
                      version_number=version.number, contact_id=subject.contact_id,
                      record_type=subject.record_type, record_id=subject.record_id,
                      subject_id=subject.key, occasion=occasion[:200],
                      trigger_event_id=event_id, status="running", step_index=0, log=[])
    try:
        with db.begin_nested():
            db.add(run)
            db.flush()
    except IntegrityError:  # a concurrent worker started it for this occasion
        return None
    log(run, None, "trigger", f"started by {occasion[:150]}")
    definition = Definition.model_validate(version.definition)
    if _looping(db, workflow.id, subject.key):
        return _finish(run, "skipped", f"more than {LOOP_LIMIT} runs for this record in an "
                                       "hour: stopped to break a loop")
    if subject.contact_id is not None and not conditions.contact_matches(
            db, definition.conditions, subject.contact_id):
        return _finish(run, "skipped", "conditions not met")
    if subject.contact_id is None and (definition.conditions.rules
                                       or definition.conditions.groups):
        return _finish(run, "skipped", "conditions need a contact")
    log(run, None, "conditions", "met")
    advance(db, run=run, hooks=hooks, definition=definition, workflow=workflow,
            record_owner_id=subject.record_owner_id)
    return run


def _looping(db: Session, workflow_id: uuid.UUID, subject_id: uuid.UUID) -> bool:
    n = db.scalar(select(func.count()).select_from(WorkflowRun).where(
        WorkflowRun.workflow_id == workflow_id, WorkflowRun.subject_id == subject_id,
        WorkflowRun.created_at >= now() - LOOP_WINDOW))
    return int(n or 0) > LOOP_LIMIT


def _finish(run: WorkflowRun, status: str, outcome: str) -> WorkflowRun:
    run.status, run.finished_at, run.resume_at = status, now(), None
    log(run, None, status, outcome)
    return run


def _actor(db: Session, workflow: Workflow, run: WorkflowRun) -> User | None:
    """Actions are done (and audited) in the name of the workflow's owner, else of the author
    of the run's version."""
    for uid in (workflow.owner_id,
                db.scalar(select(WorkflowVersion.created_by_id)
                          .where(WorkflowVersion.id == run.version_id))):
        user = db.get(User, uid) if uid is not None else None
        if user is not None and user.is_active:
            return user
    return None


def advance(db: Session, *, run: WorkflowRun, hooks: Hooks, definition: Definition | None = None,
            workflow: Workflow | None = None, record_owner_id: uuid.UUID | None = None) -> None:
    """Do the run's actions from its step index until the end or a wait."""
    definition = definition or definition_of(db, run)
    workflow = workflow or db.get(Workflow, run.workflow_id)
    if workflow is None:
        _finish(run, "failed", "workflow deleted")
        return
    actor = _actor(db, workflow, run)
    if actor is None:
        _finish(run, "failed", "the workflow has no active owner to act for")
        return
    run.status, run.resume_at = "running", None
    while run.step_index < len(definition.actions):
        step = run.step_index
        action = definition.actions[step]
        run.step_index = step + 1
        if isinstance(action, Wait):
            at = now() + timedelta(**{action.unit: action.amount})
            run.status, run.resume_at = "waiting", at
            log(run, step, "wait", f"until {at.isoformat()}")
            hooks.resume_at(run, at)
            return
        try:
            with db.begin_nested():
                outcome = _do(db, run, step, action, actor, hooks, record_owner_id)
        except DomainError as exc:
            outcome = f"not done: {exc.code}: {exc.message}"
        except ValidationError as exc:
            outcome = f"not done: invalid value: {exc.errors()[0].get('msg', '')}"
        log(run, step, action.type, outcome)
    _finish(run, "done", "all actions done")


def _contact(db: Session, run: WorkflowRun) -> Contact:
    contact = db.get(Contact, run.contact_id) if run.contact_id else None
    if contact is None or contact.deleted_at is not None or contact.erased_at is not None:
        raise DomainError("workflow.no_contact", "no live contact for this run")
    return contact


def _owner_id(db: Session, run: WorkflowRun, record_owner_id: uuid.UUID | None,
              actor: User) -> uuid.UUID:
    if record_owner_id is None and run.record_type and run.record_id:
        record_owner_id = _record_owner(db, run.record_type, run.record_id)
    if record_owner_id is not None:
        return record_owner_id
    contact = db.get(Contact, run.contact_id) if run.contact_id else None
    return contact.owner_id if contact is not None and contact.owner_id else actor.id


def _record_owner(db: Session, record_type: str, record_id: uuid.UUID) -> uuid.UUID | None:
    from amity.automation.triggers import RECORD_MODELS

    model = RECORD_MODELS.get(record_type)
    row = db.get(model, record_id) if model is not None else None
    return getattr(row, "owner_id", None)


def _team_members(db: Session, team_id: uuid.UUID) -> list[User]:
    team = db.get(Team, team_id)
    if team is None:
        raise DomainError("workflow.no_team", "the team no longer exists")
    members = sorted((u for u in team.members if u.is_active), key=lambda u: u.id)
    if not members:
        raise DomainError("workflow.empty_team", "the team has no active member")
    return members


def _round_robin(db: Session, run: WorkflowRun, team_id: uuid.UUID) -> uuid.UUID:
    """The team's next member: runs of this workflow started before this one, modulo size."""
    members = _team_members(db, team_id)
    n = db.scalar(select(func.count()).select_from(WorkflowRun).where(
        WorkflowRun.workflow_id == run.workflow_id, WorkflowRun.created_at < run.created_at))
    return members[int(n or 0) % len(members)].id


def _do(db: Session, run: WorkflowRun, step: int, action: Action, actor: User, hooks: Hooks,
        record_owner_id: uuid.UUID | None) -> str:
    if isinstance(action, SendEmail):
        contact = _contact(db, run)
        interaction, purpose = contact_email.send_contact_email(
            db, contact=contact, actor=actor, sender=hooks.sender, subject=action.subject,
            body=action.body, template_id=action.template_id, purpose=action.purpose)
        hooks.send_email(interaction, contact.id, purpose)
        return f"email {interaction.id} queued"
    if isinstance(action, CreateTask):
        assignee = (_owner_id(db, run, record_owner_id, actor) if action.assignee == "owner"
                    else action.user_id if action.assignee == "user"
                    else _round_robin(db, run, action.team_id))  # type: ignore[arg-type]
        due = now() + timedelta(days=action.due_in_days) if action.due_in_days is not None \
            else None
        task = create_task(db, title=action.title, actor=actor, due_at=due,
                           assignee_id=assignee, priority=action.priority,
                           description=action.description, contact_id=run.contact_id,
                           deal_id=run.record_id if run.record_type == "deal" else None)
        return f"task {task.id} for user {assignee}"
    if isinstance(action, Notify):
        return _notify(db, run, step, action, actor, hooks, record_owner_id)
    if isinstance(action, UpdateField):
        contact = _contact(db, run)
        update_contact(db, contact=contact, actor=actor,
                       data=ContactUpdate.model_validate({action.field: action.value}))
        return f"{action.field} updated"
    if isinstance(action, AddTag | RemoveTag):
        contact = _contact(db, run)
        names = [t.name for t in contact.tags]
        key = action.tag.casefold()
        kept = [n for n in names if n.casefold() != key]
        new = [*kept, action.tag] if isinstance(action, AddTag) else kept
        if [n.casefold() for n in new] == [n.casefold() for n in names]:
            return "no change"
        update_contact(db, contact=contact, actor=actor, data=ContactUpdate(tags=new))
        return "tag added" if isinstance(action, AddTag) else "tag removed"
    if isinstance(action, ChangeOwner):
        contact = _contact(db, run)
        update_contact(db, contact=contact, actor=actor,
                       data=ContactUpdate(owner_id=action.user_id))
        return f"owner set to {action.user_id}"
    if isinstance(action, CallWebhook):
        body = {"workflow_id": str(run.workflow_id), "run_id": str(run.id),
                "version": run.version_number, "step": step,
                "contact_id": str(run.contact_id) if run.contact_id else None,
                "record_type": run.record_type,
                "record_id": str(run.record_id) if run.record_id else None,
                "trigger_event_id": str(run.trigger_event_id) if run.trigger_event_id
                else None, "occasion": run.occasion}
        hooks.call_webhook(run, step, action.url, action.secret, body)
        return "webhook call queued"
    if isinstance(action, EnrolSequence):
        return _enrol(db, run, action, actor)
    raise DomainError("workflow.unknown_action", f"unknown action {action.type}")


def _notify(db: Session, run: WorkflowRun, step: int, action: Notify, actor: User,
            hooks: Hooks, record_owner_id: uuid.UUID | None) -> str:
    if action.to == "owner":
        users = [db.get(User, _owner_id(db, run, record_owner_id, actor))]
    elif action.to == "user":
        users = [db.get(User, action.user_id)]
    else:
        assert action.team_id is not None
        users = list(_team_members(db, action.team_id))
    targets = [u for u in users if u is not None and u.is_active]
    if not targets:
        raise DomainError("workflow.no_recipient", "nobody active to notify")
    for user in targets:
        key = f"workflow:{run.id}:{step}:{user.id}"
        db.add(Notification(id=uuid.uuid4(), user_id=user.id, kind="workflow",
                            title=action.message[:300], body=None,
                            entity_type="contact" if run.contact_id else run.record_type,
                            entity_id=run.contact_id or run.record_id, dedupe_key=key,
                            created_at=now()))
        if action.email:
            hooks.mail_user(user, action.message[:200], f"{action.message}\n", key)
    return f"notified {len(targets)} user(s)"


def _enrol(db: Session, run: WorkflowRun, action: EnrolSequence, actor: User) -> str:
    contact = _contact(db, run)
    enrolment = enrol(db, sequence_id=action.sequence_id, contact_id=contact.id, actor=actor,
                      reason=f"workflow {run.workflow_id}")
    return f"enrolled in sequence {action.sequence_id} ({enrolment.id})"
