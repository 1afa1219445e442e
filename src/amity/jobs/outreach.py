"""Jobs about email to contacts: ``outreach.send_email`` sends one recorded email interaction.

The API records the interaction and queues this job in the same transaction. The job asks
again whether the contact may receive it (consent can be withdrawn meanwhile), builds the
message (tracked links, pixel, unsubscribe headers) and sends it once (``JobContext.once``,
keyed by the interaction, and the receiver can de-duplicate on the Message-ID).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from amity.activities import email
from amity.activities.models import Interaction
from amity.core.mail import MailNotConfigured, send_message
from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.models import Job
from amity.jobs.registry import PermanentError, job

SEND_EMAIL = "outreach.send_email"


def enqueue_email(db: Session, *, interaction: Interaction, contact_id: uuid.UUID,
                  purpose: str) -> Job:
    """Queue the sending of an email interaction recorded in this transaction."""
    db.flush()
    return queue.enqueue(db, SEND_EMAIL, {"interaction_id": str(interaction.id),
                                          "contact_id": str(contact_id), "purpose": purpose},
                         idempotency_key=f"email:{interaction.id}")


@job(SEND_EMAIL, max_attempts=8)
def send_email(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    interaction = db.get(Interaction, uuid.UUID(str(payload["interaction_id"])))
    if interaction is None:
        return
    contact_id = uuid.UUID(str(payload["contact_id"]))
    found = email.recipient(db, interaction, contact_id, str(payload["purpose"]))
    if found is None:
        return  # deleted, unsubscribed or no address any more: nothing to send
    msg = email.build_email(interaction=interaction, contact_id=contact_id, to=found[1],
                            sender=ctx.settings.smtp_from, base_url=ctx.settings.base_url,
                            secret=ctx.settings.secret_key)
    try:
        ctx.once("mail", lambda: send_message(ctx.settings, msg),
                 key=f"email:{interaction.id}")
    except MailNotConfigured as exc:
        raise PermanentError(str(exc)) from exc
