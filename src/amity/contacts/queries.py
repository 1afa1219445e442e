"""Reading contacts: filtered keyset lists, search, and the 360 view."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, select
from sqlalchemy.orm import Session, joinedload

from amity.contacts.models import Contact, ContactEmail, ContactPhone, contact_tags
from amity.contacts.search import search_ids_within
from amity.core.errors import ValidationFailed
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.core.tags import Tag
from amity.core.text import fold

# A page's companies come in the page's own statement (a LEFT JOIN on the primary key)
# rather than in a selectin statement of their own: one round trip fewer per list or search.
_WITH_COMPANY = joinedload(Contact.company)

SORTS: dict[str, Sort] = {
    "created_at": Sort("created_at", Contact.created_at),
    "-created_at": Sort("created_at", Contact.created_at, descending=True),
    "updated_at": Sort("updated_at", Contact.updated_at),
    "-updated_at": Sort("updated_at", Contact.updated_at, descending=True),
    "name": Sort("name", Contact.sort_name),
    "-name": Sort("name", Contact.sort_name, descending=True),
}


@dataclass
class ContactFilters:
    """Every filter the contact list offers; each maps to an indexed column or an EXISTS."""

    lifecycle_stage: list[str] = field(default_factory=list)
    owner_id: uuid.UUID | None = None
    unowned: bool = False
    company_id: uuid.UUID | None = None
    source: str | None = None
    tags: list[str] = field(default_factory=list)
    email: str | None = None
    phone_e164: str | None = None
    referred_by_id: uuid.UUID | None = None
    do_not_contact: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    custom: dict[str, str] = field(default_factory=dict)
    deleted: str = "exclude"
    ids: list[uuid.UUID] | None = None  # only these (ticked rows); an empty list matches none


def _cf_value(raw: str) -> Any:
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    return raw


def apply_filters(stmt: Select[Any], f: ContactFilters) -> Select[Any]:
    if f.deleted == "exclude":
        stmt = stmt.where(Contact.deleted_at.is_(None))
    elif f.deleted == "only":
        stmt = stmt.where(Contact.deleted_at.is_not(None))
    if f.ids is not None:
        stmt = stmt.where(Contact.id.in_(f.ids))
    if f.lifecycle_stage:
        stmt = stmt.where(Contact.lifecycle_stage.in_(f.lifecycle_stage))
    if f.owner_id:
        stmt = stmt.where(Contact.owner_id == f.owner_id)
    if f.unowned:
        stmt = stmt.where(Contact.owner_id.is_(None))
    if f.company_id:
        stmt = stmt.where(Contact.company_id == f.company_id)
    if f.source:
        stmt = stmt.where(Contact.source == f.source)
    if f.referred_by_id:
        stmt = stmt.where(Contact.referred_by_id == f.referred_by_id)
    if f.do_not_contact is not None:
        stmt = stmt.where(Contact.do_not_contact.is_(f.do_not_contact))
    for name in f.tags:  # every tag must be present
        stmt = stmt.where(exists().where(contact_tags.c.contact_id == Contact.id,
                                         contact_tags.c.tag_id == Tag.id, Tag.key == fold(name)))
    if f.email:
        stmt = stmt.where(exists().where(ContactEmail.contact_id == Contact.id,
                                         ContactEmail.email == f.email.strip().lower()))
    if f.phone_e164:
        stmt = stmt.where(exists().where(ContactPhone.contact_id == Contact.id,
                                         ContactPhone.e164 == f.phone_e164))
    if f.created_after:
        stmt = stmt.where(Contact.created_at >= f.created_after)
    if f.created_before:
        stmt = stmt.where(Contact.created_at < f.created_before)
    if f.updated_after:
        stmt = stmt.where(Contact.updated_at >= f.updated_after)
    if f.updated_before:
        stmt = stmt.where(Contact.updated_at < f.updated_before)
    for key, raw in f.custom.items():
        if not key.replace("_", "").isalnum():
            raise ValidationFailed("filter.invalid", f"'{key}' is not a custom field key",
                                   f"cf.{key}")
        value = _cf_value(raw)
        col = Contact.custom_fields[key]
        if isinstance(value, bool):
            stmt = stmt.where(col.as_boolean() == value)
        else:
            stmt = stmt.where(col.as_string() == value)
    return stmt


def list_contacts(db: Session, base: Select[Any], *, filters: ContactFilters, sort: str,
                  cursor: str | None, limit: int) -> Page[Contact]:
    """One page of contacts in a stable order; ``base`` is the caller's access-scoped select."""
    if sort not in SORTS:
        raise ValidationFailed("sort.invalid", f"sort must be one of {sorted(SORTS)}", "sort")
    s = SORTS[sort]
    stmt = keyset(apply_filters(base, filters), s, Contact.id, cursor, limit)
    rows = list(db.scalars(stmt.options(_WITH_COMPANY)))
    return page_of(rows, s, limit, key=lambda c: getattr(c, s.column.key))


def search_contacts(db: Session, base: Select[Any], *, q: str, filters: ContactFilters,
                    limit: int) -> list[Contact]:
    """The best ``limit`` matches for ``q`` (substring or typo), best first."""
    among = apply_filters(base, filters)
    ranked = search_ids_within(db, among, q, limit=limit)
    if not ranked:
        return []
    # Rank order and LIMIT in SQL: only the ``limit`` contacts returned are loaded (with their
    # emails, phones, tags), not every over-fetched candidate.
    rank = case({cid: pos for pos, cid in enumerate(ranked)}, value=Contact.id)
    return list(db.scalars(among.where(Contact.id.in_(ranked)).order_by(rank).limit(limit)
                           .options(_WITH_COMPANY)))


def count_referrals(db: Session, contact_id: uuid.UUID) -> int:
    return int(db.scalar(select(func.count()).select_from(Contact).where(
        and_(Contact.referred_by_id == contact_id, Contact.deleted_at.is_(None)))) or 0)
