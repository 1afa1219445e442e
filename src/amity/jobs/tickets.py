"""Jobs of the customer service: the periodic SLA check and the attachment-file sweep.

Every minute ``tickets.check_sla`` records the SLA warnings and breaches that have come due
and publishes ``ticket.sla_warning`` / ``ticket.sla_breached``. Each is claimed by an UPDATE
on the ticket, so a retried or concurrent run records nothing twice. Every hour
``tickets.sweep_files`` deletes stored attachment files no row names any more (after an
erasure, or an upload whose transaction rolled back), an hour after they were written.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from amity.core.clock import now
from amity.jobs.context import JobContext
from amity.jobs.registry import job
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
