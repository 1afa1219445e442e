"""Email tracking: signed tokens for the open pixel, click redirects and the unsubscribe link.

Tokens are signed with the secret key (``itsdangerous``, one salt per use), so a token names
the interaction, the contact and (for a click) the destination, and nobody can make one up or
change it: a click redirect goes only where the signed token says, never to a URL from the
query string. Opens and clicks are stored as web events of the contact; a click also tells the
browser who it is (a signed ``amity_id`` parameter the snippet passes on with its events).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from amity.activities.outreach_models import WebEvent
from amity.contacts.consent import latest_consent, record_consent
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.errors import NotFound, ValidationFailed

OPEN, CLICK, UNSUBSCRIBE, IDENTITY = ("amity.t.open", "amity.t.click", "amity.t.unsub",
                                      "amity.t.identity")
IDENTITY_PARAM = "amity_id"
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


@dataclass(frozen=True)
class Tracked:
    interaction_id: uuid.UUID
    contact_id: uuid.UUID
    url: str | None = None


def _signer(secret: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=salt)


def sign(secret: str, salt: str, interaction_id: uuid.UUID, contact_id: uuid.UUID,
         url: str | None = None) -> str:
    data: list[Any] = [interaction_id.hex, contact_id.hex]
    if url is not None:
        data.append(url)
    return str(_signer(secret, salt).dumps(data))


def read(secret: str, salt: str, token: str) -> Tracked:
    """The token's contents; NotFound for anything not signed by us for this use."""
    try:
        data = _signer(secret, salt).loads(token)
        return Tracked(uuid.UUID(data[0]), uuid.UUID(data[1]),
                       str(data[2]) if len(data) > 2 else None)
    except (BadSignature, ValueError, TypeError, IndexError) as exc:
        raise NotFound("link", "This link is not valid") from exc


def identity_token(secret: str, contact_id: uuid.UUID) -> str:
    return str(_signer(secret, IDENTITY).dumps(contact_id.hex))


def identity_contact(secret: str, token: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(_signer(secret, IDENTITY).loads(token))
    except (BadSignature, ValueError, TypeError):
        return None


def tracked_links(body: str, base_url: str, secret: str, interaction_id: uuid.UUID,
                  contact_id: uuid.UUID) -> str:
    """The body with every http(s) link replaced by its signed click redirect."""
    base = base_url.rstrip("/")

    def swap(m: re.Match[str]) -> str:
        url = m.group(0)
        if url.startswith(base + "/"):
            return url  # our own links (unsubscribe) stay as they are
        return f"{base}/t/c/{sign(secret, CLICK, interaction_id, contact_id, url)}"

    return _URL.sub(swap, body)


def _event(db: Session, kind: str, t: Tracked) -> None:
    at = now()
    db.add(WebEvent(id=uuid.uuid4(), type=kind, contact_id=t.contact_id,
                    interaction_id=t.interaction_id, url=t.url, occurred_at=at,
                    received_at=at))


def record_open(db: Session, *, secret: str, token: str) -> Tracked:
    t = read(secret, OPEN, token)
    _event(db, "email_open", t)
    return t


def record_click(db: Session, *, secret: str, token: str) -> str:
    """Record the click; the destination to redirect to, with the contact's identity."""
    t = read(secret, CLICK, token)
    if t.url is None or not _URL.fullmatch(t.url):
        raise NotFound("link", "This link is not valid")
    _event(db, "email_click", t)
    sep = "&" if "?" in t.url else "?"
    fragment = ""
    url = t.url
    if "#" in url:
        url, _, rest = url.partition("#")
        fragment = "#" + rest
    return f"{url}{sep}{IDENTITY_PARAM}={identity_token(secret, t.contact_id)}{fragment}"


def unsubscribe_target(db: Session, *, secret: str, token: str) -> Contact:
    t = read(secret, UNSUBSCRIBE, token)
    contact = db.get(Contact, t.contact_id)
    if contact is None or contact.erased_at is not None:
        raise NotFound("link", "This link is not valid")
    return contact


def unsubscribe(db: Session, *, secret: str, token: str) -> Contact:
    """Withdraw the contact's marketing consent by email (once: again is a no-op)."""
    contact = unsubscribe_target(db, secret=secret, token=token)
    latest = latest_consent(db, contact.id, "marketing", "email")
    if latest is None or latest.status != "withdrawn":
        try:
            record_consent(db, contact=contact, purpose="marketing", channel="email",
                           status="withdrawn", actor=None, source="unsubscribe link")
        except ValidationFailed as exc:  # erased meanwhile
            raise NotFound("link", "This link is not valid") from exc
    return contact
