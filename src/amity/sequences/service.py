"""Writes of the sequences domain: sequences and their steps, enrolling and stopping.

``enrol`` starts a contact at the first step (due now); the step job (jobs/sequences.py)
runs one step at a time through ``runner.run_due_step``. Stopping is a state change on the
enrolment: a stopped enrolment never runs another step (the runner checks it in the same
transaction that does the step).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core import audit, events
from amity.core.clock import now
from amity.core.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from amity.core.events import DomainEvent
from amity.sequences.errors import AlreadyEnrolled, NotActive, SequenceDisabled, SequenceEmpty
from amity.sequences.models import STEP_KINDS, Sequence, SequenceEnrolment, SequenceStep

SEQUENCE_FIELDS = ("name", "description", "enabled")
STOP_REASONS = ("manual", "replied", "meeting_booked", "unsubscribed", "deal_won",
                "no_consent", "contact_deleted", "sequence_disabled")


@dataclass(frozen=True)
class EnrolmentChanged(DomainEvent):
    """An enrolment started, stopped (with its reason) or finished."""

    type = "sequence.enrolment_changed"
    enrolment_id: uuid.UUID
    sequence_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    status: str = "active"
    stop_reason: str | None = None


def _actor_id(actor: User | None) -> uuid.UUID | None:
    return actor.id if actor is not None else None


# ---- sequences and steps -----------------------------------------------------------------

def live_sequence(db: Session, sequence_id: uuid.UUID) -> Sequence:
    seq = db.get(Sequence, sequence_id)
    if seq is None or seq.deleted_at is not None:
        raise NotFound("sequence")
    return seq


def steps_of(db: Session, sequence_id: uuid.UUID) -> list[SequenceStep]:
    return list(db.scalars(select(SequenceStep).where(SequenceStep.sequence_id == sequence_id)
                           .order_by(SequenceStep.position)))


def _name_free(db: Session, name: str, but: uuid.UUID | None = None) -> None:
    q = select(Sequence.id).where(Sequence.name == name, Sequence.deleted_at.is_(None))
    if but is not None:
        q = q.where(Sequence.id != but)
    if db.scalar(q) is not None:
        raise Conflict("sequence.name_taken", "A sequence with this name exists", "name")


def _check_steps(db: Session, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate step dicts (kind, template_id, task_title, task_due_days, wait_hours,
    at_best_hour)."""
    from amity.activities.outreach_models import EmailTemplate

    out = []
    for i, raw in enumerate(steps):
        kind = raw.get("kind")
        field = f"steps[{i}]"
        if kind not in STEP_KINDS:
            raise ValidationFailed("sequence.step_kind", f"Unknown step kind {kind!r}", field)
        step = {"kind": kind, "template_id": None, "task_title": None, "task_due_days": None,
                "wait_hours": None, "at_best_hour": False}
        if raw.get("at_best_hour"):
            if kind != "email":
                raise ValidationFailed("sequence.best_hour_email_only",
                                       "Only an email step can wait for the contact's best "
                                       "hour", f"{field}.at_best_hour")
            step["at_best_hour"] = True
        if kind == "email":
            tid = raw.get("template_id")
            t = db.get(EmailTemplate, tid) if tid is not None else None
            if t is None or t.deleted_at is not None:
                raise ValidationFailed("sequence.template_not_found",
                                       "An email step needs an existing template",
                                       f"{field}.template_id")
            step["template_id"] = tid
        elif kind == "task":
            title = (raw.get("task_title") or "").strip()
            if not title:
                raise ValidationFailed("sequence.task_title_required",
                                       "A task step needs a title", f"{field}.task_title")
            step["task_title"] = title
            step["task_due_days"] = raw.get("task_due_days") or 0
        else:
            hours = raw.get("wait_hours")
            if not isinstance(hours, int) or hours < 1:
                raise ValidationFailed("sequence.wait_required",
                                       "A wait step waits at least one hour",
                                       f"{field}.wait_hours")
            step["wait_hours"] = hours
        out.append(step)
    return out


def _snapshot(db: Session, seq: Sequence) -> dict[str, Any]:
    snap = {k: getattr(seq, k) for k in SEQUENCE_FIELDS}
    snap["steps"] = [{"kind": s.kind, "template_id": s.template_id, "task_title": s.task_title,
                      "task_due_days": s.task_due_days, "wait_hours": s.wait_hours,
                      "at_best_hour": s.at_best_hour}
                     for s in steps_of(db, seq.id)]
    return snap


def _replace_steps(db: Session, seq: Sequence, steps: list[dict[str, Any]]) -> None:
    for old in steps_of(db, seq.id):
        db.delete(old)
    db.flush()
    for pos, step in enumerate(steps):
        db.add(SequenceStep(id=uuid.uuid4(), sequence_id=seq.id, position=pos, **step))
    db.flush()


def create_sequence(db: Session, *, values: dict[str, Any], steps: list[dict[str, Any]],
                    actor: User) -> Sequence:
    checked = _check_steps(db, steps)
    _name_free(db, values["name"])
    seq = Sequence(id=uuid.uuid4(), **values)
    db.add(seq)
    db.flush()
    _replace_steps(db, seq, checked)
    audit.record(db, actor_id=actor.id, action="create", entity_type="sequence",
                 entity_id=seq.id, changes=audit.diff({}, _snapshot(db, seq)))
    return seq


