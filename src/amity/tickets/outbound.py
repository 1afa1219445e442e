"""Agent replies by email: a public agent comment on an email ticket is mailed to its contact.

The message comes from the inbound address (so the customer's answer comes back to the help
desk), its subject carries the ticket's tag (``[#T-1042]``), In-Reply-To and References name
the customer's last message, and its own Message-ID (``<ticket-comment-<id>@<domain>>``, the
same on every attempt) is stored on the comment so an answer threads back by header too.
Sending happens in a job after the comment is committed (``amity.jobs.tickets``).
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.config import Settings
from amity.contacts.models import ContactEmail
from amity.core.mail import MailFailed, MailNotConfigured
from amity.tickets.models import Ticket, TicketComment


def _recipient(db: Session, contact_id: uuid.UUID) -> str | None:
    return db.scalar(select(ContactEmail.email).where(ContactEmail.contact_id == contact_id)
                     .order_by(ContactEmail.is_primary.desc(), ContactEmail.position)
                     .limit(1))


def reply_message(db: Session, *, comment_id: uuid.UUID,
                  settings: Settings) -> EmailMessage | None:
    """The email for an agent's public comment, or None when it is not to be mailed (a note,
    a customer's comment, a ticket not from email, no contact address). Sets the comment's
    ``message_id`` / ``in_reply_to`` (the caller commits)."""
    comment = db.get(TicketComment, comment_id)
    if comment is None or comment.author_kind != "agent" or not comment.public:
        return None
    ticket = db.get(Ticket, comment.ticket_id)
    if ticket is None or ticket.deleted_at is not None or ticket.channel != "email" \
            or ticket.contact_id is None:
        return None
    to = _recipient(db, ticket.contact_id)
    if to is None:
        return None
    last = db.scalar(select(TicketComment).where(
        TicketComment.ticket_id == ticket.id, TicketComment.author_kind == "customer",
        TicketComment.message_id.is_not(None)).order_by(TicketComment.created_at.desc(),
                                                         TicketComment.id.desc()).limit(1))
    domain = settings.inbound_address.rpartition("@")[2] or "localhost"
    comment.message_id = comment.message_id or f"<ticket-comment-{comment.id}@{domain}>"
    msg = EmailMessage()
    msg["From"] = formataddr((parseaddr(settings.smtp_from)[0] or "Support",
                              settings.inbound_address))
    msg["To"] = to
    subject = " ".join(ticket.subject.split())
    msg["Subject"] = (subject if ticket.subject_tag in subject
                      else f"Re: {subject} {ticket.subject_tag}")
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = comment.message_id
    if last is not None and last.message_id:
        comment.in_reply_to = last.message_id
        msg["In-Reply-To"] = last.message_id
        msg["References"] = " ".join(x for x in (last.in_reply_to, last.message_id) if x)
    msg.set_content(comment.body)
    return msg


def send(settings: Settings, msg: EmailMessage) -> None:
    """Hand the message to the configured SMTP server (``MailError`` if it cannot)."""
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
