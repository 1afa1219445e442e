"""Jobs that run workflows (``amity.automation``).

- ``event:automation.workflows`` is a dynamic subscriber: the dispatcher gives it one job per
  event whose type some enabled workflow starts on (asked once per dispatched batch), so a
  run starts within a moment of its event and other events cost no job.
- ``automation.scan_events`` (every minute) is the safety net: it reads the events outbox with
  its own cursor, only the types some enabled workflow starts on, and starts any run the
  subscriber has not (a run's unique key (workflow, record, event) makes it happen once).
- ``automation.scan_web`` (every 10 s) starts workflows on tracked web activity (pages
  viewed, emails opened and clicked...) read from ``web_events`` with its own cursor.
- ``automation.scan_dates`` (hourly; each workflow reads its own time zone's calendar day, and
  each occasion is a unique run key) starts date-triggered workflows.
- ``automation.resume`` continues a waiting run at its ``resume_at`` (queued when the wait
  began, keyed by run and step); ``automation.scan_resumes`` re-queues any whose job was lost.
- ``automation.webhook`` POSTs a signed JSON body once (``JobContext.once`` keyed by run and
  step, the key also sent as ``X-Amity-Delivery`` so the receiver can de-duplicate);
  ``automation.mail_user`` mails a notified user once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session

from amity.activities.models import Interaction
from amity.auth.models import User
from amity.automation import engine, triggers, web_triggers
from amity.automation.models import WorkflowRun
from amity.core.clock import now
from amity.core.events import EventRecord
from amity.core.mail import MailNotConfigured, send_mail
from amity.jobs import outreach, queue
from amity.jobs.context import JobContext
from amity.jobs.registry import PermanentError, job, on_event
from amity.webhooks.signing import sign

SCAN_EVENTS = "automation.scan_events"
SCAN_DATES = "automation.scan_dates"
SCAN_WEB = "automation.scan_web"
SCAN_RESUMES = "automation.scan_resumes"
RESUME = "automation.resume"
WEBHOOK = "automation.webhook"
MAIL_USER = "automation.mail_user"
WEBHOOK_TIMEOUT_S = 10.0


@dataclass
class JobHooks:
    """The engine's outside actions, queued in the handler's transaction."""

    db: Session
    sender: str

    def send_email(self, interaction: Interaction, contact_id: uuid.UUID,
                   purpose: str) -> None:
        outreach.enqueue_email(self.db, interaction=interaction, contact_id=contact_id,
                               purpose=purpose)

    def call_webhook(self, run: WorkflowRun, step: int, url: str, secret: str,
                     body: dict[str, Any]) -> None:
        queue.enqueue(self.db, WEBHOOK, {"url": url, "secret": secret, "body": body,
                                         "key": f"workflow-webhook:{run.id}:{step}"},
                      idempotency_key=f"workflow-webhook:{run.id}:{step}")

    def mail_user(self, user: User, subject: str, body: str, key: str) -> None:
        queue.enqueue(self.db, MAIL_USER, {"user_id": str(user.id), "subject": subject,
                                           "body": body, "key": key},
                      idempotency_key=f"mail:{key}"[:200])

    def resume_at(self, run: WorkflowRun, at: datetime) -> None:
        queue.enqueue(self.db, RESUME, {"run_id": str(run.id), "step": run.step_index},
                      run_at=at, idempotency_key=f"workflow-resume:{run.id}:{run.step_index}")


def hooks(db: Session, ctx: JobContext) -> JobHooks:
    return JobHooks(db=db, sender=ctx.settings.smtp_from)


WORKFLOWS = "automation.workflows"


@on_event("*", name=WORKFLOWS, max_attempts=5, chooser=triggers.event_trigger_keys)
def on_workflow_event(event: EventRecord, db: Session, ctx: JobContext) -> None:
    triggers.handle_event(db, event, hooks(db, ctx))


@job(SCAN_EVENTS, max_attempts=3)
def scan_events(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    triggers.scan_events(db, hooks(db, ctx))


@job(SCAN_WEB, max_attempts=3)
def scan_web(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    web_triggers.scan_web(db, hooks(db, ctx))


@job(SCAN_DATES, max_attempts=3)
def scan_dates(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    triggers.scan_dates(db, hooks(db, ctx))


@job(RESUME, max_attempts=5)
def resume(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    run = db.get(WorkflowRun, uuid.UUID(str(payload["run_id"])), with_for_update=True)
    if run is None or run.status != "waiting" or run.step_index != int(payload["step"]):
        return  # resumed already (a retry, or the sweep got there first)
    if run.resume_at is not None and run.resume_at > now():
        raise RuntimeError("resumed early; retried later")
    engine.advance(db, run=run, hooks=hooks(db, ctx))


@job(SCAN_RESUMES, max_attempts=3)
def scan_resumes(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """A safety net: waiting runs past their time whose resume job is gone (purged) get one."""
    for run_id, _ in triggers.due_resumes(db, now() - timedelta(minutes=5)):
        run = db.get(WorkflowRun, run_id)
        if run is not None:
            queue.enqueue(db, RESUME, {"run_id": str(run.id), "step": run.step_index},
                          idempotency_key=f"workflow-resume:{run.id}:{run.step_index}:late")


@job(WEBHOOK, max_attempts=8)
def call_webhook(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    body = json.dumps(payload["body"], separators=(",", ":"), sort_keys=True).encode()
    key = str(payload["key"])
    headers = {"Content-Type": "application/json", "User-Agent": "Amity-Workflows",
               "X-Amity-Delivery": key,
               **sign(str(payload["secret"]), body, int(now().timestamp()))}

    def post() -> None:
        r = httpx.post(str(payload["url"]), content=body, headers=headers,
                       timeout=WEBHOOK_TIMEOUT_S, follow_redirects=False)
        if r.status_code >= 500 or r.status_code == 429:
            raise RuntimeError(f"webhook answered {r.status_code}; retried later")
        if r.status_code >= 400:
            raise PermanentError(f"webhook refused the call: {r.status_code}")

    ctx.once("webhook", post, key=key)


@job(MAIL_USER, max_attempts=8)
def mail_user(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    user = db.get(User, uuid.UUID(str(payload["user_id"])))
    if user is None or not user.is_active:
        return
    to, subject, body = user.email, str(payload["subject"]), str(payload["body"])
    try:
        key = f"mail:{payload['key']}"[:240]
        ctx.once("mail", lambda: send_mail(ctx.settings, to=to, subject=subject, body=body,
                                           message_id=ctx.message_id("mail", key)), key=key)
    except MailNotConfigured as exc:  # the in-app notification stays
        raise PermanentError(str(exc)) from exc