def update_sequence(db: Session, *, sequence: Sequence, values: dict[str, Any],
                    steps: list[dict[str, Any]] | None, actor: User,
                    expected_version: int | None = None) -> Sequence:
    """Change fields and/or replace the steps. Active enrolments keep their position: an
    enrolment past the new last step finishes at its next run."""
    if expected_version is not None and expected_version != sequence.version:
        raise PreconditionFailed()
    checked = _check_steps(db, steps) if steps is not None else None
    if "name" in values:
        _name_free(db, values["name"], but=sequence.id)
    before = _snapshot(db, sequence)
    for key, value in values.items():
        setattr(sequence, key, value)
    if checked is not None:
        _replace_steps(db, sequence, checked)
    changes = audit.diff(before, _snapshot(db, sequence))
    if changes:
        sequence.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="sequence",
                     entity_id=sequence.id, changes=changes)
    return sequence


def delete_sequence(db: Session, *, sequence: Sequence, actor: User) -> None:
    """Soft-delete; its active enrolments stop."""
    for enr in db.scalars(select(SequenceEnrolment).where(
            SequenceEnrolment.sequence_id == sequence.id,
            SequenceEnrolment.status == "active")):
        mark_stopped(db, enr, "sequence_disabled", actor)
    sequence.deleted_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="delete", entity_type="sequence",
                 entity_id=sequence.id)


# ---- enrolments ---------------------------------------------------------------------------

def enrol(db: Session, *, sequence_id: uuid.UUID, contact_id: uuid.UUID, actor: User | None,
          reason: str | None = None) -> SequenceEnrolment:
    """Enrol a contact: the first step is due now (the published event queues it).

    Refused (nothing written) when the sequence is missing, disabled or empty, the contact
    is missing, or already enrolled."""
    seq = live_sequence(db, sequence_id)
    if not seq.enabled:
        raise SequenceDisabled()
    if not steps_of(db, seq.id):
        raise SequenceEmpty()
    contact = db.get(Contact, contact_id)
    if contact is None or contact.deleted_at is not None:
        raise ValidationFailed("contact.not_found", "No such contact", "contact_id")
    active = db.scalar(select(SequenceEnrolment.id).where(
        SequenceEnrolment.sequence_id == seq.id,
        SequenceEnrolment.active_key == str(contact.id)))
    if active is not None:
        raise AlreadyEnrolled()
    at = now()
    enr = SequenceEnrolment(id=uuid.uuid4(), sequence_id=seq.id, contact_id=contact.id,
                            active_key=str(contact.id), status="active", current_step=0,
                            next_run_at=at, enrolled_at=at, enrolled_by_id=_actor_id(actor),
                            reason=(reason or None) and reason[:500])
    db.add(enr)
    db.flush()
    audit.record(db, actor_id=_actor_id(actor), action="create",
                 entity_type="sequence_enrolment", entity_id=enr.id,
                 changes={"sequence_id": [None, seq.id], "contact_id": [None, contact.id],
                          "reason": [None, enr.reason]})
    events.publish(db, EnrolmentChanged(enrolment_id=enr.id, sequence_id=seq.id,
                                        contact_id=contact.id, status="active"))
    return enr


def mark_stopped(db: Session, enr: SequenceEnrolment, reason: str, actor: User | None) -> None:
    enr.status, enr.stop_reason, enr.stopped_at = "stopped", reason, now()
    enr.active_key, enr.next_run_at = None, None
    db.flush()
    audit.record(db, actor_id=_actor_id(actor), action="stop",
                 entity_type="sequence_enrolment", entity_id=enr.id,
                 changes={"status": ["active", "stopped"], "stop_reason": [None, reason]})
    events.publish(db, EnrolmentChanged(enrolment_id=enr.id, sequence_id=enr.sequence_id,
                                        contact_id=enr.contact_id, status="stopped",
                                        stop_reason=reason))


def stop_enrolment(db: Session, *, enrolment: SequenceEnrolment, reason: str = "manual",
                   actor: User | None) -> SequenceEnrolment:
    if enrolment.status != "active":
        raise NotActive()
    if reason not in STOP_REASONS:
        raise ValidationFailed("enrolment.stop_reason", "Unknown stop reason", "reason")
    mark_stopped(db, enrolment, reason, actor)
    return enrolment


def stop_for_contact(db: Session, *, contact_id: uuid.UUID, reason: str,
                     since: datetime | None = None) -> list[SequenceEnrolment]:
    """Stop every active enrolment of the contact (enrolled before ``since`` when given)."""
    q = select(SequenceEnrolment).where(SequenceEnrolment.contact_id == contact_id,
                                        SequenceEnrolment.status == "active")
    if since is not None:
        q = q.where(SequenceEnrolment.enrolled_at <= since)
    stopped = list(db.scalars(q.with_for_update()))
    for enr in stopped:
        mark_stopped(db, enr, reason, None)
    return stopped
