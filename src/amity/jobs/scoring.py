"""Jobs that keep lead scores current and send the hot-lead alert.

Scores are re-evaluated (idempotently, see ``scoring.engine``) when something that rules look
at happens: an interaction is recorded, consent changes, the contact is created or edited
(outbox events); web events (page views, downloads, form submits, email opens and clicks) are
too many for the outbox, so ``scoring.scan_web`` reads what arrived since its last run every
20 seconds and queues one evaluation per contact seen. ``scoring.decay`` re-evaluates scored
contacts hourly (decay and expiry lower scores with no event). ``contact.score_crossed`` up
runs the alert: notification + call task in the job's transaction, then one email.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from amity.activities.outreach_models import WebEvent
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.events import EventRecord
from amity.core.mail import MailNotConfigured, send_mail
from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.registry import PermanentError, job, on_event
from amity.scoring import alerts, engine
from amity.scoring.models import ContactScore
from amity.scoring.rules import get_settings

EVALUATE = "scoring.evaluate"
SCAN_WEB = "scoring.scan_web"
DECAY = "scoring.decay"
RECOMPUTE_ALL = "scoring.recompute_all"
SCAN_EVERY = timedelta(seconds=20)
DECAY_EVERY = timedelta(hours=1)
# a web event stored by a transaction that committed late is still seen by the next scan
SCAN_OVERLAP = timedelta(seconds=60)
BATCH = 1000


def _contact_ids(event: EventRecord) -> list[uuid.UUID]:
    payload = event.payload or {}
    ids = payload.get("contact_ids") or ([payload["contact_id"]] if payload.get("contact_id")
                                         else [])
    return [uuid.UUID(str(i)) for i in ids]


def _slot(at: datetime, every: timedelta) -> str:
    step = int(every.total_seconds())
    return str(int(at.timestamp()) // step * step)


def queue_evaluations(db: Session, contact_ids: list[uuid.UUID], tag: str) -> int:
    """One evaluation per contact, coalesced per ``tag`` (a scan slot, a recompute run)."""
    for cid in contact_ids:
        queue.enqueue(db, EVALUATE, {"contact_id": str(cid)},
                      idempotency_key=f"score:{cid}:{tag}")
    return len(contact_ids)


@job(EVALUATE, max_attempts=8)
def evaluate(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    engine.evaluate(db, uuid.UUID(str(payload["contact_id"])))


@on_event("interaction.recorded", name="scoring.on_interaction")
@on_event("contact.consent_changed", name="scoring.on_consent")
@on_event("contact.created", name="scoring.on_contact_created")
@on_event("contact.updated", name="scoring.on_contact_updated")
@on_event("contact.lifecycle_stage_changed", name="scoring.on_lifecycle")
def on_contact_activity(event: EventRecord, db: Session, ctx: JobContext) -> None:
    for cid in _contact_ids(event):
        engine.evaluate(db, cid)


@job(SCAN_WEB, max_attempts=3)
def scan_web(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    settings = get_settings(db)
    at = now()
    start = (settings.web_cursor or at - SCAN_OVERLAP) - SCAN_OVERLAP
    ids = list(db.scalars(select(WebEvent.contact_id).where(
        WebEvent.received_at > start, WebEvent.received_at <= at,
        WebEvent.contact_id.is_not(None)).distinct().limit(50_000)))
    queue_evaluations(db, [i for i in ids if i is not None], f"web:{_slot(at, SCAN_EVERY)}")
    settings.web_cursor = at


@job(DECAY, max_attempts=3)
def decay(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    at = now()
    ids = list(db.scalars(select(ContactScore.contact_id).where(
        or_(ContactScore.behaviour_points != 0, ContactScore.hot.is_(True)))))
    queue_evaluations(db, ids, f"decay:{_slot(at, DECAY_EVERY)}")


@job(RECOMPUTE_ALL, max_attempts=3)
def recompute_all(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """Queue an evaluation of every live contact, a batch per run (it queues its own next)."""
    after = payload.get("after")
    q = select(Contact.id).where(Contact.deleted_at.is_(None)).order_by(Contact.id).limit(BATCH)
    if after:
        q = q.where(Contact.id > uuid.UUID(str(after)))
    ids = list(db.scalars(q))
    run = str(payload.get("run") or ctx.job_id)
    queue_evaluations(db, ids, f"all:{run}")
    if len(ids) == BATCH:
        queue.enqueue(db, RECOMPUTE_ALL, {"run": run, "after": str(ids[-1])},
                      idempotency_key=f"score-all:{run}:{ids[-1]}")


def request_recompute(db: Session) -> None:
    """Queue a recompute of every score (rules changed); runs after this transaction."""
    run = uuid.uuid4()
    queue.enqueue(db, RECOMPUTE_ALL, {"run": str(run)}, idempotency_key=f"score-all:{run}")


@on_event("contact.score_crossed", name="scoring.hot_lead_alert")
def hot_lead(event: EventRecord, db: Session, ctx: JobContext) -> None:
    p = event.payload or {}
    if p.get("direction") != "up":
        return
    alert = alerts.hot_lead_alert(db, contact_id=uuid.UUID(str(p["contact_id"])),
                                  crossing=int(p.get("crossing") or 0),
                                  score=int(p.get("score") or 0),
                                  threshold=int(p.get("threshold") or 0),
                                  base_url=ctx.settings.base_url)
    if alert is None or not ctx.settings.smtp_host:
        return  # nobody to alert, or no mail server: the in-app notification is the alert
    to, subject, body = alert.recipient.email, alert.subject, alert.body
    try:
        key = f"{alert.key}:mail"
        ctx.once("mail", lambda: send_mail(ctx.settings, to=to, subject=subject, body=body,
                                           message_id=ctx.message_id("mail", key)), key=key)
    except MailNotConfigured as exc:
        raise PermanentError(str(exc)) from exc


def pending_web_events(db: Session) -> int:
    """Web events not yet scanned (the health of the scan, for the CLI)."""
    cursor = get_settings(db).web_cursor
    q = select(func.count()).select_from(WebEvent).where(WebEvent.contact_id.is_not(None))
    if cursor is not None:
        q = q.where(WebEvent.received_at > cursor)
    return int(db.scalar(q) or 0)
