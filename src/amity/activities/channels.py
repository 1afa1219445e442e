"""Ingestion channels: where chat, social, SMS and telephony providers push interactions.

A channel has a signing secret (made here, shown once, rotatable). A push is verified by an
HMAC-SHA256 over ``"<timestamp>.<raw body>"`` with that secret, the timestamp within five
minutes of our clock (a captured request cannot be replayed later), compared in constant time.
Each interaction is de-duplicated by ``external_source = "channel:<id>"`` and the provider's
``external_id``: a provider's retry returns the interactions stored the first time.

Participants are matched to contacts by email, then phone (E.164), then a social handle on
its network. A sender nobody matches becomes a new contact only when the channel says
``create_contacts``; otherwise the interaction keeps the bare address (an unlinked
participant) and is still stored, so nothing the provider sent is lost.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from amity.activities.form_submit import find_contact, record_actor
from amity.activities.forms_models import IngestChannel
from amity.activities.forms_schemas import IngestItem, Party
from amity.activities.interactions import find_external, record_interaction
from amity.activities.schemas import InteractionCreate, ParticipantIn
from amity.auth.models import User
from amity.contacts.models import Contact
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core import audit
from amity.core.clock import now
from amity.core.contactinfo import normalise_email, normalise_phone
from amity.core.errors import DomainError, NotFound, PreconditionFailed, ValidationFailed

TOLERANCE_S = 300
KIND_CHANNEL = {"chat": "chat", "social": "social", "sms": "sms", "call": "call"}
CHANNEL_FIELDS = ("name", "kind", "enabled", "create_contacts")


class SignatureRefused(DomainError):
    status = 401

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


class ChannelDisabled(DomainError):
    status = 403

    def __init__(self) -> None:
        super().__init__("channel.disabled", "This channel is disabled")


def _snapshot(ch: IngestChannel) -> dict[str, Any]:
    return {k: getattr(ch, k) for k in CHANNEL_FIELDS}


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def create_channel(db: Session, *, values: dict[str, Any], actor: User) -> IngestChannel:
    ch = IngestChannel(id=uuid.uuid4(), secret=new_secret(), created_by_id=actor.id, **values)
    db.add(ch)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="ingest_channel",
                 entity_id=ch.id, changes=audit.diff({}, _snapshot(ch)))
    return ch


def update_channel(db: Session, *, channel: IngestChannel, values: dict[str, Any], actor: User,
                   expected_version: int | None = None) -> IngestChannel:
    if expected_version is not None and expected_version != channel.version:
        raise PreconditionFailed()
    before = _snapshot(channel)
    for key, value in values.items():
        if value is not None:
            setattr(channel, key, value)
    changes = audit.diff(before, _snapshot(channel))
    if changes:
        channel.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="ingest_channel",
                     entity_id=channel.id, changes=changes)
    return channel


def rotate_secret(db: Session, *, channel: IngestChannel, actor: User) -> IngestChannel:
    """A new secret at once: requests signed with the old one are refused from now on."""
    channel.secret = new_secret()
    channel.secret_rotated_at = channel.updated_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="rotate_secret", entity_type="ingest_channel",
                 entity_id=channel.id, changes={"secret": ["***", "***"]})
    return channel


def delete_channel(db: Session, *, channel: IngestChannel, actor: User) -> None:
    channel.deleted_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="delete", entity_type="ingest_channel",
                 entity_id=channel.id)


def live_channel(db: Session, channel_id: uuid.UUID) -> IngestChannel:
    ch = db.get(IngestChannel, channel_id)
    if ch is None or ch.deleted_at is not None:
        raise NotFound("channel")
    return ch


def list_channels(db: Session) -> list[IngestChannel]:
    return list(db.scalars(select(IngestChannel).where(IngestChannel.deleted_at.is_(None))
                           .order_by(IngestChannel.name, IngestChannel.id).limit(500)))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, "<timestamp>.<body>")."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(channel: IngestChannel, *, timestamp: str | None, sent: str | None,
           body: bytes) -> None:
    """401 unless ``sent`` signs ``body`` at ``timestamp`` (unix seconds, within 5 minutes)."""
    if not timestamp or not sent:
        raise SignatureRefused("hook.signature_missing", "Send X-Amity-Timestamp and "
                               "X-Amity-Signature (sha256=<hex HMAC of '<timestamp>.<body>'>)")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureRefused("hook.timestamp_invalid", "X-Amity-Timestamp must be unix "
                                                         "seconds")
    expected = signature(channel.secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), sent.strip().encode()):
        raise SignatureRefused("hook.signature_invalid", "The signature does not match")
    if abs(now().timestamp() - int(timestamp)) > TOLERANCE_S:
        raise SignatureRefused("hook.timestamp_stale", "The timestamp is more than 5 minutes "
                                                       "from our clock; sign again now")


@dataclass
class Ingested:
    external_id: str
    interaction_id: uuid.UUID | None
    created: bool
    contact_ids: list[uuid.UUID] = field(default_factory=list)


def _by_handle(db: Session, network: str, handle: str) -> Contact | None:
    want = (network.strip().lower(), handle.strip().lstrip("@").lower())
    like = "%" + want[1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = db.scalars(select(Contact).where(cast(Contact.social_profiles, Text)
                                            .ilike(like, escape="\\"),
                                            Contact.deleted_at.is_(None),
                                            Contact.erased_at.is_(None))
                      .order_by(Contact.created_at, Contact.id).limit(50))
    for c in rows:
        for p in c.social_profiles or []:
            if (str(p.get("network", "")).lower(), str(p.get("handle") or "").lstrip("@")
                    .lower()) == want:
                return c
    return None


def _party(db: Session, p: Party, n: str, region: str, create: bool, source: str,
           actor: User) -> tuple[uuid.UUID | None, str | None]:
    """(contact id, or the bare address to keep) for one party."""
    email = normalise_email(p.email, f"{n}.email") if p.email else None
    phone = normalise_phone(p.phone, region, f"{n}.phone") if p.phone else None
    contact = find_contact(db, email, phone)
    if contact is None and p.handle and p.network:
        contact = _by_handle(db, p.network, p.handle)
    if contact is not None:
        return contact.id, None
    if create:
        first, _, last = (p.name or "").partition(" ")
        data: dict[str, Any] = {"first_name": first[:200] or None, "last_name": last[:200] or None,
                                "source": source[:120]}
        if email:
            data["emails"] = [{"email": email, "primary": True}]
        if phone:
            data["phones"] = [{"number": phone, "primary": True}]
        if p.handle and p.network:
            data["social_profiles"] = [{"network": p.network, "handle": p.handle}]
            if not (email or phone or p.name):
                data["first_name"] = p.handle[:200]
        return create_contact(db, data=ContactCreate.model_validate(data), actor=actor,
                              region=region).id, None
    return None, email or phone or f"{p.network}:{p.handle}"


def _one(db: Session, item: IngestItem, n: int, *, source: str, default_channel: str | None,
         region: str, create: bool, actor: User) -> Ingested:
    known = find_external(db, source, item.external_id)
    if known is not None:
        return Ingested(item.external_id, known.id, False, known.contact_ids)
    channel = item.channel or default_channel
    if channel is None:
        raise ValidationFailed("hook.channel_required", "Give each interaction's channel (this "
                               "channel's kind is 'other')", f"interactions.{n}.channel")
    participants: list[ParticipantIn] = []
    parties = [("from", item.from_, f"interactions.{n}.from")] if item.from_ else []
    parties += [("to", p, f"interactions.{n}.to.{k}") for k, p in enumerate(item.to)]
    for role, party, where in parties:
        assert party is not None
        cid, address = _party(db, party, where, region, create, source, actor)
        participants.append(ParticipantIn(contact_id=cid, role=role) if cid else
                            ParticipantIn(address=address, name=party.name, role=role))
    values: dict[str, Any] = {
        "channel": channel, "direction": item.direction, "occurred_at": item.occurred_at,
        "subject": item.subject, "body": item.body, "participants": participants,
        "thread_key": item.thread_key, "external_source": source,
        "external_id": item.external_id}
    if channel == "call":
        values.update(duration_s=item.duration_s, outcome=item.outcome)
    if channel == "social":
        handle = item.from_.handle if item.from_ else None
        values.update(network=item.network or (item.from_.network if item.from_ else None),
                      handle=handle, url=item.url)
    try:
        data = InteractionCreate.model_validate(
            {k: v for k, v in values.items() if v is not None})
    except ValueError as exc:
        raise ValidationFailed("hook.invalid", str(exc).splitlines()[0],
                               f"interactions.{n}") from exc
    try:
        i, made = record_interaction(db, data=data, actor=actor)
    except ValidationFailed as exc:
        exc.field = f"interactions.{n}.{exc.field}" if exc.field else f"interactions.{n}"
        raise
    return Ingested(item.external_id, i.id, made, i.contact_ids)


def ingest(db: Session, *, items: list[IngestItem], source: str, default_channel: str | None,
           create_contacts: bool, actor_id: uuid.UUID | None, region: str) -> list[Ingested]:
    """Store a batch (all or nothing: an error names the item and stores none of them)."""
    actor = record_actor(db, actor_id)
    return [_one(db, item, n, source=source, default_channel=default_channel, region=region,
                 create=create_contacts, actor=actor) for n, item in enumerate(items)]


def ingest_channel_push(db: Session, *, channel: IngestChannel, items: list[IngestItem],
                        region: str) -> list[Ingested]:
    if not channel.enabled:
        raise ChannelDisabled()
    return ingest(db, items=items, source=f"channel:{channel.id}",
                  default_channel=KIND_CHANNEL.get(channel.kind),
                  create_contacts=channel.create_contacts, actor_id=channel.created_by_id,
                  region=region)
