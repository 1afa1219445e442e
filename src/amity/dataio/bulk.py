"""The set-based path of large contact imports.

The row path (``runner``) writes each row through the contacts service: an audit entry, an
event and about twenty statements per contact, some 30-50 rows/s. Here a chunk of rows is
cleaned exactly as the row path cleans it (``rows.contact_row``; for a large import in worker
processes, the next chunks while this one is written: ``prepare``), matched against existing
contacts by email with one query per chunk, and written with one COPY (PostgreSQL) or one
executemany (SQLite) per table: contacts with their derived search columns, their emails,
phones and tags, and the import's change list (what rollback removes). The chunk gets one
audit entry and one summary event instead of one per contact.

Rows whose email is already known (an existing contact, or an earlier row of the same chunk)
are not bulk-written: after the chunk's new contacts are stored they are decided by the row
path's planner (update, skip per the match mode) and carried out by ``runner.carry_out``, so
merging and ``ImportChange.previous`` stay exactly as in the row path; their matches are loaded
in one query with their emails, phones and tags. Companies are found or created as in the row
path.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Table, insert, select, text, update
from sqlalchemy.orm import Session

from amity.auth.access import Permission, scope_for, scoped
from amity.companies.models import Company
from amity.companies.schemas import CompanyCreate
from amity.contacts.models import Contact, ContactEmail, ContactPhone, contact_tags
from amity.core import audit
from amity.core.clock import now
from amity.core.customfields import validate_custom_fields
from amity.core.errors import DomainError
from amity.core.events import publish
from amity.core.tags import clean_tag_names, get_or_create_tags
from amity.core.text import fold
from amity.dataio import normalise as norm
from amity.dataio import setwrite
from amity.dataio.events import ContactsImported, ImportedRecordsDeleted
from amity.dataio.models import ImportChange, ImportRowError
from amity.dataio.prepare import Cleaned, Cleaner, clean_rows
from amity.dataio.rows import RowData
from amity.dataio.runner import Plan, Planner, carry_out, contacts_by_key, match_keys
from amity.dataio.stage import stage_rows

CHUNK = 5000
# company names and tags repeat from row to row: fold each distinct one once
_fold = lru_cache(maxsize=65536)(fold)
# From this many data rows a contact import takes the bulk path unless its options say
# ``"bulk": false`` (or ``true`` to take it for any size).
THRESHOLD = 5000
# On PostgreSQL chunks are written set-based through a staging table (``setwrite``); False
# builds each row's inserts in Python as on SQLite (kept to compare the two).
SET_BASED = True


@dataclass
class Rows:
    companies: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)


def wanted(entity: str, options: dict[str, Any], total_rows: int | None) -> bool:
    if entity != "contacts":
        return False
    flag = options.get("bulk")
    return bool(flag) if flag is not None else (total_rows or 0) >= THRESHOLD


class BulkWriter:
    """Writes chunks of one contact import; the caller commits after each ``write``."""

    def __init__(self, planner: Planner) -> None:
        self.planner, self.db, self.imp = planner, planner.db, planner.imp
        self.pg = self.db.get_bind().dialect.name == "postgresql"
        self.staged = self.pg and SET_BASED
        self.stats_rows: float | None = None  # contacts when last analysed (``setwrite``)
        self.unanalysed = 0  # contacts this import added since
        self.tag_ids: dict[str, uuid.UUID] = {}
        self.defaults: dict[str, Any] = {}
        self.default_error: DomainError | None = None
        try:  # required custom fields with defaults apply to every created contact
            self.defaults = validate_custom_fields(self.db, "contact", {}, existing={})
        except DomainError as exc:
            self.default_error = exc
        self.company_defaults: dict[str, Any] = {}
        self.company_error: DomainError | None = None
        try:
            self.company_defaults = validate_custom_fields(self.db, "company", {}, existing={})
        except DomainError as exc:
            self.company_error = exc
        self.may_create_companies = scope_for(planner.actor,
                                              Permission.COMPANIES_CREATE) != "none"
        self.cleaner: Cleaner | None = None
        self.ids = _uuids()
        self.ready: dict[int, list[Cleaned]] = {}  # cleaned chunks by their first row

    def __enter__(self) -> BulkWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.cleaner is not None:
            self.cleaner.close()

    def batches(self, rows: Iterator[tuple[int, list[str]]],
                ) -> Iterator[list[tuple[int, list[str]]]]:
        """The file's rows in chunks of ``CHUNK``, the next ones being cleaned (in worker
        processes, for a large import) while the caller writes the current one."""
        imp = self.imp
        self.cleaner = Cleaner(list(imp.headers), dict(imp.mapping), self.planner.opts,
                               rows_to_go=(imp.total_rows or 0) - (imp.position or 0),
                               staged=self.staged)
        for batch, cleaned in self.cleaner.chunks(_chunks(rows, CHUNK)):
            self.ready[batch[0][0]] = cleaned
            yield batch

    def write(self, batch: list[tuple[int, list[str]]]) -> None:
        p, imp = self.planner, self.imp
        ready: Any = self.ready.pop(batch[0][0], None)
        if self.staged:
            if ready is None:
                ready = stage_rows(list(imp.headers), dict(imp.mapping), p.opts, batch)
            setwrite.write(self, batch, ready)
            return
        if self.pg:  # the import's position commits with each chunk: a crash loses no more
            self.db.execute(text("SET LOCAL synchronous_commit TO off"))
        built: list[Cleaned] = ready if ready is not None else clean_rows(
            list(imp.headers), dict(imp.mapping), p.opts, batch)
        found = self._known_keys([k for c in built if not c.data.errors
                                  for k in match_keys(c.data)])
        seen: set[str] = set()
        fresh: list[Plan] = []
        deferred: list[Cleaned] = []
        errors: list[dict[str, Any]] = []
        cleaned: dict[int, Cleaned] = {}
        for c in built:
            data = c.data
            if data.errors:
                errors.append(self._error(c.row_number, c.raw, data))
            elif data.blank:
                imp.skipped_count += 1
            elif p.opts.match != "create" and any(k in found or k in seen
                                                  for k in match_keys(data)):
                deferred.append(c)
                seen.update(match_keys(data))
            else:
                seen.update(match_keys(data))
                fresh.append(Plan(c.row_number, c.raw, "create", data))
                cleaned[c.row_number] = c
        p.created, p.kept = {}, []
        rows = Rows()
        if self.company_error is None:
            self._companies(fresh, rows)
        else:  # the service raises what the row path raises
            p.resolve_companies(fresh)
        self._rows(fresh, errors, rows, cleaned)
        self.db.flush()  # companies and tags made above exist before rows refer to them
        self.insert_rows(rows, errors)
        imp.created_count += len(rows.contacts)
        imp.error_count += len(errors)
        self.summarise(batch, len(rows.contacts), len(rows.companies))
        if deferred:
            carry_out(p, self.plan_matched(deferred))

    def summarise(self, batch: list[tuple[int, list[str]]], contacts: int,
                  companies: int) -> None:
        """The chunk's one audit entry and one event for the records it created."""
        if contacts or companies:
            imp = self.imp
            audit.record(self.db, actor_id=self.planner.actor.id, action="bulk_create",
                         entity_type="import", entity_id=imp.id,
                         changes={"contacts": [None, contacts],
                                  "companies": [None, companies],
                                  "rows": [None, [batch[0][0], batch[-1][0]]]})
            publish(self.db, ContactsImported(import_id=imp.id, count=contacts,
                                              companies=companies, first_row=batch[0][0],
                                              last_row=batch[-1][0]))

    def plan_matched(self, rows: list[Cleaned]) -> list[Plan]:
        """``Planner.plan`` for rows already cleaned that match a stored contact by email or
        phone (decided by the planner's own rules): the matches come with their emails,
        phones and tags (the relationships load "selectin"), which the comparison and the
        update read."""
        p = self.planner
        found = contacts_by_key(self.db, p.actor, p.view,
                                {k for c in rows for k in match_keys(c.data)})
        plans = []
        for c in rows:
            match = next((found[k] for k in match_keys(c.data) if k in found), None)
            plans.append(p._decide(c.row_number, c.raw, c.data, match, None))
        return plans

    def _known_keys(self, keys: list[str]) -> set[str]:
        if not keys or self.planner.opts.match == "create":
            return set()
        return set(contacts_by_key(self.db, self.planner.actor, self.planner.view, set(keys)))

    def _error(self, n: int, raw: list[str], data: RowData) -> dict[str, Any]:
        return {"id": next(self.ids), "import_id": self.imp.id, "row_number": n, "raw": raw,
                "errors": data.errors}

    def _tags(self, plans: list[Plan]) -> None:
        names = [t for pl in plans for t in (pl.data.values.get("tags") or [])]
        missing = [t for t in clean_tag_names(names) if _fold(t) not in self.tag_ids]
        if missing:
            self.tag_ids.update((t.key, t.id) for t in get_or_create_tags(self.db, missing))
            self.db.flush()
            self.tag_ids.update((t.key, t.id) for t in get_or_create_tags(self.db, missing))

    def _companies(self, plans: list[Plan], out: Rows) -> None:
        """``Planner.resolve_companies`` with the new companies written in bulk: one query
        finds the companies the chunk names; the others are made as ``create_company`` makes
        them (domain from the first row's work email), attributed to the first row naming
        them."""
        self.companies_named([(pl.data.company_name, pl.data.emails, pl.row_number)
                              for pl in plans if pl.data.company_name], out)

    def companies_named(self, named: list[tuple[str, list[str], int]], out: Rows) -> None:
        """``_companies`` for (company name, emails, row number) in row order."""
        p, at = self.planner, now()
        wanted: dict[str, tuple[str, list[str], int]] = {}
        for name, emails, n in named:
            if _fold(name) not in p.companies_by_name:
                wanted.setdefault(_fold(name), (name, emails, n))
        if not wanted:
            return
        pairs: Any = select(Company.id, Company.sort_name)
        stmt = scoped(self.db, pairs, p.actor, Company, Permission.COMPANIES_VIEW)
        for cid, key in self.db.execute(stmt.where(Company.sort_name.in_(list(wanted)),
                                                   Company.deleted_at.is_(None))):
            p.companies_by_name.setdefault(key, cid)
        for key, (name, emails, n) in wanted.items():
            if key in p.companies_by_name or not self.may_create_companies:
                continue
            domain = next((d for d in (norm.company_domain_from_email(e) for e in emails)
                           if d), None)
            data = CompanyCreate(name=name, domain=domain)
            cid = next(self.ids)
            out.companies.append({
                "id": cid, "owner_id": p.actor.id, "name": data.name,
                "domain": data.domain.lower() if data.domain else None,
                "sort_name": fold(data.name), "custom_fields": dict(self.company_defaults),
                "created_at": at, "updated_at": at, "version": 1})
            out.changes.append({"id": next(self.ids), "import_id": self.imp.id,
                                "row_number": n, "entity_type": "company", "record_id": cid,
                                "action": "created", "previous": None})
            p.companies_by_name[key] = cid

    def _rows(self, plans: list[Plan], errors: list[dict[str, Any]], out: Rows,
              cleaned: dict[int, Cleaned]) -> None:
        """The insert rows of a chunk's new contacts, built as ``create_contact`` builds one;
        a row the service would refuse becomes an error row instead."""
        at = now()
        good = []
        for pl in plans:
            try:
                good.append((pl, self._contact(pl, at, next(self.ids),
                                               cleaned[pl.row_number])))
            except DomainError as exc:
                pl.data.fail(exc.field or "row", exc.message)
                errors.append(self._error(pl.row_number, pl.raw, pl.data))
        self._tags([pl for pl, _ in good])
        for pl, row in good:
            cid = row["id"]
            c = cleaned[pl.row_number]
            out.contacts.append(row)
            for i, (email, label, primary) in enumerate(c.emails):
                out.emails.append({"id": next(self.ids), "contact_id": cid, "email": email,
                                   "label": label, "is_primary": primary, "position": i})
            for i, (e164, label, primary) in enumerate(c.phones):
                out.phones.append({"id": next(self.ids), "contact_id": cid, "e164": e164,
                                   "label": label, "is_primary": primary, "position": i})
            for name in clean_tag_names(c.tags):
                out.tags.append({"contact_id": cid, "tag_id": self.tag_ids[_fold(name)]})
            out.changes.append({"id": next(self.ids), "import_id": self.imp.id,
                                "row_number": pl.row_number, "entity_type": "contact",
                                "record_id": cid, "action": "created", "previous": None})

    def _contact(self, pl: Plan, at: datetime, cid: uuid.UUID,
                 c: Cleaned) -> dict[str, Any]:
        assert c.base is not None  # a row without errors
        row: dict[str, Any] = {"id": cid, "owner_id": self.planner.actor.id,
                               "created_at": at, "updated_at": at, "version": 1, **c.base}
        if pl.data.company_name:
            row["company_id"] = self._company_id(pl.data.company_name)
        if c.custom_given:
            row["custom_fields"] = validate_custom_fields(self.db, "contact", c.custom,
                                                          existing={})
        elif self.default_error is not None:
            raise self.default_error
        else:
            row["custom_fields"] = dict(self.defaults)
        return row

    def _company_id(self, name: str) -> uuid.UUID:
        """``Planner.company_for`` with the name folded once per distinct name."""
        found = self.planner.companies_by_name.get(_fold(name))
        return found if found is not None else self.planner.company_for(name)

    def insert_rows(self, rows: Rows, errors: list[dict[str, Any]]) -> None:
        tables: list[tuple[Table, list[dict[str, Any]]]] = [
            (_table(Company), rows.companies), (_table(Contact), rows.contacts),
            (_table(ContactEmail), rows.emails),
            (_table(ContactPhone), rows.phones), (contact_tags, rows.tags),
            (_table(ImportChange), rows.changes), (_table(ImportRowError), errors)]
        for table, items in tables:
            if not items:
                continue
            if self.pg:
                self._copy(table, items)
            else:
                self.db.execute(insert(table), _complete(table, items))

    def _copy(self, table: Table, items: list[dict[str, Any]]) -> None:
        """PostgreSQL COPY through the session's own connection (same transaction)."""
        full = _complete(table, items)
        cols = [c for c in table.columns if c.name in full[0]]
        names = ", ".join(f'"{c.name}"' for c in cols)
        json_cols = {c.name for c in cols if isinstance(c.type, JSON)}
        raw = self.db.connection().connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as cp:
            for item in full:
                cp.write_row([json.dumps(item[c.name]) if c.name in json_cols
                              and item[c.name] is not None else item[c.name] for c in cols])


