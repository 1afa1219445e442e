"""Hand-built data for the deal scoring and recommendation tests: deals won and lost with
the activity before them (a fixed seed), and a small set of customers' baskets whose
co-purchase numbers are worked out by hand in the recommendation tests. Rows are inserted
directly (test setup); what is tested goes through the services, jobs, API, pages and CLI."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import select

from amity.activities.models import Interaction
from amity.commerce.models import Order, OrderLine, Product
from amity.contacts.models import Contact
from amity.core.db import Database
from amity.deals.models import Deal, DealStageChange, Pipeline, Stage

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


@dataclass
class Deals:
    open_busy: uuid.UUID  # an open deal with much recent activity
    open_quiet: uuid.UUID  # an open deal in the same stage with none
    open_ids: list[uuid.UUID]
    stages: dict[str, uuid.UUID]


def _stages(s: object) -> tuple[Pipeline, dict[str, Stage]]:
    pipeline = s.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))  # type: ignore[attr-defined]
    stages = {st.name: st for st in s.scalars(select(Stage).where(  # type: ignore[attr-defined]
        Stage.pipeline_id == pipeline.id))}
    return pipeline, stages


def seed_deals(database: Database, *, closed: int = 90, seed: int = 3) -> Deals:
    """``closed`` deals over the last 400 days, won far more often when activity was logged
    on them in the month before they closed; plus open deals in Proposal."""
    rng = np.random.default_rng(seed)
    with database.transaction() as s:
        pipeline, st = _stages(s)
        open_stages = ["Qualification", "Needs analysis", "Proposal", "Negotiation"]

        def add(name: str, created: datetime, stage: Stage, status: str,
                closed_at: datetime | None, activities: int, before: datetime,
                source: str) -> uuid.UUID:
            d = Deal(name=name, amount=Decimal(str(int(rng.integers(500, 20000)))),
                     currency="EUR", pipeline_id=pipeline.id, stage_id=stage.id, status=status,
                     created_at=created, closed_at=closed_at, source=source,
                     probability=stage.probability)
            s.add(d)
            s.flush()
            s.add(DealStageChange(deal_id=d.id, to_stage_id=last_open.id,
                                  to_pipeline_id=pipeline.id, changed_at=created))
            if closed_at is not None:
                s.add(DealStageChange(deal_id=d.id, from_stage_id=last_open.id,
                                      to_stage_id=stage.id, to_pipeline_id=pipeline.id,
                                      changed_at=closed_at))
            for k in range(activities):
                s.add(Interaction(channel="phone", direction="outbound", subject="Call",
                                  deal_id=d.id,
                                  occurred_at=before - timedelta(days=1 + k * 25 / max(
                                      activities, 1))))
            return d.id

        for i in range(closed):
            created = AT - timedelta(days=float(400 - i * 4))
            closed_at = created + timedelta(days=float(rng.uniform(10, 40)))
            busy = bool(rng.random() < 0.5)
            activities = int(rng.integers(3, 7)) if busy else int(rng.integers(0, 2))
            won = rng.random() < (0.85 if busy else 0.1)
            last_open = st[open_stages[int(rng.integers(0, 4))]]
            add(f"Closed {i}", created, st["Won" if won else "Lost"],
                "won" if won else "lost", closed_at, activities, closed_at,
                "Referral" if rng.random() < 0.5 else "Website")
        last_open = st["Proposal"]
        busy_id = add("Busy", AT - timedelta(days=20), st["Proposal"], "open", None, 6, AT,
                      "Website")
        quiet_id = add("Quiet", AT - timedelta(days=20), st["Proposal"], "open", None, 0, AT,
                       "Website")
        ids = [busy_id, quiet_id]
        for i in range(4):
            last_open = st[open_stages[i]]
            ids.append(add(f"Open {i}", AT - timedelta(days=10 + i), last_open, "open", None,
                           i, AT, "Referral"))
        return Deals(busy_id, quiet_id, ids, {n: v.id for n, v in st.items()})


@dataclass
class Shop:
    products: dict[str, uuid.UUID]  # by name
    customers: dict[str, uuid.UUID]  # c1 ... c6, target, newcomer


# everything each customer bought; (product, days before AT) - Echo is replaced every 30 days
BASKETS: dict[str, list[tuple[str, int]]] = {
    "c1": [("Alpha", 100), ("Bravo", 90)],
    "c2": [("Alpha", 200), ("Bravo", 150), ("Charlie", 120)],
    "c3": [("Alpha", 60), ("Charlie", 50)],
    "c4": [("Bravo", 80), ("Delta", 70)],
    "c5": [("Alpha", 40), ("Bravo", 30), ("Foxtrot", 20)],
    "c6": [("Delta", 15), ("Echo", 5)],
    "target": [("Alpha", 120), ("Echo", 40)],
}


def seed_shop(database: Database) -> Shop:
    with database.transaction() as s:
        products = {}
        for i, name in enumerate(("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot")):
            p = Product(sku=f"SKU-{i}", name=name, price=Decimal("10.00"), currency="EUR",
                        replacement_cycle_days=30 if name == "Echo" else None,
                        active=name != "Foxtrot")
            s.add(p)
            s.flush()
            products[name] = p.id
        customers = {}
        for who in [*BASKETS, "newcomer"]:
            c = Contact(first_name=who, last_name="Shopper")
            s.add(c)
            s.flush()
            customers[who] = c.id
            for name, days in BASKETS.get(who, []):
                o = Order(contact_id=c.id, ordered_at=AT - timedelta(days=days),
                          currency="EUR", total=Decimal("10.00"), status="paid")
                s.add(o)
                s.flush()
                s.add(OrderLine(order_id=o.id, product_id=products[name], sku=name,
                                description=name, quantity=Decimal("1"),
                                unit_price=Decimal("10.00"), total=Decimal("10.00")))
        # a cancelled order does not count as owning anything
        o = Order(contact_id=customers["c6"], ordered_at=AT - timedelta(days=3),
                  currency="EUR", total=Decimal("10.00"), status="cancelled")
        s.add(o)
        s.flush()
        s.add(OrderLine(order_id=o.id, product_id=products["Alpha"], sku="Alpha",
                        description="Alpha", quantity=Decimal("1"),
                        unit_price=Decimal("10.00"), total=Decimal("10.00")))
    return Shop(products, customers)
