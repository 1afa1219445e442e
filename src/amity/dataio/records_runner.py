"""Planning and carrying out imports of deals, products, orders and interactions.

Same contract as ``runner`` (contacts, companies): ``plan`` writes nothing (the dry run is the
planning pass), ``carry_out`` writes one batch through the domain services (so audit entries
and events are those of a hand-made record) and notes every created or updated record in
``ImportChange`` for rollback. References are looked up once per batch, never per row.

Orders: a file has one row per order line; consecutive rows with the same order reference are
one order (``order_batches`` never splits them). The order's fields come from its first row.
An order whose reference is stored already is skipped: re-importing a file adds nothing.
Deals are matched to stored ones by ``deal_match``; custom-field columns are read by
``record_custom``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.activities import interactions
from amity.activities.models import Interaction
from amity.activities.schemas import InteractionCreate, ParticipantIn
from amity.auth.access import Permission, scoped
from amity.auth.models import User
from amity.commerce import catalogue
from amity.commerce import service as commerce
from amity.commerce.models import Order, Product
from amity.commerce.schemas import OrderCreate, OrderLineIn, ProductCreate, ProductUpdate
from amity.companies.models import Company
from amity.contacts.models import Contact, ContactEmail, ContactPhone
from amity.core.errors import DomainError, ValidationFailed
from amity.core.text import fold
from amity.dataio import deal_match, record_custom
from amity.dataio.models import DataImport, ImportChange, ImportRowError
from amity.dataio.records import CUSTOM_TEXTS, build
from amity.dataio.rows import Options, RowData
from amity.dataio.runner import Plan
from amity.deals import service as deals
from amity.deals.models import Deal, Pipeline, Stage
from amity.deals.schemas import DealCreate, DealUpdate

SOURCE = "import"  # external_source of imported interactions: their ids de-duplicate
PRODUCT_SCALARS = ("name", "category", "description", "price", "currency", "active",
                   "replacement_cycle_days")
MISSING = "custom_missing"  # (field, message) of a required custom field a row leaves empty
KIND = {"deals": "deal", "products": "product", "orders": "order",
        "interactions": "interaction"}


def _json(v: Any) -> Any:
    return str(v) if isinstance(v, Decimal) else v


def _schema_errors(row: RowData, exc: ValidationError, prefix: str = "") -> None:
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "row"
        row.fail(prefix + loc, err["msg"].removeprefix("Value error, "))


class RecordPlanner:
    """Plans rows of one import of deals, products, orders or interactions."""

    def __init__(self, db: Session, imp: DataImport, actor: User, opts: Options,
                 *, dry_run: bool, default_currency: str) -> None:
        self.db, self.imp, self.actor, self.opts, self.dry_run = db, imp, actor, opts, dry_run
        self.entity = imp.entity
        self.currency = str(imp.options.get("default_currency") or default_currency)
        self.in_file: dict[str, int] = {}  # SKU / order ref / external id -> first row
        self.created: dict[str, Any] = {}  # this run's new products by SKU
        self._stages: dict[tuple[str, str], Stage] | None = None
        self._pipelines: dict[str, Pipeline] = {}
        self.lines_of: dict[int, list[Plan]] = {}  # an order's first row -> its other rows

    # lookups, one query per batch
    def _contacts_by_email(self, emails: set[str]) -> dict[str, uuid.UUID]:
        if not emails:
            return {}
        both: Any = select(Contact.id, ContactEmail.email).join(ContactEmail)
        stmt: Any = scoped(self.db, both,
                           self.actor, Contact, Permission.CONTACTS_VIEW)
        out: dict[str, uuid.UUID] = {}
        for cid, email in self.db.execute(stmt.where(ContactEmail.email.in_(emails),
                                                     Contact.deleted_at.is_(None))):
            out.setdefault(email, cid)
        return out

    def _contacts_by_phone(self, phones: set[str]) -> dict[str, uuid.UUID]:
        if not phones:
            return {}
        both: Any = select(Contact.id, ContactPhone.e164).join(ContactPhone)
        stmt: Any = scoped(self.db, both,
                           self.actor, Contact, Permission.CONTACTS_VIEW)
        out: dict[str, uuid.UUID] = {}
        for cid, e164 in self.db.execute(stmt.where(ContactPhone.e164.in_(phones),
                                                    Contact.deleted_at.is_(None))):
            out.setdefault(e164, cid)
        return out

    def _companies(self, names: set[str]) -> dict[str, uuid.UUID]:
        if not names:
            return {}
        pairs: Any = select(Company.id, Company.sort_name)
        stmt: Any = scoped(self.db, pairs, self.actor, Company, Permission.COMPANIES_VIEW)
        out: dict[str, uuid.UUID] = {}
        for cid, key in self.db.execute(stmt.where(Company.sort_name.in_(names),
                                                   Company.deleted_at.is_(None))):
            out.setdefault(key, cid)
        return out

    def _products(self, skus: set[str]) -> dict[str, Product]:
        if not skus:
            return {}
        return {p.sku: p for p in self.db.scalars(select(Product).where(Product.sku.in_(skus)))}

    def _stage(self, data: RowData) -> Stage | None:
        """The stage a deal row names (by name, in the pipeline it names or the default one);
        None for the pipeline's first open stage."""
        if self._stages is None:
            self._pipelines = {fold(p.name): p for p in self.db.scalars(
                select(Pipeline).where(Pipeline.archived_at.is_(None)))}
            ids = {p.id: k for k, p in self._pipelines.items()}
            self._stages = {(ids[s.pipeline_id], fold(s.name)): s for s in self.db.scalars(
                select(Stage).where(Stage.archived_at.is_(None)).order_by(Stage.position))
                if s.pipeline_id in ids}
        v = data.values
        if v.get("pipeline"):
            key = fold(v["pipeline"])
            if key not in self._pipelines:
                data.fail("pipeline", f"No pipeline is named '{v['pipeline']}'")
                return None
        else:
            key = next((k for k, p in self._pipelines.items() if p.is_default), "")
        if not v.get("stage"):
            if key and v.get("pipeline"):
                return next((s for (pk, _), s in self._stages.items()
                             if pk == key and s.kind == "open"), None)
            return None
        stage = self._stages.get((key, fold(v["stage"])))
        if stage is None:
            data.fail("stage", f"The pipeline has no stage named '{v['stage']}'")
        return stage

    # planning
    def plan(self, batch: list[tuple[int, list[str]]]) -> list[Plan]:
        rows = [(n, raw, build(self.entity, self.imp.headers, self.imp.mapping, raw,
                               self.opts, self.currency)) for n, raw in batch]
        live = [d for _, _, d in rows if not d.blank]  # every error of a row is reported
        emails = self._contacts_by_email({e for d in live for e in d.emails})
        phones = self._contacts_by_phone({d.values["contact_phone"] for d in live
                                          if d.values.get("contact_phone")})
        companies = self._companies({fold(d.values["company"]) for d in live
                                     if d.values.get("company")})
        for d in live:
            self._resolve(d, emails, phones, companies)
        if self.entity == "orders":
            return self._plan_orders(rows)
        keys = {"products": "sku", "interactions": "external_id"}
        key = keys.get(self.entity)
        found: dict[str, Any] = {}
        self._editable: set[uuid.UUID] = set()
        if self.entity == "deals" and self.opts.match != "create":
            key = "deal_key"
            default = next((p.id for p in self._pipelines.values() if p.is_default), None)
            for d in live:
                d.values[key] = deal_match.ident(d.values, default)
            found = deal_match.find(self.db, self.actor,
                                    {d.values[key] for d in live if d.values.get(key)})
            self._editable = deal_match.editable(self.db, self.actor, found)
        elif self.entity == "products":
            found = self._products({d.values["sku"] for d in live if d.values.get("sku")})
        elif self.entity == "interactions":
            ids = {d.values["external_id"] for d in live if d.values.get("external_id")}
            if ids:
                found = {str(i.external_id): i for i in self.db.scalars(
                    select(Interaction).where(Interaction.external_source == SOURCE,
                                              Interaction.external_id.in_(ids)))}
        plans: list[Plan] = []
        for n, raw, data in rows:
            if data.blank:
                plans.append(Plan(n, raw, "skip", data, note="empty row"))
                continue
            if not data.errors:
                self._check(data)
            if data.errors:
                plans.append(Plan(n, raw, "error", data))
                continue
            ident = data.values.get(key) if key else None
            earlier = self.in_file.get(ident) if ident else None
            if ident:
                self.in_file.setdefault(ident, n)
            plans.append(self._required(self._decide(
                n, raw, data, found.get(ident) if ident else None, earlier)))
        return plans

    def _custom(self, data: RowData) -> None:
        """The row's custom-field cells read and checked (a bad one is a row error)."""
        try:
            data.values["custom_fields"], missing = record_custom.values(
                self.db, self.entity, data.values.get(CUSTOM_TEXTS) or {},
                day_first=self.opts.day_first)
        except ValidationFailed as exc:
            data.fail(record_custom.row_field(exc.field), exc.message)
            return
        if missing:
            data.values[MISSING] = missing

    @staticmethod
    def _required(plan: Plan) -> Plan:
        """A row that creates a record must fill its required custom fields."""
        missing = plan.data.values.get(MISSING)
        if plan.action == "create" and missing:
            plan.data.fail(*missing)
            plan.action = "error"
        return plan

    def _resolve(self, d: RowData, emails: dict[str, uuid.UUID], phones: dict[str, uuid.UUID],
                 companies: dict[str, uuid.UUID]) -> None:
        v = d.values
        if d.emails:
            cid = emails.get(d.emails[0])
            if cid is None and not v.get("contact_phone"):
                d.fail("contact_email", f"No contact you can see has the email {d.emails[0]}")
            v["contact_id"] = cid
        if v.get("contact_phone") and v.get("contact_id") is None:
            cid = phones.get(v["contact_phone"])
            if cid is None:
                d.fail("contact_phone", f"No contact you can see has the phone "
                       f"{v['contact_phone']}")
            v["contact_id"] = cid
        if v.get("company"):
            cid = companies.get(fold(v["company"]))
            if cid is None:
                d.fail("company", f"No company you can see is named '{v['company']}'")
            v["company_id"] = cid
        if self.entity == "deals":
            stage = self._stage(d)
            v["stage_id"] = stage.id if stage else None
            pipeline = self._pipelines.get(fold(v.get("pipeline")))
            v["pipeline_id"] = pipeline.id if pipeline else None

    def _check(self, data: RowData) -> None:
        """The domain schema's own validation, so the dry run reports what the run would."""
        self._custom(data)
        if data.errors:
            return
        try:
            data.model = self._model(data)
        except ValidationError as exc:
            _schema_errors(data, exc)

    def _model(self, data: RowData) -> Any:
        v = data.values
        if self.entity == "deals":
            return DealCreate.model_validate({k: v[k] for k in (
                "name", "amount", "currency", "expected_close_date", "closed_at",
                "probability", "source", "campaign", "next_step", "description",
                "contact_id", "company_id", "pipeline_id", "stage_id", "custom_fields")
                if v.get(k) is not None})
        if self.entity == "products":
            return ProductCreate.model_validate({k: v[k] for k in ("sku", *PRODUCT_SCALARS,
                                                                   "custom_fields") if k in v})
        if self.entity == "interactions":
            inbound = v.get("direction") == "inbound"
            people = [ParticipantIn(contact_id=v["contact_id"],
                                    role="from" if inbound else "to")] \
                if v.get("contact_id") else []
            return InteractionCreate.model_validate({
                **{k: v[k] for k in ("channel", "direction", "occurred_at", "subject", "body",
                                     "duration_s", "outcome", "location")
                   if v.get(k) is not None},
                "participants": people, "custom_fields": v.get("custom_fields") or None,
                **({"external_source": SOURCE, "external_id": v["external_id"]}
                   if v.get("external_id") else {})})
        return OrderLineIn.model_validate(_line_input(v))

    def _decide(self, n: int, raw: list[str], data: RowData, match: Any,
                earlier: int | None) -> Plan:
        mode = self.opts.match
        if self.entity == "interactions":
            if match is not None or earlier is not None:
                return Plan(n, raw, "skip", data, record=match, note="already imported"
                            if match is not None else f"same id as row {earlier}")
            return Plan(n, raw, "create", data)
        if self.entity == "deals":
            return self._decide_deal(n, raw, data, match, earlier)
        if self.entity != "products":
            return Plan(n, raw, "create", data)
        if match is None and earlier is not None:
            if mode == "skip":
                return Plan(n, raw, "skip", data, note=f"same SKU as row {earlier}")
            return Plan(n, raw, "update", data, note=f"same SKU as row {earlier}")
        if match is None:
            return Plan(n, raw, "create", data)
        if match.deleted_at is not None:
            data.fail("sku", "A deleted product has this SKU; restore it first")
            return Plan(n, raw, "error", data)
        if mode == "skip":
            return Plan(n, raw, "skip", data, record=match, note="already exists")
        if mode == "create":
            data.fail("sku", "A product with this SKU exists (match mode 'create')")
            return Plan(n, raw, "error", data)
        changes, previous = product_changes(match, data.values, overwrite=mode == "overwrite")
        if not changes:
            return Plan(n, raw, "skip", data, record=match, note="nothing new")
        return Plan(n, raw, "update", data, record=match, changes=changes, previous=previous)

    def _decide_deal(self, n: int, raw: list[str], data: RowData, match: Deal | None,
                     earlier: int | None) -> Plan:
        mode = self.opts.match
        if earlier is not None:
            return Plan(n, raw, "skip", data, note=f"same deal as row {earlier}")
        if match is None:
            return Plan(n, raw, "create", data)
        if mode == "skip":
            return Plan(n, raw, "skip", data, record=match, note="already exists")
        changes, previous = deal_match.changes(match, data.values,
                                               overwrite=mode == "overwrite")
        if not changes:
            return Plan(n, raw, "skip", data, record=match, note="nothing new")
        if match.id not in self._editable:
            data.fail("name", "This deal exists and you may not change it")
            return Plan(n, raw, "error", data)
        return Plan(n, raw, "update", data, record=match, changes=changes, previous=previous)

    def _plan_orders(self, rows: list[tuple[int, list[str], RowData]]) -> list[Plan]:
        groups: list[list[tuple[int, list[str], RowData]]] = []
        for item in rows:
            ref = item[2].values.get("order_ref")
            if groups and ref and groups[-1][0][2].values.get("order_ref") == ref:
                groups[-1].append(item)
            else:
                groups.append([item])
        refs = {g[0][2].values["order_ref"] for g in groups
                if g[0][2].values.get("order_ref")}
        stored = {str(r) for r in self.db.scalars(select(Order.external_ref).where(
            Order.external_ref.in_(refs)))} if refs else set()
        skus = {d.values["line_sku"] for _, _, d in rows if d.values.get("line_sku")}
        products = self._products(skus)
        plans: list[Plan] = []
        self.lines_of = {}
        for group in groups:
            made = self._plan_order(group, stored, products)
            if len(made) > 1:
                self.lines_of[made[0].row_number] = made[1:]
            plans.extend(made)
        return plans

    def _plan_order(self, group: list[tuple[int, list[str], RowData]], stored: set[str],
                    products: dict[str, Product]) -> list[Plan]:
        lead = group[0][2]
        if all(d.blank for _, _, d in group):
            return [Plan(n, raw, "skip", d, note="empty row") for n, raw, d in group]
        ref = lead.values.get("order_ref")
        lines: list[OrderLineIn] = []
        for _, _, d in group:
            if d.errors:
                continue
            sku = d.values.get("line_sku")
            product = products.get(sku) if sku else None
            if product is not None and product.deleted_at is None:
                d.values["product_id"] = product.id
            try:
                lines.append(OrderLineIn.model_validate(_line_input(d.values)))
            except ValidationError as exc:
                _schema_errors(d, exc, "line.")
        if not lead.blank:
            self._custom(lead)
        if not any(d.errors for _, _, d in group):
            try:
                lead.model = OrderCreate.model_validate({
                    **{k: lead.values[k] for k in ("number", "ordered_at", "channel", "status",
                                                   "currency", "notes", "contact_id",
                                                   "company_id", "custom_fields")
                       if lead.values.get(k)},
                    "external_ref": ref, "lines": lines})
                if lead.model.contact_id is None and lead.model.company_id is None:
                    lead.fail("contact_email", "An order needs a customer: map a contact "
                              "email or a company column")
            except ValidationError as exc:
                _schema_errors(lead, exc)
        if ref and ref in self.in_file:
            lead.fail("order_ref", f"Order {ref} already appeared at row {self.in_file[ref]}; "
                      "keep an order's lines on consecutive rows")
        if ref:
            self.in_file.setdefault(ref, group[0][0])
        bad = [d for _, _, d in group if d.errors]
        if bad:
            for _, _, d in group:
                if not d.errors:
                    d.fail("order", f"Another line of order {ref} has errors; the order is "
                           "imported whole or not at all")
            return [Plan(n, raw, "error", d) for n, raw, d in group]
        if ref in stored:
            return [Plan(n, raw, "skip", d, note=f"order {ref} is already stored"
                         if i == 0 else f"line of order {ref}")
                    for i, (n, raw, d) in enumerate(group)]
        made = [Plan(n, raw, "create", d, note=None if i == 0 else f"line of order {ref}")
                for i, (n, raw, d) in enumerate(group)]
        if self._required(made[0]).action == "error":
            for q in made[1:]:
                q.action = "error"
                q.data.fail("order", f"Order {ref} was refused: see its first line")
        return made


