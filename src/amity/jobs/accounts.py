"""Jobs about user accounts: the password-reset email.

The sign-in pages only store the reset token and enqueue this job, so a slow or absent SMTP
server never holds a page up. The job mails the link once (``JobContext.once``) and skips a
link that was used, expired or replaced by a newer one before it could be sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from amity.auth import passwords
from amity.auth.models import PasswordResetToken, User
from amity.core.clock import now
from amity.core.mail import MailNotConfigured, send_mail
from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.models import Job
from amity.jobs.registry import PermanentError, job

RESET_MAIL = "accounts.password_reset_mail"
SUBJECT = "Reset your Amity password"


def enqueue_reset_mail(db: Session, *, token: PasswordResetToken) -> Job:
    """Queue the email for a reset token just created in this transaction."""
    db.flush()
    return queue.enqueue(db, RESET_MAIL, {"token_id": str(token.id)},
                         idempotency_key=f"password-reset:{token.id}")


def reset_body(link: str) -> str:
    return ("Someone (hopefully you) asked to reset your Amity password.\n\n"
            f"Set a new password here within the hour:\n{link}\n\n"
            "The link works once. If you did not ask, ignore this message: your password "
            "stays as it is.\n")


@job(RESET_MAIL, max_attempts=6)
def send_reset_mail(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    tok = db.get(PasswordResetToken, uuid.UUID(str(payload["token_id"])))
    if tok is None or tok.used_at is not None or tok.expires_at <= now():
        return  # used, replaced by a newer link, or too late to be of use
    user = db.get(User, tok.user_id)
    if user is None or not user.is_active:
        return
    token = passwords.reset_token_text(ctx.settings.secret_key, tok.id)
    link = f"{ctx.settings.base_url.rstrip('/')}/password/reset?token={token}"
    to = user.email
    try:
        ctx.once("mail", lambda: send_mail(ctx.settings, to=to, subject=SUBJECT,
                                           body=reset_body(link),
                                           message_id=ctx.message_id("mail")))
    except MailNotConfigured as exc:  # retrying cannot help until someone configures SMTP
        raise PermanentError(str(exc)) from exc
