"""Seeded pipeline data for bench/pipeline.py, written with PostgreSQL COPY (no ORM per row).

Companies and contacts to hang deals and orders on; a second pipeline ("Renewals") beside the
seeded "New business"; N deals spread over two years of creation dates, both pipelines, their
stages (more deals in early stages), 20 owners with an uneven share each (5% unowned), three
currencies, log-normal amounts and cycle lengths, expected close dates from a month ago to nine
months ahead (8% without one), some forecast-category and probability overrides, 1% deleted,
and the stage history that got each deal where it is; products, orders and order lines.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from datagen import FIRST_NAMES, LAST_NAMES, ascii_fold

RENEWAL_STAGES = [  # name, kind, probability, forecast category
    ("Upcoming", "open", 30, "pipeline"), ("Quoted", "open", 60, "best_case"),
    ("Verbal yes", "open", 90, "commit"), ("Renewed", "won", 100, "closed"),
    ("Churned", "lost", 0, "omitted")]
CURRENCIES = (("EUR", 6), ("USD", 3), ("GBP", 1))
SOURCES = ("website", "referral", "trade show", "cold call", "linkedin", "partner", None)
INDUSTRIES = ("Bakery", "Software", "Retail", "Logistics", "Health", "Finance", "Education")
CATEGORIES = ("Bread", "Pastry", "Coffee", "Equipment", "Training", "Subscription")
ORDER_STATUS = (("fulfilled", 70), ("paid", 12), ("placed", 10), ("cancelled", 5),
                ("refunded", 3))
CHANNELS = ("store", "web", "phone", "marketplace", "sales")
DAY = timedelta(days=1)


def copy(conn: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into ``table``; returns how many."""
    n = 0
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


RECORD = ("id", "created_at", "updated_at", "version", "owner_id", "deleted_at",
          "custom_fields")