def _line_input(v: dict[str, Any]) -> dict[str, Any]:
    names = {"product_id": "product_id", "line_sku": "sku", "line_description": "description",
             "line_category": "category", "line_quantity": "quantity",
             "line_unit_price": "unit_price", "line_discount_percent": "discount_percent"}
    return {out: v[k] for k, out in names.items() if v.get(k) is not None}


def product_changes(p: Product, values: dict[str, Any], *,
                    overwrite: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    changes: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    for key in PRODUCT_SCALARS:
        if key not in values:
            continue
        current = getattr(p, key)
        if current == values[key]:
            continue
        if overwrite or current in (None, ""):
            changes[key], previous[key] = _json(values[key]), _json(current)
    record_custom.changes(p.custom_fields, values.get("custom_fields"), overwrite=overwrite,
                          new=changes, old=previous)
    return changes, previous


def order_batches(rows: Iterator[tuple[int, list[str]]], size: int,
                  ref_column: int | None) -> Iterator[list[tuple[int, list[str]]]]:
    """Batches of about ``size`` rows that never split the consecutive rows of one order."""
    batch: list[tuple[int, list[str]]] = []

    def ref(raw: list[str]) -> str | None:
        if ref_column is None or ref_column >= len(raw):
            return None
        return str(raw[ref_column]).strip() or None

    for item in rows:
        if len(batch) >= size and (ref(item[1]) is None or ref(item[1]) != ref(batch[-1][1])):
            yield batch
            batch = []
        batch.append(item)
    if batch:
        yield batch


def carry_out(planner: RecordPlanner, plans: list[Plan]) -> None:
    """Write one batch's plans (the caller commits); a row the service refuses is an error
    row and leaves nothing behind (each record is written in a savepoint). An order is
    written by its first row; its other rows share its fate and are not counted again."""
    db, imp = planner.db, planner.imp
    followers = {q.row_number for lines in planner.lines_of.values() for q in lines}
    for p in plans:
        if p.row_number in followers:
            continue
        try:
            with db.begin_nested():
                if p.action == "create":
                    _create(planner, p)
                elif p.action == "update":
                    _update(planner, p)
        except DomainError as exc:
            p.action = "error"
            p.data.fail(exc.field or "row", exc.message)
        group = [p, *planner.lines_of.pop(p.row_number, [])]
        for q in group:
            if p.action == "error" and q is not p and q.action != "error":
                q.action = "error"
                q.data.fail("order", f"The order was refused: {p.errors[-1]['message']}")
            if q.action == "error":
                db.add(ImportRowError(import_id=imp.id, row_number=q.row_number, raw=q.raw,
                                      errors=q.errors))
                imp.error_count += 1
        if p.action == "skip":
            imp.skipped_count += 1


def _create(planner: RecordPlanner, p: Plan) -> None:
    db, actor, v = planner.db, planner.actor, p.data.values
    rec: Any
    if planner.entity == "products" and v["sku"] in planner.created:
        p.record = planner.created[v["sku"]]
        p.changes, p.previous = product_changes(p.record, v,
                                                overwrite=planner.opts.match == "overwrite")
        if p.changes:
            _update(planner, p)
            p.action = "update"
        else:
            p.action = "skip"
        return
    if planner.entity == "deals":
        rec = deals.create_deal(db, data=p.data.model, actor=actor)
    elif planner.entity == "products":
        rec = catalogue.create_product(db, data=p.data.model, actor=actor)
        planner.created[rec.sku] = rec
    elif planner.entity == "interactions":
        rec, made = interactions.record_interaction(db, data=p.data.model, actor=actor)
        if not made:
            p.action, p.note = "skip", "already imported"
            return
    else:
        rec, made = commerce.place_order(db, data=p.data.model, actor=actor)
        if not made:
            p.action, p.note = "skip", "already stored"
            return
    db.add(ImportChange(import_id=planner.imp.id, row_number=p.row_number,
                        entity_type=KIND[planner.entity], record_id=rec.id, action="created"))
    planner.imp.created_count += 1


def _update(planner: RecordPlanner, p: Plan) -> None:
    if planner.entity == "deals":
        deal_match.apply(planner.db, deal=p.record, values=p.changes, actor=planner.actor)
        planner.db.add(ImportChange(import_id=planner.imp.id, row_number=p.row_number,
                                    entity_type="deal", record_id=p.record.id,
                                    action="updated", previous=p.previous))
        planner.imp.updated_count += 1
        return
    if p.record is None:  # the dry run's "same SKU as row n": the run finds it created
        found = planner.created.get(p.data.values["sku"])
        if found is None:
            found = planner._products({p.data.values["sku"]}).get(p.data.values["sku"])
        if found is None:
            raise DomainError("product.not_found", "The product of the earlier row is gone",
                              "sku")
        p.record = found
        p.changes, p.previous = product_changes(found, p.data.values,
                                                overwrite=planner.opts.match == "overwrite")
        if not p.changes:
            p.action = "skip"
            return
    catalogue.update_product(planner.db, product=p.record,
                             data=ProductUpdate.model_validate(p.changes), actor=planner.actor)
    planner.db.add(ImportChange(import_id=planner.imp.id, row_number=p.row_number,
                                entity_type="product", record_id=p.record.id,
                                action="updated", previous=p.previous))
    planner.imp.updated_count += 1


MODELS: dict[str, Any] = {"deal": Deal, "product": Product, "order": Order,
                          "interaction": Interaction}


def undo(db: Session, change: ImportChange, actor: User) -> bool:
    """Reverse one change: soft-delete what was created, restore an updated product or
    deal."""
    rec: Any = db.get(MODELS[change.entity_type], change.record_id)
    if rec is None:
        return False
    if change.action == "created":
        if change.entity_type == "deal":
            deals.delete_deal(db, deal=rec, actor=actor)
        elif change.entity_type == "product":
            catalogue.delete_product(db, product=rec, actor=actor)
        elif change.entity_type == "order":
            commerce.delete_order(db, order=rec, actor=actor)
        else:
            interactions.delete_interaction(db, interaction=rec, actor=actor)
        return True
    if rec.deleted_at is not None or not change.previous:
        return False
    if change.entity_type == "deal":
        deals.update_deal(db, deal=rec, data=DealUpdate.model_validate(change.previous),
                          actor=actor)
        return True
    catalogue.update_product(db, product=rec, data=ProductUpdate.model_validate(
        change.previous), actor=actor)
    return True


IMPORT_PERMISSION = {"contacts": Permission.CONTACTS_CREATE,
                     "companies": Permission.COMPANIES_CREATE,
                     "deals": Permission.DEALS_CREATE, "products": Permission.SETTINGS_MANAGE,
                     "orders": Permission.ORDERS_CREATE,
                     "interactions": Permission.CONTACTS_EDIT}


def import_permission(entity: str) -> Permission:
    """What a user needs to import (and follow an import of) ``entity``: creating such
    records; the product catalogue is settings; interactions go on contacts one may edit."""
    return IMPORT_PERMISSION[entity]