def _uuids() -> Iterator[uuid.UUID]:
    """Random (version 4) UUIDs as ``uuid4`` makes them, from one ``os.urandom`` call per
    thousand rather than one each (a system call per id was a visible share of a chunk)."""
    while True:
        pool = os.urandom(16 * 1024)
        for i in range(0, len(pool), 16):
            yield uuid.UUID(bytes=pool[i:i + 16], version=4)


def _chunks(rows: Iterator[tuple[int, list[str]]],
            size: int) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _complete(table: Table, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same keys in every row (executemany and COPY need them): a column some row gives
    is NULL where others leave it out, one with a scalar default takes it; a column no row
    gives is left to the database (NULL, as the ORM leaves an unset column)."""
    given = {k for item in items for k in item}
    defaults = {c.name: getattr(c.default, "arg", None) if c.default is not None
                and c.default.is_scalar else None for c in table.columns
                if c.name in given or (c.default is not None and c.default.is_scalar)}
    return [{**defaults, **item} for item in items]


def undo_created(db: Session, imp_id: uuid.UUID, changes: list[ImportChange],
                 actor_id: uuid.UUID | None) -> int:
    """Soft-delete, with one UPDATE per table, the contacts and companies these changes
    created, as ``delete_contact``/``delete_company`` would one by one (deleted_at and
    updated_at set, version bumped, already deleted ones left alone); one audit entry and one
    event for the lot. Returns how many it deleted."""
    at, counts = now(), {}
    for entity, model in (("contact", Contact), ("company", Company)):
        ids = [c.record_id for c in changes if c.entity_type == entity]
        done = 0
        if ids:
            result: Any = db.execute(
                update(model).where(model.id.in_(ids), model.deleted_at.is_(None))
                .values(deleted_at=at, updated_at=at, version=model.version + 1)
                .execution_options(synchronize_session=False))
            done = int(result.rowcount or 0)
        counts[entity] = done
    if counts["contact"] or counts["company"]:
        audit.record(db, actor_id=actor_id, action="bulk_delete", entity_type="import",
                     entity_id=imp_id, changes={"contacts": [None, counts["contact"]],
                                                "companies": [None, counts["company"]]})
        publish(db, ImportedRecordsDeleted(import_id=imp_id, contacts=counts["contact"],
                                           companies=counts["company"]))
    db.expire_all()  # identity map copies of those rows are stale now
    return counts["contact"] + counts["company"]
