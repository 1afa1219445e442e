"""A message from or to known contacts, logged on their timelines as an email interaction.

Direction: ``outbound`` when the From address is a user's, else ``inbound``. Participants:
every live contact whose address is among From / To / Cc (with that role), and the users
among them. A message naming no known contact is not logged. The interaction is keyed by
``external_source='imap'`` + the Message-ID (or a hash of the bytes when there is none), so
logging the same message again, from any mailbox, returns the first interaction. Threading:
``message_id`` and ``in_reply_to`` are kept, and ``thread_key`` is the thread's root
Message-ID (the key of an earlier message of the thread when one is logged).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.activities.interactions import find_external, record_interaction
from amity.activities.models import Interaction
from amity.activities.schemas import InteractionCreate, ParticipantIn
from amity.auth.models import User
from amity.contacts.models import Contact, ContactEmail
from amity.core.clock import now
from amity.tickets.inbound import MAX_BODY, Unreadable, parse

SOURCE = "imap"
_ROLES = (("From", "from"), ("To", "to"), ("Cc", "cc"))


@dataclass(frozen=True)
class Logged:
    outcome: str  # logged | duplicate | skipped (no known contact)
    interaction: Interaction | None = None


def _addresses(msg: EmailMessage) -> list[tuple[str, str]]:
    """(role, lower-case address) in header order."""
    out = []
    for header, role in _ROLES:
        values = [str(v) for v in msg.get_all(header, [])]
        for _name, addr in getaddresses(values):
            addr = addr.strip().lower()
            if "@" in addr and len(addr) <= 320:
                out.append((role, addr))
    return out


def _when(msg: EmailMessage) -> datetime:
    try:
        at = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return now()
    if at.tzinfo is None:
        return now()
    return min(at, now())


def _thread_key(db: Session, root: str, references: list[str]) -> str:
    if references:
        known = db.scalar(select(Interaction.thread_key)
                          .where(Interaction.message_id.in_(references[-50:]),
                                 Interaction.thread_key.is_not(None)).limit(1))
        if known:
            return known
    if len(root) <= 255:
        return root
    return "sha256:" + hashlib.sha256(root.encode()).hexdigest()


def log_email(db: Session, *, raw: bytes, actor: User) -> Logged:
    """Log one message (see the module doc); ``Unreadable`` if it cannot be read."""
    parsed = parse(raw)
    external_id = parsed.message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    existing = find_external(db, SOURCE, external_id)
    if existing is not None:
        return Logged("duplicate", existing)
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        addresses = _addresses(msg)
        occurred_at = _when(msg)
    except (ValueError, TypeError, IndexError) as exc:
        raise Unreadable(f"the address headers cannot be read ({exc})") from exc
    wanted = {a for _, a in addresses}
    contacts: dict[str, list[Contact]] = {}
    for c, addr in db.execute(select(Contact, ContactEmail.email).join(ContactEmail)
                              .where(ContactEmail.email.in_(wanted),
                                     Contact.deleted_at.is_(None))
                              .order_by(Contact.created_at, Contact.id)):
        contacts.setdefault(addr, []).append(c)
    if not contacts:
        return Logged("skipped")
    users = {u.email.lower(): u for u in db.scalars(
        select(User).where(User.email.in_(wanted), User.is_active.is_(True)))}
    sender = users.get(parsed.sender)
    participants = []
    for role, addr in addresses:
        participants += [ParticipantIn(contact_id=c.id, role=role)
                         for c in contacts.get(addr, [])]
        if addr in users:
            participants.append(ParticipantIn(user_id=users[addr].id, role=role))
    root = parsed.references[0] if parsed.references else external_id
    data = InteractionCreate(
        channel="email", direction="outbound" if sender is not None else "inbound",
        subject=parsed.subject[:998] or None, body=parsed.body[:MAX_BODY] or None,
        occurred_at=occurred_at, message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to, thread_key=_thread_key(db, root, parsed.references),
        owner_id=sender.id if sender is not None else None,
        external_source=SOURCE, external_id=external_id, participants=participants)
    interaction, created = record_interaction(db, data=data, actor=actor)
    return Logged("logged" if created else "duplicate", interaction)
