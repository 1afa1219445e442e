"""Every write to companies: validated, audited, announced."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from amity.auth.models import User
from amity.companies.models import Company
from amity.companies.schemas import CompanyCreate, CompanyUpdate
from amity.core import audit
from amity.core.clock import now
from amity.core.contactinfo import normalise_phone
from amity.core.customfields import validate_custom_fields
from amity.core.errors import PreconditionFailed, ValidationFailed
from amity.core.events import DomainEvent, publish
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.core.tags import get_or_create_tags
from amity.core.text import fold

SCALARS = ("name", "domain", "website", "industry", "size", "employee_count", "phone",
           "description", "parent_id", "owner_id")


@dataclass(frozen=True)
class CompanyChanged(DomainEvent):
    type = "company.changed"
    company_id: uuid.UUID
    action: str = "update"


def snapshot(c: Company) -> dict[str, Any]:
    data = {k: getattr(c, k) for k in SCALARS}
    data["address"] = c.address
    data["tags"] = [t.name for t in c.tags]
    data["custom_fields"] = dict(c.custom_fields or {})
    return data


def _would_cycle(db: Session, company_id: uuid.UUID, parent_id: uuid.UUID) -> bool:
    seen = {company_id}
    current: uuid.UUID | None = parent_id
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = db.scalar(select(Company.parent_id).where(Company.id == current))
    return False


def _apply(db: Session, c: Company, data: CompanyCreate | CompanyUpdate, fields: set[str],
           region: str) -> None:
    # No autoflush until the references are checked: a lookup would otherwise flush a dangling
    # parent_id/owner_id and report an IntegrityError (409) instead of a 422 naming the field.
    with db.no_autoflush:
        _apply_unflushed(db, c, data, fields, region)


def _apply_unflushed(db: Session, c: Company, data: CompanyCreate | CompanyUpdate,
                     fields: set[str], region: str) -> None:
    for key in SCALARS:
        if key in fields:
            value = getattr(data, key)
            if key == "domain" and value:
                value = value.lower()
            if key == "phone" and value:
                value = normalise_phone(value, region, "phone")
            setattr(c, key, value)
    if "address" in fields:
        c.address = data.address.model_dump(mode="json") if data.address else None
    if "tags" in fields:
        c.tags = get_or_create_tags(db, data.tags or [])
    if "custom_fields" in fields:
        c.custom_fields = validate_custom_fields(db, "company", data.custom_fields,
                                                 existing=c.custom_fields)
    if "parent_id" in fields and c.parent_id is not None:
        parent = db.get(Company, c.parent_id)
        if parent is None or parent.deleted_at is not None:
            raise ValidationFailed("company.not_found", "No such parent company", "parent_id")
        if _would_cycle(db, c.id, c.parent_id):
            raise ValidationFailed("company.parent_cycle", "A company cannot be its own "
                                   "(grand)parent", "parent_id")
    if "owner_id" in fields and c.owner_id is not None:
        owner = db.get(User, c.owner_id)
        if owner is None or not owner.is_active:
            raise ValidationFailed("user.not_found", "No such active user", "owner_id")
    c.sort_name = fold(c.name)


def create_company(db: Session, *, data: CompanyCreate, actor: User,
                   region: str = "US") -> Company:
    c = Company(id=uuid.uuid4(), owner_id=actor.id, custom_fields={}, tags=[])
    fields = set(data.model_fields_set) | {"name"}
    _apply(db, c, data, fields, region)
    if "custom_fields" not in fields:
        c.custom_fields = validate_custom_fields(db, "company", {}, existing={})
    db.add(c)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="company", entity_id=c.id,
                 changes=audit.diff({}, snapshot(c)))
    publish(db, CompanyChanged(company_id=c.id, action="create"))
    return c


def update_company(db: Session, *, company: Company, data: CompanyUpdate, actor: User,
                   expected_version: int | None = None, region: str = "US") -> Company:
    version = data.version if data.version is not None else expected_version
    if version is not None and version != company.version:
        raise PreconditionFailed()
    before = snapshot(company)
    _apply(db, company, data, set(data.model_fields_set) - {"version"}, region)
    changes = audit.diff(before, snapshot(company))
    if changes:
        company.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="company",
                     entity_id=company.id, changes=changes)
        publish(db, CompanyChanged(company_id=company.id))
    return company


def delete_company(db: Session, *, company: Company, actor: User) -> Company:
    if company.deleted_at is None:
        company.deleted_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="delete", entity_type="company",
                     entity_id=company.id)
        publish(db, CompanyChanged(company_id=company.id, action="delete"))
    return company


def restore_company(db: Session, *, company: Company, actor: User) -> Company:
    if company.deleted_at is not None:
        company.deleted_at = None
        db.flush()
        audit.record(db, actor_id=actor.id, action="restore", entity_type="company",
                     entity_id=company.id)
        publish(db, CompanyChanged(company_id=company.id, action="restore"))
    return company


SORTS: dict[str, Sort] = {
    "name": Sort("name", Company.sort_name),
    "-name": Sort("name", Company.sort_name, descending=True),
    "created_at": Sort("created_at", Company.created_at),
    "-created_at": Sort("created_at", Company.created_at, descending=True),
    "updated_at": Sort("updated_at", Company.updated_at),
    "-updated_at": Sort("updated_at", Company.updated_at, descending=True),
}


def list_companies(db: Session, base: Select[Any], *, q: str | None, industry: str | None,
                   owner_id: uuid.UUID | None, tag: str | None, deleted: str, sort: str,
                   cursor: str | None, limit: int) -> Page[Company]:
    from amity.companies.models import company_tags
    from amity.core.tags import Tag

    if sort not in SORTS:
        raise ValidationFailed("sort.invalid", f"sort must be one of {sorted(SORTS)}", "sort")
    stmt = base
    if deleted == "exclude":
        stmt = stmt.where(Company.deleted_at.is_(None))
    elif deleted == "only":
        stmt = stmt.where(Company.deleted_at.is_not(None))
    if q:
        pat = "%" + fold(q).replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(Company.sort_name.like(pat, escape="\\") | Company.domain.like(pat,
                                                                                        escape="\\"))
    if industry:
        stmt = stmt.where(Company.industry == industry)
    if owner_id:
        stmt = stmt.where(Company.owner_id == owner_id)
    if tag:
        stmt = stmt.where(Company.id.in_(select(company_tags.c.company_id).join(Tag).where(
            Tag.key == fold(tag))))
    s = SORTS[sort]
    stmt = keyset(stmt, s, Company.id, cursor, limit).options(selectinload(Company.tags))
    rows = list(db.scalars(stmt))
    return page_of(rows, s, limit, key=lambda c: getattr(c, s.column.key))
