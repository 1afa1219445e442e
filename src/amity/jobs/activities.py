"""Jobs about activities: task reminders (in the app and by email) and important dates.

Every minute ``activities.scan_reminders`` enqueues one ``activities.task_reminder`` job per
due reminder, keyed by the task and its reminder time, so a reminder is queued once however
often the scan runs. That job writes the notification and ``reminded_at`` together (its commit
is the delivery in the app) and then mails the assignee once (``JobContext.once``). Every hour
``activities.important_dates`` notifies owners of dates coming up on their calendar day; the
notification's unique key makes it once per year per date.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from amity.activities import reminders
from amity.core.clock import now
from amity.core.mail import MailNotConfigured, send_mail
from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.registry import PermanentError, job

SCAN = "activities.scan_reminders"
TASK_REMINDER = "activities.task_reminder"
IMPORTANT_DATES = "activities.important_dates"
SCAN_EVERY = timedelta(minutes=1)
DATES_EVERY = timedelta(hours=1)


@job(SCAN, max_attempts=3)
def scan_reminders(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    for task_id, reminder_at in reminders.due_task_reminders(db, at=now()):
        queue.enqueue(db, TASK_REMINDER, {"task_id": str(task_id),
                                          "reminder_at": reminder_at.isoformat()},
                      idempotency_key=f"task-reminder:{task_id}:{reminder_at.isoformat()}")


@job(TASK_REMINDER, max_attempts=8)
def task_reminder(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    sent = reminders.deliver_task_reminder(
        db, task_id=uuid.UUID(str(payload["task_id"])),
        reminder_at=datetime.fromisoformat(str(payload["reminder_at"])))
    if sent is None:
        return  # done, deleted, moved or delivered meanwhile: nothing to send
    subject, body = reminders.reminder_mail(sent.task, sent.assignee, ctx.settings.base_url)
    to = sent.assignee.email
    try:
        ctx.once("mail", lambda: send_mail(ctx.settings, to=to, subject=subject, body=body,
                                           message_id=ctx.message_id("mail")))
    except MailNotConfigured as exc:  # the in-app notification stays; mail cannot be retried
        raise PermanentError(str(exc)) from exc


@job(IMPORTANT_DATES, max_attempts=3)
def important_dates(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    reminders.important_date_reminders(db, lead_days=ctx.settings.important_date_lead_days)
