"""Planning and carrying out an import, row by row, in batches.

``plan`` decides what each row would do (create, update, skip, error) without writing: the
dry run is exactly the planning pass. ``process_batch`` carries a batch out and advances the
import's ``position`` in the same transaction, so a run stopped anywhere resumes after the last
committed batch and never repeats a row. Updates keep the previous values of every field they
change (``ImportChange.previous``) for rollback.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.access import Permission, check_record, scope_for, scoped
from amity.auth.models import User
from amity.companies import service as companies
from amity.companies.models import Company
from amity.companies.schemas import CompanyCreate, CompanyUpdate
from amity.contacts import service as contacts
from amity.contacts.models import Contact, ContactEmail, ContactPhone
from amity.contacts.schemas import ContactCreate, ContactUpdate
from amity.core.customfields import validate_custom_fields
from amity.core.errors import DomainError
from amity.core.text import fold
from amity.dataio import normalise as norm
from amity.dataio.models import DataImport, ImportChange, ImportRowError
from amity.dataio.rows import Options, RowData, company_row, contact_row

CONTACT_SCALARS = ("first_name", "last_name", "nickname", "job_title", "department", "source",
                   "gender", "language", "time_zone", "personal_notes", "birthday",
                   "lifecycle_stage", "do_not_contact")
COMPANY_SCALARS = ("name", "domain", "website", "industry", "size", "employee_count", "phone",
                   "description", "address")
ALWAYS_SET = {"lifecycle_stage", "do_not_contact"}  # never "empty": only overwrite changes them


@dataclass
class Plan:
    row_number: int
    raw: list[str]
    action: str  # create | update | skip | error
    data: RowData
    record: Any = None
    changes: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)
    note: str | None = None

    @property
    def errors(self) -> list[dict[str, str]]:
        return self.data.errors


class Planner:
    """Plans rows for one import; remembers companies and in-file emails across batches."""

    def __init__(self, db: Session, imp: DataImport, actor: User, opts: Options,
                 *, dry_run: bool) -> None:
        self.db, self.imp, self.actor, self.opts, self.dry_run = db, imp, actor, opts, dry_run
        self.contacts = imp.entity == "contacts"
        self.view = Permission.CONTACTS_VIEW if self.contacts else Permission.COMPANIES_VIEW
        self.edit = Permission.CONTACTS_EDIT if self.contacts else Permission.COMPANIES_EDIT
        self.companies_by_name: dict[str, uuid.UUID] = {}
        # companies that could not be created (a required company field without a default),
        # by folded name: the rows naming one are refused with the reason
        self.company_refusals: dict[str, DomainError] = {}
        self.in_file: dict[str, int] = {}  # dry run: email/domain -> first row that has it
        self.created: dict[str, Contact] = {}  # this batch's new contacts by email/phone
        self.kept: list[Company] = []

    def plan(self, batch: list[tuple[int, list[str]]]) -> list[Plan]:
        build = contact_row if self.contacts else company_row
        rows = [(n, raw, build(self.imp.headers, self.imp.mapping, raw, self.opts))
                for n, raw in batch]
        keys = [k for _, _, d in rows for k in self._keys(d)]
        found = self._existing(keys) if self.opts.match != "create" else {}
        plans: list[Plan] = []
        for n, raw, data in rows:
            if data.errors:
                plans.append(Plan(n, raw, "error", data))
                continue
            if data.blank:
                plans.append(Plan(n, raw, "skip", data, note="empty row"))
                continue
            if self.contacts and self.dry_run and "custom_fields" in data.values:
                self._check_custom(data, "contact")
            elif not self.contacts and self.dry_run and "custom_fields" in data.values:
                self._check_custom(data, "company")
            if data.errors:
                plans.append(Plan(n, raw, "error", data))
                continue
            match = next((found[k] for k in self._keys(data) if k in found), None)
            earlier = next((self.in_file[k] for k in self._keys(data) if k in self.in_file),
                           None)
            plans.append(self._decide(n, raw, data, match, earlier))
            for k in self._keys(data):
                self.in_file.setdefault(k, n)
        return plans

    def _check_custom(self, data: RowData, entity: str) -> None:
        try:
            validate_custom_fields(self.db, entity, data.values["custom_fields"], existing={})
        except DomainError as exc:
            data.fail(exc.field or "custom_fields", exc.message)

    def _keys(self, data: RowData) -> list[str]:
        if self.contacts:
            return match_keys(data)
        keys = []
        if data.values.get("domain"):
            keys.append("d:" + data.values["domain"])
        if data.values.get("name"):
            keys.append("n:" + fold(data.values["name"]))
        return keys

    def _existing(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        out: dict[str, Any] = {}
        if self.contacts:
            return contacts_by_key(self.db, self.actor, self.view, keys)
        domains = {k[2:] for k in keys if k.startswith("d:")}
        names = {k[2:] for k in keys if k.startswith("n:")}
        wanted: Any = Company.sort_name.in_(names)
        if domains:
            wanted = wanted | Company.domain.in_(domains)
        stmt = scoped(self.db, select(Company), self.actor, Company, self.view).where(
            Company.deleted_at.is_(None), wanted)
        for c in self.db.scalars(stmt):
            if c.domain:
                out.setdefault("d:" + c.domain, c)
            out.setdefault("n:" + c.sort_name, c)
        return out

    def _decide(self, n: int, raw: list[str], data: RowData, match: Any,
                earlier: int | None) -> Plan:
        if match is None:
            if earlier is not None and self.dry_run and self.opts.match != "create":
                if self.opts.match == "skip":
                    return Plan(n, raw, "skip", data, note=f"same as row {earlier}")
                return Plan(n, raw, "update", data, note=f"merges into row {earlier}")
            return Plan(n, raw, "create", data)
        if self.opts.match == "skip":
            return Plan(n, raw, "skip", data, record=match, note="already exists")
        try:
            check_record(self.db, self.actor, match, self.edit,
                         entity="contact" if self.contacts else "company")
        except DomainError:
            data.fail("record", "matches an existing record you may not edit")
            return Plan(n, raw, "error", data, record=match)
        changes, previous = (contact_changes if self.contacts else company_changes)(
            match, data.values, overwrite=self.opts.match == "overwrite")
        if self.contacts and data.company_name and (match.company_id is None
                                                    or self.opts.match == "overwrite"):
            changes["company_name"] = data.company_name
            previous["company_id"] = str(match.company_id) if match.company_id else None
        if not changes:
            return Plan(n, raw, "skip", data, record=match, note="nothing new")
        return Plan(n, raw, "update", data, record=match, changes=changes, previous=previous)

    # carrying plans out
    def resolve_companies(self, plans: list[Plan]) -> None:
        """Find (one query) or create the companies a batch's contacts name, before any row
        is written: no lookup per row, no flush per row."""
        wanted: dict[str, tuple[str, list[str], int]] = {}
        for p in plans:
            name = p.data.company_name if p.action == "create" else p.changes.get(
                "company_name") if p.action == "update" else None
            if name and fold(name) not in self.companies_by_name:
                wanted.setdefault(fold(name), (name, p.data.emails, p.row_number))
        if not wanted:
            return
        pairs: Any = select(Company.id, Company.sort_name)
        stmt = scoped(self.db, pairs, self.actor, Company, Permission.COMPANIES_VIEW)
        with self.db.no_autoflush:
            for cid, key in self.db.execute(stmt.where(Company.sort_name.in_(list(wanted)),
                                                       Company.deleted_at.is_(None))):
                self.companies_by_name.setdefault(key, cid)
        may_create = scope_for(self.actor, Permission.COMPANIES_CREATE) != "none"
        for key, (name, emails, n) in wanted.items():
            if key in self.companies_by_name or not may_create:
                continue
            domain = next((d for d in (norm.company_domain_from_email(e) for e in emails)
                           if d), None)
            try:  # refused before anything is added to the session
                made = companies.create_company(self.db, data=CompanyCreate(
                    name=name, domain=domain), actor=self.actor, region=self.opts.region)
            except DomainError as exc:
                self.company_refusals[key] = exc
                continue
            self.db.add(ImportChange(import_id=self.imp.id, row_number=n,
                                     entity_type="company", record_id=made.id,
                                     action="created"))
            self.companies_by_name[key] = made.id
            self.kept.append(made)  # held, so the session's weak identity map keeps it

    def company_for(self, name: str) -> uuid.UUID:
        key = fold(name)
        found = self.companies_by_name.get(key)
        if found is not None:
            return found
        refused = self.company_refusals.get(key)
        if refused is not None:
            raise DomainError(refused.code, f"The company '{name}' could not be created: "
                              f"{refused.message}", "company")
        raise DomainError("company.create_forbidden", f"No company '{name}' exists and you "
                          "may not create companies", "company")


def match_keys(data: RowData) -> list[str]:
    """What a contact row is matched on: its emails, then its phone numbers (E.164; an email
    always has an '@', a number never does, so one key space holds both)."""
    return [*data.emails, *(p["number"] for p in data.values.get("phones") or [])]


def contacts_by_key(db: Session, actor: User, view: Permission,
                    keys: list[str] | set[str]) -> dict[str, Contact]:
    """The live contacts ``actor`` may see that have one of these emails or phone numbers,
    by key (two queries on the indexed email and phone columns)."""
    out: dict[str, Contact] = {}
    emails = {k for k in keys if "@" in k}
    phones = {k for k in keys if "@" not in k}
    for col, model in ((ContactEmail.email, ContactEmail), (ContactPhone.e164, ContactPhone)):
        wanted = emails if model is ContactEmail else phones
        if not wanted:
            continue
        both: Any = select(Contact, col).join(model, model.contact_id == Contact.id)
        stmt: Any = scoped(db, both, actor, Contact, view)
        for c, key in db.execute(stmt.where(col.in_(wanted), Contact.deleted_at.is_(None))):
            out.setdefault(key, c)
    return out


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def contact_changes(c: Contact, values: dict[str, Any], *,
                    overwrite: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ContactUpdate fields this row changes and their previous values; lists (emails,
    phones, addresses, profiles, tags) are merged, never replaced, so nothing is lost."""
    changes: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    for key in CONTACT_SCALARS:
        if key not in values:
            continue
        current = getattr(c, key)
        shown = current.isoformat() if hasattr(current, "isoformat") else current
        if shown == values[key]:
            continue
        if overwrite or (key not in ALWAYS_SET and _empty(current)):
            changes[key], previous[key] = values[key], shown
    emails = [{"email": e.email, "label": e.label, "primary": e.is_primary} for e in c.emails]
    new = [e for e in values.get("emails", []) if e["email"] not in {x["email"] for x in emails}]
    if new:
        changes["emails"], previous["emails"] = emails + new, emails
    phones = [{"number": p.e164, "label": p.label, "primary": p.is_primary} for p in c.phones]
    newp = [p for p in values.get("phones", [])
            if p["number"] not in {x["number"] for x in phones}]
    if newp:
        changes["phones"], previous["phones"] = phones + newp, phones
    for key in ("addresses", "social_profiles"):
        have = list(getattr(c, key) or [])
        add = [x for x in values.get(key, []) if x not in have]
        if add:
            changes[key], previous[key] = have + add, have
    tags = [t.name for t in c.tags]
    addt = [t for t in values.get("tags", []) if fold(t) not in {fold(x) for x in tags}]
    if addt:
        changes["tags"], previous["tags"] = tags + addt, tags
    custom = dict(c.custom_fields or {})
    setc = {k: v for k, v in values.get("custom_fields", {}).items()
            if custom.get(k) != v and (overwrite or _empty(custom.get(k)))}
    if setc:
        changes["custom_fields"] = setc
        previous["custom_fields"] = {k: custom.get(k) for k in setc}
    return changes, previous


