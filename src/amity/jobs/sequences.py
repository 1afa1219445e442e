"""Jobs that run sequences and stop them when the contact responds.

``sequences.run_step`` runs one due step (``sequences.runner``) and queues the next at its
time; it is queued when an enrolment starts (its event), after each step, and by the
``sequences.run_due`` scan every minute (a safety net: the keys ``sequence-step:<enrolment>:
<position>`` make every queueing of the same step one job). Subscribers stop enrolments when
the contact replies by email or has a meeting after enrolling, unsubscribes, wins a deal or
is deleted.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.activities.models import Interaction
from amity.core.clock import now
from amity.core.events import EventRecord
from amity.deals.models import Deal, DealContact
from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.outreach import enqueue_email
from amity.jobs.registry import job, on_event
from amity.sequences import runner
from amity.sequences.models import SequenceEnrolment
from amity.sequences.service import stop_for_contact

RUN_STEP = "sequences.run_step"
RUN_DUE = "sequences.run_due"


def schedule_step(db: Session, enr: SequenceEnrolment) -> None:
    """Queue the enrolment's next step at its time: one job per step, and one more for an
    email step put off to the contact's best hour (its key ends in ``:best``)."""
    if enr.status != "active" or enr.next_run_at is None:
        return
    key = f"sequence-step:{enr.id}:{enr.current_step}"
    if enr.timed_step == enr.current_step:
        key += ":best"
    queue.enqueue(db, RUN_STEP, {"enrolment_id": str(enr.id), "position": enr.current_step},
                  run_at=enr.next_run_at, idempotency_key=key)


@job(RUN_STEP, max_attempts=8)
def run_step(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    out = runner.run_due_step(db, enrolment_id=uuid.UUID(str(payload["enrolment_id"])),
                              position=int(payload["position"]),
                              sender=ctx.settings.smtp_from)
    if out is None:
        return
    if out.email is not None:
        interaction, purpose = out.email
        enqueue_email(db, interaction=interaction, contact_id=out.enrolment.contact_id,
                      purpose=purpose)
    schedule_step(db, out.enrolment)


@job(RUN_DUE, max_attempts=3)
def run_due(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    for enr in db.scalars(select(SequenceEnrolment).where(
            SequenceEnrolment.status == "active", SequenceEnrolment.next_run_at <= now())
            .order_by(SequenceEnrolment.next_run_at).limit(5000)):
        schedule_step(db, enr)


@on_event("sequence.enrolment_changed", name="sequences.on_enrolment")
def on_enrolment(event: EventRecord, db: Session, ctx: JobContext) -> None:
    if (event.payload or {}).get("status") != "active":
        return
    enr = db.get(SequenceEnrolment, uuid.UUID(str(event.payload["enrolment_id"])))
    if enr is not None:
        schedule_step(db, enr)


@on_event("interaction.recorded", name="sequences.on_interaction")
def on_interaction(event: EventRecord, db: Session, ctx: JobContext) -> None:
    p = event.payload or {}
    if p.get("channel") == "email" and p.get("direction") == "inbound":
        reason = "replied"
    elif p.get("channel") == "meeting":
        reason = "meeting_booked"
    else:
        return
    interaction = db.get(Interaction, uuid.UUID(str(p["interaction_id"])))
    if interaction is None or interaction.deleted_at is not None:
        return
    for cid in p.get("contact_ids") or []:
        # only what happened after the contact was enrolled stops the enrolment
        stop_for_contact(db, contact_id=uuid.UUID(str(cid)), reason=reason,
                         since=interaction.occurred_at)


@on_event("contact.consent_changed", name="sequences.on_consent")
def on_consent(event: EventRecord, db: Session, ctx: JobContext) -> None:
    p = event.payload or {}
    if p.get("status") == "withdrawn" and p.get("channel") == "email":
        stop_for_contact(db, contact_id=uuid.UUID(str(p["contact_id"])),
                         reason="unsubscribed")


@on_event("contact.deleted", name="sequences.on_contact_deleted")
def on_contact_deleted(event: EventRecord, db: Session, ctx: JobContext) -> None:
    stop_for_contact(db, contact_id=uuid.UUID(str(event.payload["contact_id"])),
                     reason="contact_deleted")


@on_event("deal.won", name="sequences.on_deal_won")
def on_deal_won(event: EventRecord, db: Session, ctx: JobContext) -> None:
    deal_id = uuid.UUID(str(event.payload["deal_id"]))
    deal = db.get(Deal, deal_id)
    if deal is None:
        return
    ids = set(db.scalars(select(DealContact.contact_id).where(DealContact.deal_id == deal_id)))
    if deal.contact_id is not None:
        ids.add(deal.contact_id)
    for cid in sorted(ids, key=str):
        stop_for_contact(db, contact_id=cid, reason="deal_won")
