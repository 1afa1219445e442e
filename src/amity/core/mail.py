"""Sending email over SMTP (``AMITY_SMTP_*`` settings): one message per call, plain text.

Without ``AMITY_SMTP_HOST`` sending raises ``MailNotConfigured``; a server that refuses or
cannot be reached raises ``MailFailed``. Callers that must answer the same way whatever
happens (password reset) catch ``MailError`` and log it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from amity.config import Settings


class MailError(Exception):
    """Email could not be sent."""


class MailNotConfigured(MailError):
    def __init__(self) -> None:
        super().__init__("Email is not configured: set AMITY_SMTP_HOST (and AMITY_SMTP_PORT, "
                         "AMITY_SMTP_FROM, optionally AMITY_SMTP_USERNAME/PASSWORD)")


class MailFailed(MailError):
    pass


def build_message(settings: Settings, *, to: str, subject: str, body: str,
                  message_id: str | None = None) -> EmailMessage:
    """A plain-text message. ``message_id`` (a local part) makes its Message-ID stable: a job
    that sends it again after a crash sends the same message, which receivers de-duplicate."""
    if any(ch in to + subject for ch in "\r\n"):
        raise MailFailed("header values must not contain line breaks")
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = (f"<{message_id}@{domain}>" if message_id
                         else make_msgid(domain=domain))
    msg.set_content(body)
    return msg


def send_mail(settings: Settings, *, to: str, subject: str, body: str,
              message_id: str | None = None) -> None:
    """Send one plain-text message through the configured SMTP server."""
    if not settings.smtp_host:
        raise MailNotConfigured()
    send_message(settings, build_message(settings, to=to, subject=subject, body=body,
                                         message_id=message_id))


def send_message(settings: Settings, msg: EmailMessage) -> None:
    """Send a message built by the caller (its own headers, parts and Message-ID)."""
    if not settings.smtp_host:
        raise MailNotConfigured()
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                          timeout=settings.smtp_timeout_s) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailFailed(f"Could not send email via {settings.smtp_host}:"
                         f"{settings.smtp_port}: {exc}") from exc
