"""Email to ticket: read one received message and store it as a ticket or a customer comment.

A message whose subject carries a ticket's tag (``[#T-1042]``), or whose In-Reply-To /
References name the Message-ID of one of a ticket's comments, becomes a public customer
comment on that ticket (a closed ticket takes none: a new ticket is opened instead). Any other
message opens a new email ticket. The sender is the ticket's contact, found by email address
or created with source "email". A Message-ID already stored is not stored again.

The body is the text part, or the HTML part turned into text. Attachments go through the
ticket attachment rules (size, allowed types checked against the bytes); a refused file is
left out and an internal note on the ticket says which and why. A message that cannot be read
(no From address, broken MIME structure) raises ``Unreadable``; ``quarantine`` keeps its bytes
in a file and announces it with a ``ticket.mail_quarantined`` event.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass, field
from email import errors as mime_errors
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.contacts.models import Contact
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import contacts_by_email, create_contact
from amity.core.clock import now
from amity.core.errors import DomainError
from amity.core.events import DomainEvent, publish
from amity.tickets.attachments import AttachmentStore, add_attachment
from amity.tickets.models import Ticket, TicketComment
from amity.tickets.queries import ticket_for_subject
from amity.tickets.schemas import CommentCreate, TicketCreate
from amity.tickets.service import add_comment, create_ticket

MAX_BODY = 100_000
MAX_HEADER = 500
_MSGID = re.compile(r"<[^<>\s]{1,498}>")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
# structural defects: the parts of the message cannot be told apart reliably
_BROKEN = (mime_errors.NoBoundaryInMultipartDefect, mime_errors.StartBoundaryNotFoundDefect,
           mime_errors.CloseBoundaryNotFoundDefect,
           mime_errors.MultipartInvariantViolationDefect, mime_errors.InvalidBase64PaddingDefect,
           mime_errors.InvalidBase64CharactersDefect, mime_errors.InvalidBase64LengthDefect)


class Unreadable(Exception):
    """The message cannot become a ticket; ``reason`` says why in words for the sender."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MailQuarantined(DomainEvent):
    type = "ticket.mail_quarantined"
    file: str
    reason: str


@dataclass(frozen=True)
class Part:
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Parsed:
    sender: str
    sender_name: str
    subject: str
    body: str
    message_id: str | None
    in_reply_to: str | None
    references: list[str] = field(default_factory=list)  # newest last
    attachments: list[Part] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    outcome: str  # created | commented | duplicate
    ticket: Ticket
    comment: TicketComment
    dropped: tuple[str, ...] = ()


