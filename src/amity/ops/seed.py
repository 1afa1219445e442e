"""Scale data for benchmarks (``amity bench seed``): a whole CRM's worth of consistent records.

Companies; contacts with emails, phones, tags and their company; interactions with their
participants; deals in the default pipeline with their stage history; products; orders whose
lines add up; tickets with consecutive numbers (``seed_rows`` makes the rows). Sort and search
columns are computed as the services compute them, so lists sort and search finds
(PostgreSQL's trigram indexes are built over them; SQLite's FTS5 triggers fire on insert).

Deterministic: the same seed and anchor day give the same rows, keys included. Rows are made
contact by contact in chunks and written as they are made (memory stays flat), by COPY on
PostgreSQL and executemany on SQLite (``seed_writers``), in one transaction. Small reference
data (sales reps, tags, products) goes through the services, so it is what the application
itself writes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from amity.activities.models import Interaction, InteractionParticipant
from amity.auth import service as auth
from amity.auth.models import User
from amity.commerce.models import Order, OrderLine, Product
from amity.companies.models import Company
from amity.contacts.models import Contact, ContactEmail, ContactPhone, contact_tags
from amity.core.db import Database
from amity.core.tags import get_or_create_tags
from amity.deals.models import Deal, DealStageChange, Pipeline, Stage
from amity.ops.seed_names import FIRST_NAMES, LAST_NAMES, TAGS
from amity.ops.seed_rows import CATEGORIES, Out, Ratios, Ref, RowMaker
from amity.ops.seed_writers import (
    PostgresCopyWriter,
    SeedError,
    SqliteWriter,
    Writer,
    check_columns,
    create_indexes,
    drop_plain_indexes,
    skip_fk_triggers,
)
from amity.tickets.models import Ticket, TicketCounter

__all__ = ["COLUMNS", "SeedError", "SeedPlan", "SeedReport", "seed"]

REP_DOMAIN = "seed.amity.example"
SKU_PREFIX = "SEED-"
PRODUCTS = 200
RECORD = ("id", "created_at", "updated_at", "version", "owner_id", "custom_fields")

# table name -> (table, the columns of its rows, in order); parents before children
COLUMNS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "companies": (Company.__table__, (
        *RECORD, "name", "sort_name", "domain", "website", "industry", "size",
        "employee_count")),
    "contacts": (Contact.__table__, (
        *RECORD, "first_name", "last_name", "job_title", "company_id", "lifecycle_stage",
        "source", "do_not_contact", "addresses", "social_profiles", "important_dates",
        "last_contacted_at", "last_activity_at", "sort_name", "search_text")),
    "contact_emails": (ContactEmail.__table__, (
        "id", "contact_id", "email", "label", "is_primary", "position")),
    "contact_phones": (ContactPhone.__table__, (
        "id", "contact_id", "e164", "label", "is_primary", "position")),
    "contact_tags": (contact_tags, ("contact_id", "tag_id")),
    "interactions": (Interaction.__table__, (
        *RECORD, "channel", "direction", "subject", "occurred_at", "duration_s", "outcome",
        "company_id", "deal_id")),
    "interaction_participants": (InteractionParticipant.__table__, (
        "id", "interaction_id", "contact_id", "user_id", "role", "position", "occurred_at",
        "channel", "direction", "active")),
    "deals": (Deal.__table__, (
        *RECORD, "name", "sort_name", "amount", "currency", "expected_close_date",
        "probability", "probability_overridden", "pipeline_id", "stage_id", "rank", "status",
        "stage_entered_at", "contact_id", "company_id", "source", "closed_at",
        "last_activity_at")),
    "deal_stage_changes": (DealStageChange.__table__, (
        "id", "deal_id", "from_stage_id", "to_stage_id", "from_pipeline_id", "to_pipeline_id",
        "changed_at", "actor_id")),
    "orders": (Order.__table__, (
        *RECORD, "number", "external_ref", "contact_id", "company_id", "ordered_at",
        "channel", "status", "currency", "subtotal", "discount_total", "total")),
    "order_lines": (OrderLine.__table__, (
        "id", "order_id", "product_id", "sku", "description", "category", "quantity",
        "unit_price", "discount_percent", "total", "position")),
    "tickets": (Ticket.__table__, (
        *RECORD, "number", "subject", "status", "priority", "channel", "category",
        "contact_id", "company_id", "assignee_id", "product_id", "first_responded_at",
        "resolved_at", "closed_at", "sla_paused_seconds")),
}
ORDER = list(COLUMNS)


@dataclass(frozen=True)
class SeedPlan:
    """How much to make. Ratios are per contact; the anchor is "now" for the data (by default
    today at 00:00 UTC, so the same seed gives the same rows all day)."""

    contacts: int
    interactions_per_contact: float = 10.0
    seed: int = 42
    anchor: datetime | None = None
    companies_per_contact: float = 0.05
    deals_per_contact: float = 0.1
    orders_per_contact: float = 0.2
    tickets_per_contact: float = 0.05
    chunk: int = 5_000
    rebuild_indexes: bool | None = None  # None: when loading 50,000 contacts or more (PG)

    def check(self) -> None:
        if self.contacts < 1:
            raise SeedError("--contacts must be at least 1")
        if not 0 <= self.interactions_per_contact <= 1000:
            raise SeedError("--interactions-per-contact must be between 0 and 1000")
        for name in ("companies", "deals", "orders", "tickets"):
            if not 0 <= getattr(self, f"{name}_per_contact") <= 10:
                raise SeedError(f"--{name}-per-contact must be between 0 and 10")
        if self.chunk < 1:
            raise SeedError("chunk must be at least 1")


@dataclass
class SeedReport:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    indexes_rebuilt: int = 0
    fk_checks_skipped: bool = False


def _reference(database: Database, plan: SeedPlan) -> Ref:
    """Sales reps, tags and products through the services; the default pipeline's stages."""
    from amity.commerce.catalogue import create_product
    from amity.commerce.schemas import ProductCreate
    from amity.deals.queries import default_pipeline
    from amity.tickets.service import FIRST_NUMBER

    rng = random.Random(plan.seed ^ 0x5EED)
    with database.transaction() as s:
        if s.scalar(select(func.count()).select_from(Product)
                    .where(Product.sku == f"{SKU_PREFIX}0001")):
            raise SeedError("this database is already seeded (product SEED-0001 exists): "
                            "seed an empty, migrated database")
        reps = []
        for i in range(1, 9):
            email = f"rep{i}@{REP_DOMAIN}"
            user = s.scalar(select(User).where(User.email == email)) or auth.create_user(
                s, email=email, name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
            reps.append(user)
        made = get_or_create_tags(s, TAGS)
        s.flush()  # new tags get their keys
        tags = [t.id for t in made]
        products = []
        for i in range(1, PRODUCTS + 1):
            category = rng.choice(CATEGORIES)
            p = create_product(s, actor=reps[0], data=ProductCreate(
                sku=f"{SKU_PREFIX}{i:04d}", name=f"{category} item {i}", category=category,
                price=Decimal(rng.randint(150, 50_000)) / 100, currency="USD"))
            products.append((p.id, p.sku, p.name, category, p.price))
        pipe: Pipeline | None = default_pipeline(s)
        if pipe is None:
            raise SeedError("no default pipeline: run 'amity db upgrade' first")
        stages = list(s.scalars(select(Stage).where(Stage.pipeline_id == pipe.id,
                                                    Stage.archived_at.is_(None))
                                .order_by(Stage.position)))
        open_ = [(st.id, st.probability) for st in stages if st.kind == "open"]
        won = next((st.id for st in stages if st.kind == "won"), None)
        lost = next((st.id for st in stages if st.kind == "lost"), None)
        if not open_ or won is None or lost is None:
            raise SeedError("the default pipeline needs open, won and lost stages")
        counter = s.scalar(select(TicketCounter.value).where(TicketCounter.name == "ticket"))
        highest = s.scalar(select(func.max(Ticket.number)))
        first_ticket = max(FIRST_NUMBER, (counter or 0) + 1, (highest or 0) + 1)
        return Ref(reps=[u.id for u in reps], tags=tags, pipeline=pipe.id, open_stages=open_,
                   won=won, lost=lost, products=products, first_ticket=first_ticket)


def anchor_of(plan: SeedPlan) -> datetime:
    if plan.anchor is not None:
        return plan.anchor.astimezone(UTC)
    today = datetime.now(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC)


def seed(database: Database, plan: SeedPlan,
         progress: Callable[[int], None] | None = None) -> SeedReport:
    """Write ``plan.contacts`` contacts and everything around them; returns row counts."""
    plan.check()
    for table, columns in COLUMNS.values():
        check_columns(table, columns)
    t0 = time.perf_counter()
    ref = _reference(database, plan)
    maker = RowMaker(Ratios(interactions=plan.interactions_per_contact,
                            deals=plan.deals_per_contact, orders=plan.orders_per_contact,
                            tickets=plan.tickets_per_contact, seed=plan.seed),
                     anchor_of(plan), ref)
    report = SeedReport(counts=dict.fromkeys(ORDER, 0))
    postgres = database.engine.dialect.name == "postgresql"
    rebuild = postgres and (plan.rebuild_indexes if plan.rebuild_indexes is not None
                            else plan.contacts >= 50_000)
    with database.engine.execution_options(amity_write=True).begin() as conn:
        writer: Writer
        if postgres:
            report.fk_checks_skipped = skip_fk_triggers(conn)
            writer = PostgresCopyWriter(conn)
        else:
            writer = SqliteWriter(conn)
        indexes = drop_plain_indexes(conn, ORDER) if rebuild else []
        out: Out = {name: [] for name in ORDER}
        if plan.companies_per_contact:
            for _ in range(max(1, round(plan.contacts * plan.companies_per_contact))):
                maker.company(out)
        _flush(writer, out, report)
        done = 0
        while done < plan.contacts:
            step = min(plan.chunk, plan.contacts - done)
            for _ in range(step):
                maker.contact(out)
            _flush(writer, out, report)
            done += step
            if progress:
                progress(done)
        if maker.next_ticket > ref.first_ticket:
            _set_ticket_counter(conn, maker.next_ticket - 1)
        if indexes:
            create_indexes(conn, indexes)
        report.indexes_rebuilt = len(indexes)
    if postgres:  # fresh statistics and visibility maps, as autovacuum would leave them
        with database.engine.connect() as c:
            c.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE " + ", ".join(f'"{t}"' for t in ORDER))
    report.seconds = time.perf_counter() - t0
    return report


def _flush(writer: Writer, out: Out, report: SeedReport) -> None:
    for name in ORDER:
        rows = out[name]
        if rows:
            table, columns = COLUMNS[name]
            writer.write(table, columns, rows)
            report.counts[name] += len(rows)
            rows.clear()


def _set_ticket_counter(conn: Connection, value: int) -> None:
    done = conn.execute(update(TicketCounter).where(TicketCounter.name == "ticket")
                        .values(value=value))
    if done.rowcount == 0:
        conn.execute(insert(TicketCounter).values(name="ticket", value=value))
