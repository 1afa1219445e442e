"""Jobs of the customer service: the periodic SLA check and the attachment-file sweep.

Every minute ``tickets.check_sla`` records the SLA warnings and breaches that have come due
and publishes ``ticket.sla_warning`` / ``ticket.sla_breached``. Each is claimed by an UPDATE
on the ticket, so a retried or concurrent run records nothing twice. Every hour
``tickets.sweep_files`` deletes stored attachment files no row names any more (after an
erasure, or an upload whose transaction rolled back), an hour after they were written.
A public agent comment on an email ticket is mailed to the contact once
(``tickets.email_reply``, see ``amity.tickets.outbound``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from amity.core.clock import now
from amity.core.events import EventRecord
from amity.core.mail import MailNotConfigured
from amity.jobs.context import JobContext
from amity.jobs.registry import PermanentError, job, on_event
from amity.tickets import outbound
from amity.tickets.attachments import AttachmentStore, sweep_unreferenced
from amity.tickets.sla import check_breaches

CHECK_SLA = "tickets.check_sla"
SWEEP_FILES = "tickets.sweep_files"
SWEEP_GRACE = timedelta(hours=1)


@job(CHECK_SLA, max_attempts=3)
def check_sla(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    check_breaches(db, now())


@job(SWEEP_FILES, max_attempts=3)
def sweep_files(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    store = AttachmentStore(root=Path(ctx.settings.attachment_dir),
                            max_bytes=ctx.settings.attachment_max_bytes,
                            allowed_types=tuple(ctx.settings.attachment_types))
    sweep_unreferenced(db, store, older_than=now() - SWEEP_GRACE)


@on_event("ticket.commented", name="tickets.email_reply")
def email_reply(event: EventRecord, db: Session, ctx: JobContext) -> None:
    p = event.payload
    if p.get("author_kind") != "agent" or not p.get("public") or not p.get("comment_id"):
        return
    comment_id = uuid.UUID(str(p["comment_id"]))
    msg = outbound.reply_message(db, comment_id=comment_id, settings=ctx.settings)
    if msg is None:
        return
    if not ctx.settings.smtp_host:  # retrying cannot help until an administrator sets it
        raise PermanentError(str(MailNotConfigured()))
    # the stored Message-ID is committed before sending (ctx.once commits first); a failed
    # send is retried with backoff
    ctx.once("send", lambda: outbound.send(ctx.settings, msg), key=f"ticket-reply:{comment_id}")
