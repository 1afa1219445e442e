"""Running one due step of an enrolment, exactly once.

The step job calls ``run_due_step`` with the enrolment and the position it was queued for.
In one transaction it locks the enrolment, checks it is still active, at that position and
due, does the step (records the outbound email interaction, or creates the task), writes the
``sequence_step_runs`` row (unique per enrolment and position) and moves the enrolment on.
A second run of the same job finds the enrolment moved on (or the run row) and does nothing;
a stopped enrolment never runs another step. Emails are sent by ``outreach.send_email``,
queued by the caller in the same transaction, which asks for consent again at sending.

An email step with ``at_best_hour`` that falls due outside the contact's best hour of the week
(``intelligence.queries.next_contact_time``) is put off, once, to the start of that hour: the
enrolment's ``next_run_at`` moves there and ``timed_step`` records it; when that time comes
the step runs whatever the best hour has become since.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.activities.email import send_contact_email
from amity.activities.models import Interaction
from amity.activities.service import create_task
from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core import audit, events
from amity.core.clock import now
from amity.core.errors import ValidationFailed
from amity.intelligence.queries import next_contact_time
from amity.sequences.models import Sequence, SequenceEnrolment, SequenceStep, SequenceStepRun
from amity.sequences.service import EnrolmentChanged, mark_stopped, steps_of

# why an email step was refused -> the enrolment's stop reason
REFUSALS = {"email.no_consent": "unsubscribed", "email.do_not_contact": "do_not_contact",
            "email.no_address": "no_address", "email_template.not_found": "template_missing",
            "email.template_invalid": "template_invalid",
            "email.subject_invalid": "template_invalid"}


@dataclass
class StepOutcome:
    enrolment: SequenceEnrolment
    kind: str | None  # the step run now (None: finished, stopped or put off to its hour)
    email: tuple[Interaction, str] | None = None  # (interaction, purpose) to queue for sending


def _sender(db: Session, enr: SequenceEnrolment, contact: Contact) -> User | None:
    """Who the email is from / the task is by: whoever enrolled, else the contact's owner."""
    for uid in (enr.enrolled_by_id, contact.owner_id):
        user = db.get(User, uid) if uid is not None else None
        if user is not None and user.is_active:
            return user
    return None


def _finish(db: Session, enr: SequenceEnrolment) -> None:
    enr.status, enr.finished_at = "finished", now()
    enr.active_key, enr.next_run_at = None, None
    db.flush()
    audit.record(db, actor_id=None, action="finish", entity_type="sequence_enrolment",
                 entity_id=enr.id, changes={"status": ["active", "finished"]})
    events.publish(db, EnrolmentChanged(enrolment_id=enr.id, sequence_id=enr.sequence_id,
                                        contact_id=enr.contact_id, status="finished"))


def _record(db: Session, enr: SequenceEnrolment, step: SequenceStep, outcome: str, *,
            detail: str | None = None, interaction_id: uuid.UUID | None = None,
            task_id: uuid.UUID | None = None) -> None:
    db.add(SequenceStepRun(id=uuid.uuid4(), enrolment_id=enr.id, position=step.position,
                           kind=step.kind, outcome=outcome, detail=detail,
                           interaction_id=interaction_id, task_id=task_id, ran_at=now()))


def run_due_step(db: Session, *, enrolment_id: uuid.UUID, position: int,
                 sender: str) -> StepOutcome | None:
    """Run the step at ``position`` if it is still the enrolment's due step; None if not."""
    enr = db.scalar(select(SequenceEnrolment).where(SequenceEnrolment.id == enrolment_id)
                    .with_for_update().execution_options(populate_existing=True))
    at = now()
    if (enr is None or enr.status != "active" or enr.current_step != position
            or enr.next_run_at is None or enr.next_run_at > at):
        return None
    seq = db.get(Sequence, enr.sequence_id)
    contact = db.get(Contact, enr.contact_id)
    if seq is None or seq.deleted_at is not None or not seq.enabled:
        mark_stopped(db, enr, "sequence_disabled", None)
        return StepOutcome(enr, None)
    if contact is None or contact.deleted_at is not None:
        mark_stopped(db, enr, "contact_deleted", None)
        return StepOutcome(enr, None)
    steps = steps_of(db, seq.id)
    if position >= len(steps):
        _finish(db, enr)
        return StepOutcome(enr, None)
    step = steps[position]
    if step.kind == "email" and step.at_best_hour and enr.timed_step != position:
        enr.timed_step = position
        slot = next_contact_time(db, contact.id, at)
        if slot > at:  # not the contact's best hour now: put the send off to its start
            enr.next_run_at = slot
            db.flush()
            return StepOutcome(enr, None)
    done = db.scalar(select(SequenceStepRun.id).where(SequenceStepRun.enrolment_id == enr.id,
                                                      SequenceStepRun.position == position))
    out = StepOutcome(enr, step.kind)
    if done is None:
        user = _sender(db, enr, contact)
        if step.kind in ("email", "task") and user is None:
            _record(db, enr, step, "refused", detail="no active user to act for")
            mark_stopped(db, enr, "no_sender", None)
            return StepOutcome(enr, None)
        assert user is not None or step.kind == "wait"
        if step.kind == "email" and user is not None:
            try:
                # refusals come before anything is written
                out.email = send_contact_email(db, contact=contact, actor=user, sender=sender,
                                               template_id=step.template_id)
            except ValidationFailed as exc:
                _record(db, enr, step, "refused", detail=exc.message[:500])
                mark_stopped(db, enr, REFUSALS.get(exc.code, "email_refused"), None)
                return StepOutcome(enr, None)
            _record(db, enr, step, "done", interaction_id=out.email[0].id)
        elif step.kind == "task" and user is not None:
            task = create_task(db, title=step.task_title or "Follow up", actor=user,
                               due_at=at + timedelta(days=step.task_due_days or 0),
                               assignee_id=contact.owner_id or user.id, contact_id=contact.id)
            _record(db, enr, step, "done", task_id=task.id)
        else:
            _record(db, enr, step, "done")
    enr.current_step = position + 1
    enr.next_run_at = at + timedelta(hours=step.wait_hours or 0)
    if enr.current_step >= len(steps) and step.kind != "wait":
        _finish(db, enr)
    db.flush()
    return out
