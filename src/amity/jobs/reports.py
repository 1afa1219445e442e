"""``reports.refresh_results``: every stored report result computed again (every 10 minutes).

``reports.digest``: each saved report with a digest goes to its owner by email (HTML with a
plain-text alternative), daily, and weekly ones on Mondays; run once a day by the scheduler.

Each report is computed as its owner sees the data. ``JobContext.once`` keys the mail by report
and day, so a retry after a mail failure sends only the ones not sent yet; an owner who is
inactive or may no longer read reports gets nothing.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core.clock import now
from amity.core.errors import DomainError
from amity.core.mail import MailNotConfigured, build_message, send_message
from amity.jobs.context import JobContext
from amity.jobs.registry import PermanentError, job
from amity.reports import digest, service, stored

DIGEST = "reports.digest"
REFRESH_RESULTS = "reports.refresh_results"


@job(REFRESH_RESULTS, max_attempts=3)
def refresh_results(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """Each stored result run again as its user (idempotent: a retry recomputes)."""
    stored.refresh_all(db)


@job(DIGEST, max_attempts=8)
def send_digests(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    at = now()
    letters = []
    for report in digest.due(db, at):
        owner = db.get(User, report.owner_id)
        if owner is None or not owner.is_active:
            continue
        try:
            result = service.run_report(db, owner, report)
        except DomainError:  # no longer allowed, or the definition no longer fits the data
            continue
        link = f"{ctx.settings.base_url.rstrip('/')}/reports/{report.id}"
        msg = build_message(ctx.settings, to=owner.email, subject=digest.subject(report),
                            body=digest.as_text(report, result, link))
        msg.add_alternative(digest.as_html(report, result, link), subtype="html")
        letters.append((f"report-digest:{report.id}:{at:%Y-%m-%d}", msg))
    for key, msg in letters:
        try:
            ctx.once("mail", partial(send_message, ctx.settings, msg), key=key)
        except MailNotConfigured as exc:
            raise PermanentError(str(exc)) from exc
