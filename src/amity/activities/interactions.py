"""Writing interactions: one record for every channel, its participants, and what it updates.

Recording an interaction moves its contacts' ``last_activity_at`` (anything that happened) and
``last_contacted_at`` (what we sent, or a two-way conversation that was not internal) and
touches its deal. Interactions planned for later (a meeting next week) move neither until they
are edited after the fact. Re-ingesting an interaction with the same ``external_source`` and
``external_id`` returns the first one unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from amity.activities.models import (
    TWO_WAY_CHANNELS,
    Interaction,
    InteractionParticipant,
)
from amity.activities.schemas import InteractionCreate, InteractionUpdate, ParticipantIn
from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core import audit
from amity.core.clock import now
from amity.core.customfields import validate_custom_fields
from amity.core.errors import PreconditionFailed, ValidationFailed
from amity.core.events import DomainEvent, publish
from amity.deals.models import Deal
from amity.deals.service import touch_deal

P = InteractionParticipant
SCALARS = ("channel", "direction", "subject", "body", "occurred_at", "ends_at", "duration_s",
           "outcome", "location", "network", "handle", "url", "social_type", "company_id",
           "deal_id", "ticket_id", "owner_id", "message_id", "in_reply_to", "thread_key")
# Fields that only mean something on some channels (anything else there is refused).
ONLY_ON = {"duration_s": ("call", "meeting", "visit"), "outcome": ("call",),
           "ends_at": ("meeting", "visit"), "location": ("meeting", "visit"),
           "network": ("social",), "handle": ("social",), "url": ("social",),
           "social_type": ("social",), "message_id": ("email",), "in_reply_to": ("email",)}


@dataclass(frozen=True)
class InteractionRecorded(DomainEvent):
    type = "interaction.recorded"
    interaction_id: uuid.UUID
    channel: str = ""
    direction: str = ""
    contact_ids: tuple[uuid.UUID, ...] = ()
    deal_id: uuid.UUID | None = None


@dataclass(frozen=True)
class InteractionChanged(DomainEvent):
    type = "interaction.changed"
    interaction_id: uuid.UUID
    action: str = "update"  # update, delete, restore


def contacted(direction: str, channel: str) -> bool:
    """Does this interaction count as having contacted the person?"""
    return direction == "outbound" or (channel in TWO_WAY_CHANNELS and direction != "internal")


def _contacted_sql() -> ColumnElement[bool]:
    return or_(P.direction == "outbound",
               and_(P.channel.in_(TWO_WAY_CHANNELS), P.direction != "internal"))


def find_external(db: Session, source: str, external_id: str) -> Interaction | None:
    return db.scalar(select(Interaction).where(Interaction.external_source == source,
                                               Interaction.external_id == external_id))


def snapshot(i: Interaction) -> dict[str, Any]:
    data = {k: getattr(i, k) for k in SCALARS}
    data["body"] = i.body  # recorded as changed, never stored (see ``sensitive`` below)
    data["participants"] = [f"{p.role}:{p.contact_id or p.user_id or p.address}"
                            for p in i.participants]
    data["custom_fields"] = dict(i.custom_fields or {})
    return data


def _check(db: Session, i: Interaction) -> None:
    for name, channels in ONLY_ON.items():
        if getattr(i, name) is not None and i.channel not in channels:
            raise ValidationFailed("interaction.field_channel", f"{name} is for "
                                   f"{' and '.join(channels)} interactions, not {i.channel}",
                                   name)
    if i.ends_at is not None and i.ends_at < i.occurred_at:
        raise ValidationFailed("interaction.ends_before_start",
                               "ends_at must not be before occurred_at (the start)", "ends_at")
    if i.channel == "social" and not i.network:
        raise ValidationFailed("interaction.network_required", "A social interaction needs "
                               "its network, e.g. 'linkedin'", "network")
    for field, model, code in (("company_id", Company, "company.not_found"),
                               ("deal_id", Deal, "deal.not_found")):
        ref = getattr(i, field)
        if ref is not None:
            row = db.get(model, ref)
            if row is None or row.deleted_at is not None:
                raise ValidationFailed(code, f"No such {field[:-3]}", field)
    if i.owner_id is not None:
        owner = db.get(User, i.owner_id)
        if owner is None or not owner.is_active:
            raise ValidationFailed("user.not_found", "No such active user", "owner_id")


def _participants(db: Session, items: list[ParticipantIn]) -> list[InteractionParticipant]:
    """Rows for the people given (a contact or user named twice keeps its first role)."""
    contact_ids = {p.contact_id for p in items if p.contact_id}
    user_ids = {p.user_id for p in items if p.user_id}
    live = set(db.scalars(select(Contact.id).where(Contact.id.in_(contact_ids),
                                                   Contact.deleted_at.is_(None)))
               ) if contact_ids else set()
    users = set(db.scalars(select(User.id).where(User.id.in_(user_ids)))) if user_ids else set()
    rows: list[InteractionParticipant] = []
    seen: set[Any] = set()
    for n, p in enumerate(items):
        if p.contact_id is not None and p.contact_id not in live:
            raise ValidationFailed("contact.not_found", "No such contact",
                                   f"participants.{n}.contact_id")
        if p.user_id is not None and p.user_id not in users:
            raise ValidationFailed("user.not_found", "No such user", f"participants.{n}.user_id")
        key = ("c", p.contact_id) if p.contact_id else (("u", p.user_id) if p.user_id else
                                                        ("a", (p.address or "").lower(), p.role))
        if key in seen:
            continue
        seen.add(key)
        rows.append(InteractionParticipant(id=uuid.uuid4(), contact_id=p.contact_id,
                                           user_id=p.user_id, address=p.address, name=p.name,
                                           role=p.role, position=len(rows)))
    return rows


def _sync_copies(i: Interaction) -> None:
    for p in i.participants:
        p.occurred_at, p.channel, p.direction = i.occurred_at, i.channel, i.direction
        p.active = i.deleted_at is None


def refresh_contact_activity(db: Session, contact_ids: list[uuid.UUID]) -> None:
    """Recompute ``last_activity_at`` and ``last_contacted_at`` of these contacts from their
    live interactions up to now (two index-ordered lookups each). Activity is not content:
    the contact's version and ``updated_at`` stay."""
    at = now()
    for cid in sorted(set(contact_ids)):
        base = (select(P.occurred_at).where(P.contact_id == cid, P.active.is_(True),
                                            P.occurred_at <= at)
                .order_by(P.occurred_at.desc()).limit(1))
        last = db.scalar(base)
        last_contact = db.scalar(base.where(_contacted_sql()))
        db.execute(update(Contact).where(Contact.id == cid)
                   .values(last_activity_at=last, last_contacted_at=last_contact,
                           updated_at=Contact.updated_at)
                   .execution_options(synchronize_session="evaluate"))


