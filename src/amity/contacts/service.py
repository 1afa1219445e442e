"""Every write to contacts: validated, audited, and announced as domain events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts import events as ev
from amity.contacts.models import Contact, ContactEmail, ContactPhone
from amity.contacts.schemas import ContactCreate, ContactUpdate
from amity.core import audit
from amity.core.clock import now
from amity.core.contactinfo import normalise_email, normalise_phone
from amity.core.customfields import validate_custom_fields
from amity.core.errors import PreconditionFailed, ValidationFailed
from amity.core.events import publish
from amity.core.tags import Tag, get_or_create_tags
from amity.core.text import digits, fold

SCALARS = ("first_name", "last_name", "nickname", "job_title", "department", "company_id",
           "lifecycle_stage", "source", "referred_by_id", "owner_id", "birthday", "gender",
           "language", "time_zone", "preferred_channel", "best_time_to_contact",
           "do_not_contact", "personal_notes")
JSON_LISTS = ("addresses", "social_profiles", "important_dates")
NOT_NULL_TEXT = ("first_name", "last_name")


def snapshot(c: Contact) -> dict[str, Any]:
    """The audited view of a contact: every field a person can change."""
    data = {k: getattr(c, k) for k in SCALARS}
    data.update({k: getattr(c, k) for k in JSON_LISTS})
    data["emails"] = [e.email for e in c.emails]
    data["phones"] = [p.e164 for p in c.phones]
    data["tags"] = [t.name for t in c.tags]
    data["custom_fields"] = dict(c.custom_fields or {})
    return data


def refresh_search_keys(c: Contact) -> None:
    """Recompute the derived sort and search columns after any change to names or channels."""
    c.sort_name = fold(f"{c.last_name} {c.first_name}") or fold(c.primary_email or "")
    parts = [fold(f"{c.first_name} {c.last_name}"), fold(c.nickname)]
    parts += [e.email for e in c.emails]
    parts += [digits(p.e164) for p in c.phones]
    c.search_text = " ".join(p for p in parts if p)


def _check_refs(db: Session, c: Contact, fields: set[str]) -> None:
    if "company_id" in fields and c.company_id is not None:
        comp = db.get(Company, c.company_id)
        if comp is None or comp.deleted_at is not None:
            raise ValidationFailed("company.not_found", "No such company", "company_id")
    if "referred_by_id" in fields and c.referred_by_id is not None:
        if c.referred_by_id == c.id:
            raise ValidationFailed("contact.self_referral", "A contact cannot refer themselves",
                                   "referred_by_id")
        ref = db.get(Contact, c.referred_by_id)
        if ref is None or ref.deleted_at is not None:
            raise ValidationFailed("contact.not_found", "No such referring contact",
                                   "referred_by_id")
    if "owner_id" in fields and c.owner_id is not None:
        owner = db.get(User, c.owner_id)
        if owner is None or not owner.is_active:
            raise ValidationFailed("user.not_found", "No such active user", "owner_id")


def _set_channels(c: Contact, data: ContactCreate | ContactUpdate, fields: set[str],
                  region: str) -> None:
    if "emails" in fields:
        seen: dict[str, ContactEmail] = {}
        for i, item in enumerate(data.emails or []):
            addr = normalise_email(item.email, f"emails.{i}.email")
            if addr in seen:
                continue
            seen[addr] = ContactEmail(email=addr, label=item.label, is_primary=item.primary,
                                      position=len(seen))
        rows = list(seen.values())
        if rows and not any(r.is_primary for r in rows):
            rows[0].is_primary = True
        c.emails = rows
    if "phones" in fields:
        nums: dict[str, ContactPhone] = {}
        for i, p in enumerate(data.phones or []):
            e164 = normalise_phone(p.number, region, f"phones.{i}.number")
            if e164 not in nums:
                nums[e164] = ContactPhone(e164=e164, label=p.label, is_primary=p.primary,
                                          position=len(nums))
        prow = list(nums.values())
        if prow and not any(r.is_primary for r in prow):
            prow[0].is_primary = True
        c.phones = prow


def _apply(db: Session, c: Contact, data: ContactCreate | ContactUpdate, fields: set[str],
           region: str) -> None:
    # Tags first, outside the no-autoflush block: get_or_create_tags remembers the tags this
    # session already resolved (so a bulk create reuses them without flushing) and may query.
    tags = get_or_create_tags(db, data.tags or []) if "tags" in fields else None
    # Then no autoflush while the new values are unchecked: a lookup made while validating
    # (custom field definitions, references) must not flush a dangling company_id and turn a
    # clear 422 into an IntegrityError.
    with db.no_autoflush:
        _apply_unflushed(db, c, data, fields, region, tags)


def _apply_unflushed(db: Session, c: Contact, data: ContactCreate | ContactUpdate,
                     fields: set[str], region: str, tags: list[Tag] | None) -> None:
    for key in SCALARS:
        if key in fields:
            value = getattr(data, key)
            if key in NOT_NULL_TEXT and value is None:
                value = ""
            if key == "lifecycle_stage" and value is None:
                raise ValidationFailed("lifecycle_stage.required", "lifecycle_stage cannot be "
                                       "empty", "lifecycle_stage")
            if key == "do_not_contact" and value is None:
                value = False
            setattr(c, key, value)
    for key in JSON_LISTS:
        if key in fields:
            setattr(c, key, [item.model_dump(mode="json") for item in getattr(data, key) or []])
    _set_channels(c, data, fields, region)
    if tags is not None:
        c.tags = tags
    if "custom_fields" in fields:
        c.custom_fields = validate_custom_fields(db, "contact", data.custom_fields,
                                                 existing=c.custom_fields)
    _check_refs(db, c, fields)
    refresh_search_keys(c)


def create_contact(db: Session, *, data: ContactCreate, actor: User, region: str = "US",
                   flush: bool = True) -> Contact:
    """Create a person. The creator owns them unless ``owner_id`` says otherwise."""
    fields = set(data.model_fields_set)
    c = Contact(id=uuid.uuid4(), owner_id=actor.id, first_name="", last_name="",
                lifecycle_stage="lead", custom_fields={}, addresses=[], social_profiles=[],
                important_dates=[], emails=[], phones=[], tags=[])
    _apply(db, c, data, fields, region)
    if "custom_fields" not in fields:  # required custom fields apply on create too
        c.custom_fields = validate_custom_fields(db, "contact", {}, existing={})
    db.add(c)
    if flush:
        db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="contact", entity_id=c.id,
                 changes=audit.diff({}, snapshot(c)))
    publish(db, ev.ContactCreated(contact_id=c.id))
    return c


def create_contacts_bulk(db: Session, *, items: list[ContactCreate], actor: User,
                         region: str = "US") -> list[Contact]:
    """Create many people in one transaction: all or nothing, errors name the item."""
    created = []
    for i, data in enumerate(items):
        try:
            created.append(create_contact(db, data=data, actor=actor, region=region,
                                          flush=False))
        except ValidationFailed as exc:
            exc.field = f"items.{i}.{exc.field}" if exc.field else f"items.{i}"
            exc.message = f"item {i}: {exc.message}"
            raise
    db.flush()
    return created


def update_contact(db: Session, *, contact: Contact, data: ContactUpdate, actor: User,
                   expected_version: int | None = None, region: str = "US",
                   flush: bool = True) -> Contact:
    """Change the fields sent. A stale ``expected_version`` (If-Match) is refused with 412.

    ``flush=False`` leaves the writes to the caller's next flush: an import updating many
    contacts then sends each kind of statement once per batch rather than once per row."""
    version = data.version if data.version is not None else expected_version
    if version is not None and version != contact.version:
        raise PreconditionFailed()
    before = snapshot(contact)
    fields = set(data.model_fields_set) - {"version"}
    _apply(db, contact, data, fields, region)
    changes = audit.diff(before, snapshot(contact))
    if not changes:
        return contact
    contact.updated_at = now()
    if flush:
        db.flush()
    audit.record(db, actor_id=actor.id, action="update", entity_type="contact",
                 entity_id=contact.id, changes=changes)
    publish(db, ev.ContactUpdated(contact_id=contact.id, changed=sorted(changes)))
    if "lifecycle_stage" in changes:
        old, new = changes["lifecycle_stage"]
        publish(db, ev.LifecycleStageChanged(contact_id=contact.id, from_stage=old, to_stage=new))
    return contact


def delete_contact(db: Session, *, contact: Contact, actor: User,
                   expected_version: int | None = None) -> Contact:
    """Soft delete: hidden from lists and search, restorable, nothing removed."""
    if expected_version is not None and expected_version != contact.version:
        raise PreconditionFailed()
    if contact.deleted_at is None:
        contact.deleted_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="delete", entity_type="contact",
                     entity_id=contact.id)
        publish(db, ev.ContactDeleted(contact_id=contact.id))
    return contact


def restore_contact(db: Session, *, contact: Contact, actor: User) -> Contact:
    if contact.deleted_at is not None:
        contact.deleted_at = None
        db.flush()
        audit.record(db, actor_id=actor.id, action="restore", entity_type="contact",
                     entity_id=contact.id)
        publish(db, ev.ContactRestored(contact_id=contact.id))
    return contact


def contacts_by_email(db: Session, email: str) -> list[Contact]:
    addr = email.strip().lower()
    return list(db.scalars(select(Contact).join(ContactEmail)
                           .where(ContactEmail.email == addr, Contact.deleted_at.is_(None))))