class _Text(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
              "pre", "table", "ul", "ol"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")
        if tag == "li":
            self.out.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: tags dropped, blocks on their own lines."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.out).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _ids(value: str | None) -> list[str]:
    return _MSGID.findall(value or "")


def _defects(msg: EmailMessage) -> list[str]:
    found = []
    for part in msg.walk():
        found += [type(d).__name__ for d in part.defects if isinstance(d, _BROKEN)]
    return found


def parse(raw: bytes) -> Parsed:
    """The parts of a message Amity uses; ``Unreadable`` if it cannot be read."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        senders = [(n, a) for n, a in getaddresses([str(v) for v in msg.get_all("From", [])])
                   if _EMAIL.match(a)]
        subject = " ".join(str(msg.get("Subject", "")).split())
        message_id = next(iter(_ids(str(msg.get("Message-ID", "")))), None)
        in_reply_to = next(iter(_ids(str(msg.get("In-Reply-To", "")))), None)
        references = _ids(str(msg.get("References", "")))
    except (mime_errors.MessageError, ValueError, TypeError, IndexError) as exc:
        raise Unreadable(f"the message headers cannot be read ({exc})") from exc
    if not senders:
        raise Unreadable("the message has no From address")
    broken = _defects(msg)
    if broken:
        raise Unreadable(f"the MIME structure is broken ({', '.join(sorted(set(broken)))})")
    body_part = msg.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        try:
            text = body_part.get_content()
        except (LookupError, ValueError, AssertionError) as exc:
            raise Unreadable(f"the message body cannot be decoded ({exc})") from exc
        body = html_to_text(text) if body_part.get_content_type() == "text/html" else text
    parts = []
    for att in msg.iter_attachments():
        data = att.get_payload(decode=True)
        if isinstance(data, bytes):
            parts.append(Part(att.get_filename(), att.get_content_type(), data))
    name, addr = senders[0]
    return Parsed(sender=addr.strip().lower(), sender_name=name.strip(), subject=subject,
                  body=body.strip(), message_id=message_id, in_reply_to=in_reply_to,
                  references=[*references, *([in_reply_to] if in_reply_to else [])],
                  attachments=parts)


def intake_actor(db: Session) -> User | None:
    """Who records received mail in the audit log: the longest-serving active administrator."""
    return db.scalar(select(User).where(User.is_admin.is_(True), User.is_active.is_(True))
                     .order_by(User.created_at, User.id).limit(1))


def _contact(db: Session, parsed: Parsed, actor: User) -> Contact:
    known = contacts_by_email(db, parsed.sender)
    if known:
        return min(known, key=lambda c: (c.created_at, str(c.id)))
    first, _, last = parsed.sender_name.partition(" ")
    data = ContactCreate.model_validate({
        "first_name": first[:100] or None, "last_name": last[:100] or None, "source": "email",
        "emails": [{"email": parsed.sender, "primary": True}]})
    return create_contact(db, data=data, actor=actor)


def _threaded(db: Session, parsed: Parsed) -> Ticket | None:
    ticket = ticket_for_subject(db, parsed.subject)
    if ticket is None and parsed.references:
        ticket = db.scalar(select(Ticket).join(TicketComment, TicketComment.ticket_id == Ticket.id)
                           .where(TicketComment.message_id.in_(parsed.references[-50:]),
                                  Ticket.deleted_at.is_(None))
                           .order_by(TicketComment.created_at.desc()).limit(1))
    return None if ticket is None or ticket.status == "closed" else ticket


def receive_message(db: Session, *, raw: bytes, store: AttachmentStore,
                    actor: User) -> Delivery:
    """Store one received message (see the module doc); ``Unreadable`` changes nothing."""
    parsed = parse(raw)
    if parsed.message_id is not None:
        seen = db.scalar(select(TicketComment).where(TicketComment.message_id ==
                                                     parsed.message_id).limit(1))
        if seen is not None:
            ticket = db.get(Ticket, seen.ticket_id)
            assert ticket is not None
            return Delivery("duplicate", ticket, seen)
    contact = _contact(db, parsed, actor)
    body = parsed.body[:MAX_BODY] or "(no text)"
    ticket = _threaded(db, parsed)
    outcome = "commented"
    if ticket is None:
        ticket = create_ticket(db, actor=actor, data=TicketCreate(
            subject=parsed.subject[:MAX_HEADER] or "(no subject)", description=body,
            channel="email", contact_id=contact.id))
        outcome = "created"
    comment = add_comment(db, ticket=ticket, actor=actor, data=CommentCreate(
        body=body, author="customer", contact_id=contact.id,
        message_id=parsed.message_id, in_reply_to=parsed.in_reply_to))
    dropped = []
    for part in parsed.attachments:
        try:
            add_attachment(db, ticket=ticket, comment=comment, filename=part.filename,
                           content_type=part.content_type, stream=io.BytesIO(part.data),
                           store=store, actor=actor)
        except DomainError as exc:
            dropped.append(f"{part.filename or 'unnamed file'}: {exc.message}")
    if dropped:
        add_comment(db, ticket=ticket, actor=actor, data=CommentCreate(
            body="Attachments not kept from the customer's email:\n" + "\n".join(dropped),
            author="agent", public=False))
    return Delivery(outcome, ticket, comment, tuple(dropped))


def quarantine(db: Session, *, raw: bytes, reason: str, directory: Path) -> Path:
    """Keep an unreadable message's bytes as ``<directory>/<time>-<id>.eml`` (the reason beside
    it in ``.txt``) and publish ``ticket.mail_quarantined``; the caller commits."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{now():%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:12]}"
    path = directory / f"{stem}.eml"
    path.write_bytes(raw)
    (directory / f"{stem}.txt").write_text(reason + "\n", encoding="utf-8")
    publish(db, MailQuarantined(file=path.name, reason=reason))
    return path