def _advance_contacts(db: Session, i: Interaction) -> None:
    """On create only the newer time can win: one UPDATE per column, no lookups."""
    ids = i.contact_ids
    if not ids or i.occurred_at > now():
        return
    values = [(Contact.last_activity_at, "last_activity_at")]
    if contacted(i.direction, i.channel):
        values.append((Contact.last_contacted_at, "last_contacted_at"))
    for col, name in values:
        db.execute(update(Contact).where(Contact.id.in_(ids),
                                         or_(col.is_(None), col < i.occurred_at))
                   .values({name: i.occurred_at, "updated_at": Contact.updated_at})
                   .execution_options(synchronize_session="evaluate"))


def _after_write(db: Session, i: Interaction) -> None:
    if i.deal_id is not None and i.occurred_at <= now():
        touch_deal(db, deal_id=i.deal_id, at=i.occurred_at)


def record_interaction(db: Session, *, data: InteractionCreate,
                       actor: User) -> tuple[Interaction, bool]:
    """Record an interaction; (existing one, False) when its external id is known already."""
    if data.external_source and data.external_id:
        existing = find_external(db, data.external_source, data.external_id)
        if existing is not None:
            return existing, False
    sent = data.model_fields_set
    i = Interaction(id=uuid.uuid4(), owner_id=actor.id, direction="outbound",
                    occurred_at=now(), custom_fields={}, participants=[])
    with db.no_autoflush:
        for key in SCALARS:
            if key in sent and getattr(data, key) is not None:
                setattr(i, key, getattr(data, key))
        i.external_source, i.external_id = data.external_source, data.external_id
        i.custom_fields = validate_custom_fields(db, "interaction", data.custom_fields)
        _check(db, i)
        i.participants = _participants(db, data.participants or [])
        _sync_copies(i)
    db.add(i)
    db.flush()
    _advance_contacts(db, i)
    _after_write(db, i)
    audit.record(db, actor_id=actor.id, action="create", entity_type="interaction",
                 entity_id=i.id, changes=audit.diff({}, snapshot(i)), sensitive=("body",))
    publish(db, InteractionRecorded(interaction_id=i.id, channel=i.channel,
                                    direction=i.direction, contact_ids=tuple(i.contact_ids),
                                    deal_id=i.deal_id))
    return i, True


