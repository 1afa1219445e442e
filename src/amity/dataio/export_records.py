"""Exports of deals, products, orders (one row per line), tickets and interactions, and of the
whole database as a zip with one file per entity.

A ``RecordExporter`` has the shape ``export.stream``/``write_xlsx`` expect (columns, count,
pages, row, as_dict), so CSV, XLSX and JSON are written, and neutralised against formula
injection, exactly as contacts are. Pages are read by keyset (created_at, id) with the names
they show (contact emails, companies, pipelines, stages) fetched once per page, never per row.
Column names are those the importer recognises, so an export of deals, products, orders or
interactions can be imported again; custom fields are ``cf.<key>`` columns (sensitive ones
only for readers who may see them), which the importer maps back to the fields.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from amity.activities.models import Interaction
from amity.auth.access import Permission, can_see_sensitive, scope_for, scoped
from amity.auth.models import User
from amity.commerce.models import Order, OrderLine, Product
from amity.companies.models import Company
from amity.contacts.models import ContactEmail
from amity.core.audit import sensitive_keys
from amity.core.customfields import definitions_for
from amity.core.errors import Forbidden
from amity.dataio.export import SUFFIX, Exporter, _text, stream, write_xlsx
from amity.deals.models import Deal, Pipeline, Stage
from amity.tickets.models import Ticket

ENTITIES = ("deals", "products", "orders", "tickets", "interactions")
ALL = ("contacts", "companies", *ENTITIES)  # the whole-database export, in this order
FORMATS = ("csv", "xlsx", "json")
PAGE = 500
COLUMNS = {
    "deals": ["id", "name", "amount", "currency", "pipeline", "stage", "status", "probability",
              "contact_email", "company", "expected_close_date", "closed_at", "source",
              "campaign", "next_step", "description", "owner_id", "created_at", "updated_at"],
    "products": ["id", "sku", "name", "category", "description", "price", "currency", "active",
                 "replacement_cycle_days", "created_at", "updated_at"],
    "orders": ["order_id", "order_ref", "number", "ordered_at", "channel", "status",
               "currency", "contact_email", "company", "subtotal", "discount_total", "total",
               "notes", "line_sku", "line_description", "line_category", "line_quantity",
               "line_unit_price", "line_discount_percent", "line_total", "owner_id",
               "created_at"],
    "tickets": ["id", "number", "subject", "description", "status", "priority", "channel",
                "category", "contact_email", "company", "assignee_id", "resolution_notes",
                "first_responded_at", "resolved_at", "closed_at", "owner_id", "created_at",
                "updated_at"],
    "interactions": ["id", "channel", "direction", "occurred_at", "subject", "body",
                     "duration", "outcome", "location", "contact_email", "external_id",
                     "owner_id", "created_at"],
}
CUSTOM_ENTITY = {"deals": "deal", "products": "product", "orders": "order", "tickets": "ticket",
                 "interactions": "interaction"}
MODEL: dict[str, Any] = {"deals": Deal, "products": Product, "orders": Order,
                         "tickets": Ticket, "interactions": Interaction}
PERMISSION = {"deals": Permission.DEALS_EXPORT, "orders": Permission.ORDERS_EXPORT,
              "tickets": Permission.TICKETS_EXPORT, "interactions": Permission.CONTACTS_EXPORT}


def may_export(user: User, entity: str) -> bool:
    """Products are the shared catalogue: whoever sees deals or orders sees them."""
    if entity == "contacts":
        return scope_for(user, Permission.CONTACTS_EXPORT) != "none"
    if entity == "companies":
        return scope_for(user, Permission.COMPANIES_EXPORT) != "none"
    if entity == "products":
        return any(scope_for(user, p) != "none" for p in (Permission.DEALS_VIEW,
                                                           Permission.ORDERS_VIEW))
    return scope_for(user, PERMISSION[entity]) != "none"


class RecordExporter:
    """Rows of one entity a user may export, page by page (soft-deleted records left out)."""

    def __init__(self, db: Session, user: User, entity: str) -> None:
        if not may_export(user, entity):
            raise Forbidden(f"You may not export {entity}")
        self.db, self.user, self.entity = db, user, entity
        self.sensitive = can_see_sensitive(user)
        hidden = set() if self.sensitive else sensitive_keys(db, CUSTOM_ENTITY[entity])
        self.custom = [k for k in sorted(definitions_for(db, CUSTOM_ENTITY[entity]))
                       if k not in hidden]
        self.columns = [*(c for c in COLUMNS[entity] if self.sensitive or c != "body"),
                        *(f"cf.{k}" for k in self.custom)]
        self._names: dict[Any, str] = {}

    def base(self) -> Select[Any]:
        model = MODEL[self.entity]
        stmt = select(model).where(model.deleted_at.is_(None))
        if self.entity == "products":
            return stmt
        return scoped(self.db, stmt, self.user, model, PERMISSION[self.entity])

    def count(self) -> int:
        """Records (orders: lines, the rows the file has)."""
        if self.entity == "orders":
            ids = self.base().with_only_columns(Order.id).subquery()
            return int(self.db.scalar(select(func.count()).select_from(OrderLine).where(
                OrderLine.order_id.in_(select(ids.c.id)))) or 0)
        return int(self.db.scalar(select(func.count()).select_from(
            self.base().subquery())) or 0)

    def pages(self) -> Iterator[list[Any]]:
        model = MODEL[self.entity]
        after: tuple[Any, Any] | None = None
        while True:
            stmt = self.base().order_by(model.created_at, model.id).limit(PAGE)
            if self.entity == "orders":
                stmt = stmt.options(selectinload(Order.lines))
            if self.entity == "interactions":
                stmt = stmt.options(selectinload(Interaction.participants))
            if after is not None:
                stmt = stmt.where(or_(model.created_at > after[0],
                                      and_(model.created_at == after[0], model.id > after[1])))
            page = list(self.db.scalars(stmt))
            if not page:
                return
            self._load_names(page)
            if self.entity == "orders":
                yield [(o, ln) for o in page for ln in o.lines]
            else:
                yield page
            after = (page[-1].created_at, page[-1].id)
            if len(page) < PAGE:
                return

    def _load_names(self, page: list[Any]) -> None:
        """Emails of the page's contacts and names of its companies: one query each."""
        contacts = {r.contact_id for r in page if getattr(r, "contact_id", None)}
        if self.entity == "interactions":
            contacts = {p.contact_id for r in page for p in r.participants if p.contact_id}
        companies = {r.company_id for r in page if getattr(r, "company_id", None)}
        self._names = {}
        if contacts:
            for cid, email in self.db.execute(
                    select(ContactEmail.contact_id, ContactEmail.email)
                    .where(ContactEmail.contact_id.in_(contacts))
                    .order_by(ContactEmail.is_primary.desc(), ContactEmail.position)):
                self._names.setdefault(cid, email)
        if companies:
            self._names.update({r[0]: r[1] for r in self.db.execute(
                select(Company.id, Company.name).where(Company.id.in_(companies)))})
        if self.entity == "deals":
            for model in (Pipeline, Stage):
                self._names.update({r[0]: r[1] for r in self.db.execute(
                    select(model.id, model.name))})

    def row(self, item: Any) -> list[Any]:
        values = self._values(item)
        record = item[0] if self.entity == "orders" else item
        stored = record.custom_fields or {}
        for key in self.custom:
            value = stored.get(key)
            # a multi-select as the importer reads it back ("a; b"), not as JSON
            values[f"cf.{key}"] = "; ".join(map(str, value)) if isinstance(value, list) \
                else value
        return [_text(values.get(c)) for c in self.columns]

    def _values(self, item: Any) -> dict[str, Any]:
        n = self._names
        if self.entity == "orders":
            o, ln = item
            return {"order_id": str(o.id), "order_ref": o.external_ref or o.number or str(o.id),
                    "number": o.number, "ordered_at": o.ordered_at, "channel": o.channel,
                    "status": o.status, "currency": o.currency,
                    "contact_email": n.get(o.contact_id), "company": n.get(o.company_id),
                    "subtotal": str(o.subtotal), "discount_total": str(o.discount_total),
                    "total": str(o.total), "notes": o.notes, "line_sku": ln.sku,
                    "line_description": ln.description, "line_category": ln.category,
                    "line_quantity": str(ln.quantity), "line_unit_price": str(ln.unit_price),
                    "line_discount_percent": str(ln.discount_percent),
                    "line_total": str(ln.total), "owner_id": o.owner_id,
                    "created_at": o.created_at}
        r = item
        values = {c: getattr(r, c, None) for c in self.columns}
        values["id"] = str(r.id)
        if self.entity == "deals":
            values.update(amount=str(r.amount), pipeline=n.get(r.pipeline_id),
                          stage=n.get(r.stage_id), contact_email=n.get(r.contact_id),
                          company=n.get(r.company_id))
        elif self.entity == "products":
            values["price"] = str(r.price)
        elif self.entity == "tickets":
            values.update(contact_email=n.get(r.contact_id), company=n.get(r.company_id))
        elif self.entity == "interactions":
            first = next((p.contact_id for p in r.participants if p.contact_id), None)
            values.update(contact_email=n.get(first), duration=r.duration_s)
        return values

    def as_dict(self, item: Any) -> dict[str, Any]:
        return dict(zip(self.columns, self.row(item), strict=True))


def exporter_for(db: Session, user: User, entity: str,
                 filters: dict[str, Any] | None = None) -> Exporter | RecordExporter:
    if entity in ENTITIES:
        return RecordExporter(db, user, entity)
    return Exporter(db, user, entity, filters or {})


def write_all(db: Session, user: User, fmt: str, path: Path,
              progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """The whole database as a zip: one ``<entity>.<fmt>`` per entity the user may export
    (the others are left out); records per file come back."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for entity in ALL:
            if not may_export(user, entity):
                continue
            exp = exporter_for(db, user, entity, {"deleted": "exclude"})
            name = f"{entity}.{SUFFIX[fmt]}"
            if fmt == "xlsx":
                with tempfile.TemporaryDirectory() as tmp:
                    part = Path(tmp) / name
                    counts[entity] = write_xlsx(exp, part)  # type: ignore[arg-type]
                    zf.write(part, name)
            else:
                with zf.open(name, "w") as out:
                    for chunk in stream(exp, fmt):  # type: ignore[arg-type]
                        out.write(chunk)
                counts[entity] = exp.count()
            if progress is not None:
                progress(entity, counts[entity])
    return counts
