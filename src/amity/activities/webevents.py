"""Web events from the sites' snippet: sites and their public keys, a per-key rate limit, and
batch ingestion that links visitors to contacts once they identify.

A batch costs a fixed number of statements whatever its size (the rate-limit UPDATE, one
look-up of its visitors, one insert of the new ones, one insert of the events), plus two per
visitor who identifies in it (an email click's signed ``amity_id``, or a form submitted with
the email of a known contact): the visitor gets the contact, and so do its past events.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.activities import tracking
from amity.activities.outreach_models import WebEvent, WebSite, WebVisitor
from amity.activities.outreach_schemas import WebEventIn
from amity.auth.models import User
from amity.contacts.models import Contact, ContactEmail
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import DomainError, NotFound, PreconditionFailed

SITE_FIELDS = ("name", "allowed_origins", "rate_limit_per_minute")
WINDOW = timedelta(minutes=1)


class KeyRefused(DomainError):
    status = 401

    def __init__(self, message: str) -> None:
        super().__init__("events.key_refused", message)


class OriginRefused(DomainError):
    status = 403

    def __init__(self) -> None:
        super().__init__("events.origin_refused", "This origin is not allowed for this site")


class RateLimited(DomainError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("events.rate_limited", "Too many events for this key; slow down",
                         retry_after=retry_after)
        self.retry_after = retry_after


def _snapshot(site: WebSite) -> dict[str, Any]:
    return {k: getattr(site, k) for k in SITE_FIELDS}


def create_site(db: Session, *, values: dict[str, Any], actor: User) -> WebSite:
    site = WebSite(id=uuid.uuid4(), public_key=f"pk_{secrets.token_urlsafe(24)}", **values)
    db.add(site)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="web_site",
                 entity_id=site.id, changes=audit.diff({}, _snapshot(site)))
    return site


def update_site(db: Session, *, site: WebSite, values: dict[str, Any], actor: User,
                expected_version: int | None = None) -> WebSite:
    if expected_version is not None and expected_version != site.version:
        raise PreconditionFailed()
    before = _snapshot(site)
    for key, value in values.items():
        setattr(site, key, value)
    changes = audit.diff(before, _snapshot(site))
    if changes:
        site.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="web_site",
                     entity_id=site.id, changes=changes)
    return site


def delete_site(db: Session, *, site: WebSite, actor: User) -> None:
    """The key stops working at once; the site's events stay."""
    site.deleted_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="delete", entity_type="web_site",
                 entity_id=site.id)


def live_site(db: Session, site_id: uuid.UUID) -> WebSite:
    site = db.get(WebSite, site_id)
    if site is None or site.deleted_at is not None:
        raise NotFound("site")
    return site


def list_sites(db: Session) -> list[WebSite]:
    return list(db.scalars(select(WebSite).where(WebSite.deleted_at.is_(None))
                           .order_by(WebSite.name, WebSite.id).limit(500)))


def site_for_key(db: Session, key: str | None, origin: str | None) -> WebSite:
    """The live site of this public key (401 otherwise); 403 if the browser's Origin is not
    one of the site's allowed origins (requests without an Origin come from servers)."""
    if not key:
        raise KeyRefused("Send the site's public key (X-Amity-Key header or 'key')")
    site = db.scalar(select(WebSite).where(WebSite.public_key == key,
                                           WebSite.deleted_at.is_(None)))
    if site is None:
        raise KeyRefused("Unknown site key")
    if origin is not None and origin not in (site.allowed_origins or []):
        raise OriginRefused()
    return site


def take_rate(db: Session, *, site: WebSite, n: int) -> None:
    """Count ``n`` events in the key's current minute (one UPDATE); 429 over the limit. A
    refused request rolls back, so it does not count."""
    at = now()
    start = at.replace(second=0, microsecond=0)
    count = db.execute(
        update(WebSite).where(WebSite.id == site.id)
        .values(window_count=case((WebSite.window_start == start, WebSite.window_count + n),
                                  else_=n),
                window_start=start, updated_at=WebSite.updated_at, version=WebSite.version)
        .returning(WebSite.window_count)
        .execution_options(synchronize_session=False)).scalar_one()
    if count > site.rate_limit_per_minute:
        raise RateLimited(max(1, int((start + WINDOW - at).total_seconds()) + 1))