def update_interaction(db: Session, *, interaction: Interaction, data: InteractionUpdate,
                       actor: User, expected_version: int | None = None) -> Interaction:
    version = data.version if data.version is not None else expected_version
    if version is not None and version != interaction.version:
        raise PreconditionFailed()
    i = interaction
    before = snapshot(i)
    old_contacts = set(i.contact_ids)
    sent = data.model_fields_set - {"version"}
    with db.no_autoflush:
        for key in SCALARS:
            if key in sent:
                value = getattr(data, key)
                if value is None and key in ("channel", "direction", "occurred_at"):
                    raise ValidationFailed(f"interaction.{key}_required",
                                           f"{key} cannot be empty", key)
                setattr(i, key, value)
        if "custom_fields" in sent:
            i.custom_fields = validate_custom_fields(db, "interaction", data.custom_fields,
                                                     existing=i.custom_fields)
        _check(db, i)
        if "participants" in sent:
            i.participants = _participants(db, data.participants or [])
        _sync_copies(i)
    changes = audit.diff(before, snapshot(i))
    if not changes:
        return i
    i.updated_at = now()
    db.flush()
    refresh_contact_activity(db, [*old_contacts, *i.contact_ids])
    _after_write(db, i)
    audit.record(db, actor_id=actor.id, action="update", entity_type="interaction",
                 entity_id=i.id, changes=changes, sensitive=("body",))
    publish(db, InteractionChanged(interaction_id=i.id, action="update"))
    return i


def _set_deleted(db: Session, i: Interaction, deleted: bool, actor: User) -> Interaction:
    if (i.deleted_at is not None) == deleted:
        return i
    i.deleted_at = now() if deleted else None
    _sync_copies(i)
    db.flush()
    refresh_contact_activity(db, i.contact_ids)
    action = "delete" if deleted else "restore"
    audit.record(db, actor_id=actor.id, action=action, entity_type="interaction",
                 entity_id=i.id)
    publish(db, InteractionChanged(interaction_id=i.id, action=action))
    return i


def delete_interaction(db: Session, *, interaction: Interaction, actor: User,
                       expected_version: int | None = None) -> Interaction:
    """Soft delete: gone from timelines and from the contacts' last-activity times."""
    if expected_version is not None and expected_version != interaction.version:
        raise PreconditionFailed()
    return _set_deleted(db, interaction, True, actor)


def restore_interaction(db: Session, *, interaction: Interaction, actor: User) -> Interaction:
    return _set_deleted(db, interaction, False, actor)