def company_changes(c: Company, values: dict[str, Any], *,
                    overwrite: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    changes: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    for key in COMPANY_SCALARS:
        if key in values and getattr(c, key) != values[key] and (
                overwrite or _empty(getattr(c, key))):
            changes[key], previous[key] = values[key], getattr(c, key)
    tags = [t.name for t in c.tags]
    addt = [t for t in values.get("tags", []) if fold(t) not in {fold(x) for x in tags}]
    if addt:
        changes["tags"], previous["tags"] = tags + addt, tags
    custom = dict(c.custom_fields or {})
    setc = {k: v for k, v in values.get("custom_fields", {}).items()
            if custom.get(k) != v and (overwrite or _empty(custom.get(k)))}
    if setc:
        changes["custom_fields"] = setc
        previous["custom_fields"] = {k: custom.get(k) for k in setc}
    return changes, previous


def carry_out(planner: Planner, plans: list[Plan]) -> None:
    """Write one batch's plans (the caller commits); errors are kept with their row."""
    db, imp = planner.db, planner.imp
    planner.created, planner.kept = {}, []
    counts: Counter[str] = Counter()
    if planner.contacts:
        planner.resolve_companies(plans)
    for p in plans:
        if p.action == "create" and planner.contacts:
            created = _in_batch_match(planner, p)
            if created is not None:
                p.record = created
                p.changes, p.previous = contact_changes(
                    created, p.data.values, overwrite=planner.opts.match == "overwrite")
                p.action = "update" if p.changes else "skip"
        try:
            if p.action == "create":
                _create(planner, p)
            elif p.action == "update":
                _update(planner, p)
        except DomainError as exc:
            p.action = "error"
            p.data.fail(exc.field or "row", exc.message)
        if p.action == "error":
            db.add(ImportRowError(import_id=imp.id, row_number=p.row_number, raw=p.raw,
                                  errors=p.errors))
        counts[p.action] += 1
    # once per batch: a change per row made every row's next statement flush another version
    # of the import's row, which every import_changes foreign-key check then had to walk past
    imp.created_count += counts["create"]
    imp.updated_count += counts["update"]
    imp.skipped_count += counts["skip"]
    imp.error_count += counts["error"]


def _in_batch_match(planner: Planner, p: Plan) -> Contact | None:
    """A contact an earlier row of this batch created with one of this row's emails (the
    batch's lookup ran before they existed)."""
    if planner.opts.match == "create":
        return None
    return next((planner.created[k] for k in match_keys(p.data) if k in planner.created),
                None)


def _create(planner: Planner, p: Plan) -> None:
    db, imp, actor = planner.db, planner.imp, planner.actor
    values = dict(p.data.values)
    if planner.contacts:
        if p.data.company_name:
            values["company_id"] = planner.company_for(p.data.company_name)
        rec: Any = contacts.create_contact(db, data=ContactCreate.model_validate(values),
                                           actor=actor, region=planner.opts.region,
                                           flush=False)
        for k in match_keys(p.data):
            planner.created.setdefault(k, rec)
        entity = "contact"
    else:
        rec = companies.create_company(db, data=CompanyCreate.model_validate(values),
                                       actor=actor, region=planner.opts.region)
        entity = "company"
    db.add(ImportChange(import_id=imp.id, row_number=p.row_number, entity_type=entity,
                        record_id=rec.id, action="created"))


def _update(planner: Planner, p: Plan) -> None:
    db, imp, actor = planner.db, planner.imp, planner.actor
    changes = dict(p.changes)
    if "company_name" in changes:
        changes["company_id"] = planner.company_for(changes.pop("company_name"))
    if planner.contacts:
        contacts.update_contact(db, contact=p.record,
                                data=ContactUpdate.model_validate(changes), actor=actor,
                                region=planner.opts.region, flush=False)
        entity = "contact"
    else:
        companies.update_company(db, company=p.record,
                                 data=CompanyUpdate.model_validate(changes), actor=actor,
                                 region=planner.opts.region)
        entity = "company"
    db.add(ImportChange(import_id=imp.id, row_number=p.row_number, entity_type=entity,
                        record_id=p.record.id, action="updated", previous=p.previous))


def undo(db: Session, change: ImportChange, actor: User, region: str) -> bool:
    """Reverse one change: soft-delete a created record, restore an updated one's fields."""
    model = Contact if change.entity_type == "contact" else Company
    rec: Any = db.get(model, change.record_id)
    if rec is None:
        return False
    if change.action == "created":
        if change.entity_type == "contact":
            contacts.delete_contact(db, contact=rec, actor=actor)
        else:
            companies.delete_company(db, company=rec, actor=actor)
        return True
    if rec.deleted_at is not None or not change.previous:
        return False
    prev = dict(change.previous)
    if change.entity_type == "contact":
        contacts.update_contact(db, contact=rec, data=ContactUpdate.model_validate(prev),
                                actor=actor, region=region)
    else:
        companies.update_company(db, company=rec, data=CompanyUpdate.model_validate(prev),
                                 actor=actor, region=region)
    return True
