"""The weekly data-quality digest (``dataquality.digest``): every steward gets the audit of
their entity or segment by email, once per steward and week (``JobContext.once``), so a retry
after a mail failure sends only the ones not yet sent."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core.clock import now
from amity.core.mail import MailNotConfigured, send_mail
from amity.dataquality import queries, service
from amity.jobs.context import JobContext
from amity.jobs.registry import PermanentError, job

DIGEST = "dataquality.digest"


@job(DIGEST, max_attempts=8)
def digest(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    at = now()
    week = at.strftime("%G-W%V")
    letters = []
    for steward in service.list_stewards(db):
        user = db.get(User, steward.user_id)
        if user is None or not user.is_active:
            continue
        report = queries.contact_report(db, segment_tag=steward.segment_tag or None,
                                        at=at)
        subject, body = service.digest_text(report, ctx.settings.base_url)
        letters.append((f"dq-digest:{steward.id}:{week}", user.email, subject, body))
    for key, to, subject, body in letters:
        try:
            ctx.once("mail", partial(send_mail, ctx.settings, to=to, subject=subject,
                                     body=body), key=key)
        except MailNotConfigured as exc:
            raise PermanentError(str(exc)) from exc