class PipelineData:
    """Deterministic for a seed. ``stages`` maps pipeline id -> [(id, kind, probability)]."""

    def __init__(self, seed: int, now: datetime, owners: list[uuid.UUID],
                 stages: dict[uuid.UUID, list[tuple[uuid.UUID, str, int]]],
                 lost_reasons: list[uuid.UUID]) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.owners = owners
        self.owner_weights = [1 / (i + 1) ** 0.7 for i in range(len(owners))]
        self.stages = stages
        self.lost_reasons = lost_reasons
        self.companies: list[uuid.UUID] = []
        self.contacts: list[uuid.UUID] = []
        self.won: list[tuple[uuid.UUID, uuid.UUID | None, str]] = []  # deal, contact, currency
        self.open_deals: list[uuid.UUID] = []

    def _uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _owner(self) -> uuid.UUID | None:
        if self.rng.random() < 0.05:
            return None
        return self.rng.choices(self.owners, self.owner_weights)[0]

    def _record(self, created: datetime, owner: uuid.UUID | None = None,
                deleted: bool = False) -> tuple[Any, ...]:
        return (self._uid(), created, created, 1, owner, created + DAY if deleted else None,
                "{}")

    def _past(self, days: int) -> datetime:
        return self.now - timedelta(seconds=self.rng.randint(3600, days * 86400))

    # ---------------------------------------------------------------- companies, contacts
    def companies_rows(self, n: int) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        cols = ["name", "sort_name", "industry", *RECORD]

        def rows() -> Iterator[tuple[Any, ...]]:
            for i in range(n):
                name = f"{self.rng.choice(LAST_NAMES)} {self.rng.choice(INDUSTRIES)} {i}"
                rec = self._record(self._past(900), self._owner())
                self.companies.append(rec[0])
                yield (name, name.lower(), self.rng.choice(INDUSTRIES), *rec)
        return cols, rows()

    def contacts_rows(self, n: int) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        cols = ["first_name", "last_name", "lifecycle_stage", "company_id", "do_not_contact",
                "addresses", "social_profiles", "important_dates", "sort_name", "search_text",
                *RECORD]

        def rows() -> Iterator[tuple[Any, ...]]:
            for _ in range(n):
                first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
                company = self.rng.choice(self.companies) if self.rng.random() < 0.7 else None
                rec = self._record(self._past(900), self._owner())
                self.contacts.append(rec[0])
                folded = f"{ascii_fold(first)} {ascii_fold(last)}"
                yield (first, last, "customer", company, False, "[]", "[]", "[]",
                       f"{last} {first}".lower(), folded, *rec)
        return cols, rows()

    # ---------------------------------------------------------------- deals and history
    DEAL_COLS = ("name", "sort_name", "amount", "currency", "expected_close_date",
                 "probability", "probability_overridden", "forecast_category", "pipeline_id",
                 "stage_id", "rank", "status", "stage_entered_at", "contact_id", "company_id",
                 "source", "closed_at", "lost_reason_id", "last_activity_at", *RECORD)
    CHANGE_COLS = ("id", "deal_id", "from_stage_id", "to_stage_id", "from_pipeline_id",
                   "to_pipeline_id", "changed_at", "actor_id")

    def deals(self, n: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """(deal rows, stage change rows)."""
        r = self.rng
        pipelines = list(self.stages)
        deals: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        rank: dict[uuid.UUID, float] = {}
        for i in range(n):
            pipeline = pipelines[0] if r.random() < 0.7 else pipelines[1]
            stages = self.stages[pipeline]
            opens = [s for s in stages if s[1] == "open"]
            won = next(s for s in stages if s[1] == "won")
            lost = next(s for s in stages if s[1] == "lost")
            created = self._past(730)
            outcome = r.choices(("open", "won", "lost"), (40, 35, 25))[0]
            if outcome == "open" and created < self.now - 400 * DAY:
                outcome = r.choice(("won", "lost"))  # old deals are mostly decided
            cycle = timedelta(days=min(300.0, r.lognormvariate(3.4, 0.7)))
            if outcome == "open":
                depth = r.choices(range(len(opens)), [35, 25, 22, 18][:len(opens)])[0]
                path = opens[:depth + 1]
                end = self.now
            else:
                path = [*opens[:r.randint(1, len(opens))], won if outcome == "won" else lost]
                end = min(self.now - timedelta(minutes=5), created + cycle)
            times = sorted(created + (end - created) * r.random() for _ in path[1:])
            times = [created, *times]
            owner = self._owner()
            deal_id = self._uid()
            prev: tuple[uuid.UUID, str, int] | None = None
            for stage, at in zip(path, times, strict=True):
                changes.append((self._uid(), deal_id, prev[0] if prev else None, stage[0],
                                pipeline if prev else None, pipeline, at, owner))
                prev = stage
            stage = path[-1]
            rank[stage[0]] = rank.get(stage[0], 0.0) + 1024.0
            closed_at = times[-1] if outcome != "open" else None
            close_date = None
            if outcome == "open" and r.random() > 0.08:
                close_date = (self.now + timedelta(days=r.randint(-30, 270))).date()
            overridden = r.random() < 0.1
            probability = r.randint(5, 95) if overridden else stage[2]
            category = r.choice(("pipeline", "best_case", "commit", "omitted")) \
                if outcome == "open" and r.random() < 0.05 else None
            currency = r.choices([c for c, _ in CURRENCIES], [w for _, w in CURRENCIES])[0]
            cents = int(r.lognormvariate(12.9, 1.0)) // 100 * 100 + r.choice((0, 0, 50, 99))
            contact = r.choice(self.contacts) if r.random() < 0.9 else None
            company = r.choice(self.companies) if r.random() < 0.8 else None
            name = f"{r.choice(LAST_NAMES)} - {r.choice(CATEGORIES)} {i}"
            record = (deal_id, created, times[-1], len(path), owner,
                      times[-1] + DAY if r.random() < 0.01 else None, "{}")
            deals.append((name, name.lower(), cents, currency, close_date, probability,
                          overridden, category, pipeline, stage[0], rank[stage[0]], outcome,
                          times[-1], contact, company, r.choice(SOURCES), closed_at,
                          r.choice(self.lost_reasons) if outcome == "lost" else None,
                          times[-1], *record))
            if outcome == "won":
                self.won.append((deal_id, contact, currency))
            elif outcome == "open" and record[5] is None:
                self.open_deals.append(deal_id)
        return deals, changes

    # ---------------------------------------------------------------- catalogue and orders
    def products_rows(self, n: int) -> tuple[list[str], list[tuple[Any, ...]]]:
        cols = ["sku", "name", "sort_name", "category", "price", "currency", "active", *RECORD]
        rows = []
        for i in range(n):
            name = f"{self.rng.choice(CATEGORIES)} item {i}"
            cents = self.rng.randint(1, 5000) * 4  # divisible by 4: 25%/50% discounts exact
            rows.append((f"SKU-{i:05d}", name, name.lower(), self.rng.choice(CATEGORIES),
                         cents * 100, "EUR", True, *self._record(self._past(900))))
        return cols, rows

    ORDER_COLS = ("number", "contact_id", "company_id", "deal_id", "ordered_at", "channel",
                  "status", "currency", "subtotal", "discount_total", "total", *RECORD)
    LINE_COLS = ("id", "order_id", "product_id", "sku", "description", "category", "quantity",
                 "unit_price", "discount_percent", "total", "position")

    def orders(self, n: int, lines_per_order: float,
               products: list[tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]],
                                                         list[tuple[Any, ...]]]:
        """(order rows, line rows): 1 to 2 x ``lines_per_order`` - 1 lines each; totals add
        up exactly (discounts of 25% or 50% on prices divisible by 4 cents)."""
        r = self.rng
        orders, lines = [], []
        won = list(self.won)
        r.shuffle(won)
        top = max(1, round(2 * lines_per_order - 1))
        statuses = [s for s, _ in ORDER_STATUS], [w for _, w in ORDER_STATUS]
        for i in range(n):
            deal_id, contact, currency = (won.pop() if won and r.random() < 0.1
                                          else (None, r.choice(self.contacts), "EUR"))
            order_id = self._uid()
            subtotal = discount = 0
            for pos in range(r.randint(1, top)):
                p = r.choice(products)
                qty = r.randint(1, 10)
                pct = r.choices((0, 25, 50), (85, 10, 5))[0]
                gross = qty * (p[4] // 100)
                total = gross * (100 - pct) // 100
                subtotal, discount = subtotal + gross, discount + gross - total
                lines.append((self._uid(), order_id, p[7], p[0], p[1], p[3], qty * 1000, p[4],
                              pct * 100, total, pos))
            ordered = self._past(730)
            orders.append((f"SO-{i:07d}", contact, None, deal_id, ordered,
                           r.choice(CHANNELS), r.choices(*statuses)[0], currency, subtotal,
                           discount, subtotal - discount, order_id, ordered, ordered, 1,
                           self._owner(), None, json.dumps({})))
        return orders, lines


def utc_now() -> datetime:
    return datetime.now(UTC)
