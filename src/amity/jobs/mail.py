"""Jobs polling IMAP mailboxes.

Every minute ``mail.poll_all`` queues one ``mail.poll`` per enabled mailbox that is not
backing off after failures (one per mailbox and minute: the key says so). ``mail.poll``
stores what is new (``amity.mail.poll``); a connection or login failure is recorded on the
mailbox and the job fails, to be retried with the queue's backoff.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from amity.config import Settings
from amity.core.clock import now
from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.models import Job
from amity.jobs.registry import job
from amity.mail.models import Mailbox
from amity.mail.poll import PollSettings, poll_mailbox
from amity.tickets.attachments import AttachmentStore

POLL_ALL = "mail.poll_all"
POLL = "mail.poll"


def poll_settings(settings: Settings) -> PollSettings:
    return PollSettings(
        store=AttachmentStore(root=Path(settings.attachment_dir),
                              max_bytes=settings.attachment_max_bytes,
                              allowed_types=tuple(settings.attachment_types)),
        quarantine_dir=Path(settings.inbound_quarantine_dir),
        max_bytes=settings.inbound_max_bytes)


def enqueue_poll(db: Session, mailbox_id: uuid.UUID, *, key: str | None = None) -> Job:
    return queue.enqueue(db, POLL, {"mailbox_id": str(mailbox_id)}, idempotency_key=key)


@job(POLL_ALL, max_attempts=3)
def poll_all(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    at = now()
    minute = at.replace(second=0, microsecond=0).isoformat()
    due = db.scalars(select(Mailbox.id).where(
        Mailbox.enabled.is_(True), Mailbox.deleted_at.is_(None),
        or_(Mailbox.next_poll_at.is_(None), Mailbox.next_poll_at <= at)))
    for mailbox_id in due:
        enqueue_poll(db, mailbox_id, key=f"mail.poll:{mailbox_id}:{minute}")


@job(POLL, max_attempts=4)
def poll(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    poll_mailbox(db, mailbox_id=uuid.UUID(str(payload["mailbox_id"])),
                 settings=poll_settings(ctx.settings), heartbeat=ctx.heartbeat)