def _insert(db: Session, model: Any) -> Any:
    dialect = db.get_bind().dialect.name
    return postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)


def _identified(db: Session, events: list[WebEventIn], secret: str) -> dict[str, uuid.UUID]:
    """visitor key -> contact for the visitors who identify in this batch (last one wins)."""
    claims: dict[str, uuid.UUID | str] = {}
    for e in events:
        if e.identity:
            cid = tracking.identity_contact(secret, e.identity)
            if cid is not None:
                claims[e.visitor_id] = cid
        if e.type == "form_submit" and e.email and "@" in e.email:
            claims[e.visitor_id] = e.email.strip().lower()
    if not claims:
        return {}
    emails = {c for c in claims.values() if isinstance(c, str)}
    by_email: dict[str, uuid.UUID] = {}
    if emails:
        rows = db.execute(select(func.lower(ContactEmail.email), ContactEmail.contact_id)
                          .join(Contact, Contact.id == ContactEmail.contact_id)
                          .where(func.lower(ContactEmail.email).in_(emails),
                                 Contact.deleted_at.is_(None))
                          .order_by(ContactEmail.is_primary.desc()))
        for email, cid in rows:
            by_email.setdefault(email, cid)
    ids = {c for c in claims.values() if isinstance(c, uuid.UUID)}
    live = set(db.scalars(select(Contact.id).where(Contact.id.in_(ids),
                                                   Contact.deleted_at.is_(None)))) if ids else set()
    out: dict[str, uuid.UUID] = {}
    for key, claim in claims.items():
        cid = by_email.get(claim) if isinstance(claim, str) else (claim if claim in live
                                                                   else None)
        if cid is not None:
            out[key] = cid
    return out


def ingest(db: Session, *, site: WebSite, events: list[WebEventIn], secret: str) -> int:
    """Store a batch of events; returns how many visitors it linked to a contact."""
    at = now()
    keys = {e.visitor_id for e in events}
    found = db.execute(select(WebVisitor.visitor_key, WebVisitor.contact_id)
                       .where(WebVisitor.site_id == site.id, WebVisitor.visitor_key.in_(keys)))
    known: dict[str, uuid.UUID | None] = {row[0]: row[1] for row in found}
    identified = _identified(db, events, secret)
    new = [{"id": uuid.uuid4(), "site_id": site.id, "visitor_key": k,
            "contact_id": identified.get(k), "first_seen_at": at}
           for k in sorted(keys - known.keys())]
    if new:
        db.execute(_insert(db, WebVisitor).values(new).on_conflict_do_nothing(
            index_elements=["site_id", "visitor_key"]))
    linked = 0
    for key, cid in identified.items():
        if key in known and known[key] != cid:
            db.execute(update(WebVisitor).where(WebVisitor.site_id == site.id,
                                                WebVisitor.visitor_key == key)
                       .values(contact_id=cid))
        if known.get(key) != cid:
            # the visitor's past events (anonymous, or someone else's claim) are theirs now
            db.execute(update(WebEvent).where(WebEvent.site_id == site.id,
                                              WebEvent.visitor_key == key)
                       .values(contact_id=cid)
                       .execution_options(synchronize_session=False))
            linked += 1
        known[key] = cid
    rows = [{"id": uuid.uuid4(), "type": e.type, "site_id": site.id,
             "visitor_key": e.visitor_id, "contact_id": known.get(e.visitor_id),
             "interaction_id": None, "url": e.url, "title": e.title, "referrer": e.referrer,
             "occurred_at": min(e.occurred_at or at, at),  # a clock ahead is not believed
            "received_at": at}
            for e in events]
    db.execute(_insert(db, WebEvent), rows)
    return linked
