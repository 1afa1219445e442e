"""The rows of ``amity bench seed``, made contact by contact from one seeded random stream.

Each contact comes with its emails, phones, tags and interactions (and their participants), and
sometimes a deal with the stage history that led to its stage, orders whose lines add up
(``commerce.pricing``) and a ticket. Derived columns are computed as the services compute them:
sort and search keys (``core.text.fold``), ``last_activity_at`` and ``last_contacted_at`` from
the contact's own interactions (``activities.interactions.contacted``), a deal's probability
from its stage.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from amity.activities.interactions import contacted
from amity.commerce.pricing import line_amounts, order_amounts
from amity.core.text import digits, fold
from amity.ops.seed_names import (
    CITIES,
    DOMAINS,
    FIRST_NAMES,
    JOB_TITLES,
    LAST_NAMES,
    SOURCES,
    STAGES,
    US_AREAS,
    ascii_fold,
)

Row = tuple[Any, ...]
Out = dict[str, list[Row]]

INDUSTRIES = ["Software", "Retail", "Manufacturing", "Healthcare", "Finance", "Education",
              "Hospitality", "Logistics", "Real estate", "Media"]
SIZES = [("1-10", 6), ("11-50", 30), ("51-200", 120), ("201-1000", 600), ("1001-5000", 2400)]
COMPANY_WORDS = ["Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Umbrella", "Hooli",
                 "Vandelay", "Acme", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent",
                 "Aperture", "Monarch", "Oscorp", "Wonka", "Gringotts", "Dunder"]
COMPANY_KINDS = ["Bakery", "Labs", "Logistics", "Foods", "Software", "Studio", "Partners",
                 "Clinic", "Outfitters", "Systems", "Traders", "Group"]
SUFFIXES = ["Inc.", "Ltd", "GmbH", "SAS", "LLC", ""]
CHANNEL_WEIGHTS = (("email", 50), ("call", 20), ("meeting", 10), ("chat", 10), ("sms", 5),
                   ("social", 3), ("visit", 2))
SUBJECTS = {"email": ["Re: your quote", "Follow-up on our call", "Invoice question",
                      "Order confirmation", "Welcome aboard", "Renewal reminder"],
            "call": ["Discovery call", "Support call", "Check-in", "Pricing questions"],
            "meeting": ["Quarterly review", "Product demo", "Contract negotiation", "Kick-off"],
            "chat": ["Website chat", "Delivery status", "Opening hours"],
            "sms": ["Appointment reminder", "Order ready"], "social": ["Mention", "DM"],
            "visit": ["Shop visit", "On-site visit"]}
CALL_OUTCOMES = ["connected", "connected", "connected", "no_answer", "voicemail", "busy"]
CATEGORIES = ["Pastry", "Bread", "Catering", "Hardware", "Subscriptions", "Services"]
TICKET_SUBJECTS = ["Order arrived late", "Wrong item delivered", "Cannot log in",
                   "Refund request", "Invoice is wrong", "Question about allergens",
                   "Change my subscription", "Damaged packaging"]
TICKET_STATUSES = (("new", 10), ("open", 20), ("pending_customer", 8), ("on_hold", 2),
                   ("resolved", 25), ("closed", 35))
ORDER_STATUSES = (("placed", 5), ("paid", 10), ("fulfilled", 80), ("cancelled", 3),
                  ("refunded", 2))
DAY = 86_400
HISTORY_DAYS = 3 * 365


@dataclass
class Ref:
    """Reference data the bulk rows point at."""

    reps: list[uuid.UUID]
    tags: list[uuid.UUID]
    pipeline: uuid.UUID
    open_stages: list[tuple[uuid.UUID, int]]  # (id, probability) in board order
    won: uuid.UUID
    lost: uuid.UUID
    products: list[tuple[uuid.UUID, str, str, str, Decimal]]  # id, sku, name, category, price
    first_ticket: int


@dataclass(frozen=True)
class Ratios:
    interactions: float
    deals: float
    orders: float
    tickets: float
    seed: int


class RowMaker:
    """Makes rows into ``out`` (table name -> rows); every value depends only on the seed."""

    def __init__(self, ratios: Ratios, anchor: datetime, ref: Ref) -> None:
        self.ratios, self.anchor, self.ref = ratios, anchor, ref
        self.rng = random.Random(ratios.seed)
        self.companies: list[tuple[uuid.UUID, str]] = []
        self.n_contacts = self.n_orders = 0
        self.next_ticket = ref.first_ticket
        self._probability = dict(ref.open_stages)

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def between(self, start: datetime, fraction: float = 1.0) -> datetime:
        """A time from ``start`` to ``start + fraction`` of the way to the anchor."""
        return start + (self.anchor - start) * (self.rng.random() * fraction)

    def count(self, mean: float) -> int:
        """A non-negative whole number averaging ``mean`` (uniform on 0..2*mean)."""
        whole = int(2 * mean)
        n = self.rng.randint(0, whole) if whole else 0
        frac = 2 * mean - whole
        return n + (1 if frac and self.rng.random() < frac / 2 else 0)

    def record(self, created: datetime, updated: datetime | None = None) -> Row:
        """id, created_at, updated_at, version, owner_id, custom_fields."""
        return (self.uid(), created, updated or created, 1, self.rng.choice(self.ref.reps), {})

    def company(self, out: Out) -> None:
        r = self.rng
        word, kind = r.choice(COMPANY_WORDS), r.choice(COMPANY_KINDS)
        n = len(self.companies) + 1
        name = f"{word} {kind} {r.choice(SUFFIXES)}".strip() + (f" {n}" if n > 200 else "")
        domain = f"{ascii_fold(word)}-{ascii_fold(kind)}{n}.example"
        size, employees = r.choice(SIZES)
        created = self.anchor - timedelta(seconds=r.randint(HISTORY_DAYS * DAY,
                                                            (HISTORY_DAYS + 365) * DAY))
        row = (*self.record(created), name, fold(name), domain, f"https://www.{domain}",
               r.choice(INDUSTRIES), size, r.randint(max(1, employees // 2), employees * 2))
        self.companies.append((row[0], domain))
        out["companies"].append(row)

    def phone(self) -> str:
        r = self.rng
        if r.random() < 0.8:
            return f"+1{r.choice(US_AREAS)}{r.randint(201, 989)}{r.randint(0, 9999):04d}"
        return f"+44207{r.randint(100, 999)}{r.randint(0, 9999):04d}"

    def contact(self, out: Out) -> None:
        r, ref = self.rng, self.ref
        self.n_contacts += 1
        n = self.n_contacts
        first, last = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
        company = r.choice(self.companies) if self.companies and r.random() < 0.6 else None
        created = self.anchor - timedelta(seconds=r.randint(0, HISTORY_DAYS * DAY))
        base = self.record(created, self.between(created, 0.2))
        cid, owner = base[0], base[4]
        local = f"{ascii_fold(first)}.{ascii_fold(last)}{n}"
        emails = [f"{local}@{company[1] if company else r.choice(DOMAINS)}"]
        if r.random() < 0.3:
            emails.append(f"{ascii_fold(first)}{n}@gmail.com")
        for i, e in enumerate(emails):
            out["contact_emails"].append((self.uid(), cid, e, ("work", "home")[i], i == 0, i))
        phones = [self.phone() for _ in range(r.choices((0, 1, 2), (2, 6, 2))[0])]
        for i, p in enumerate(phones):
            out["contact_phones"].append((self.uid(), cid, p, ("mobile", "work")[i], i == 0, i))
        for tag in r.sample(ref.tags, min(len(ref.tags), r.choices((0, 1, 2, 3), (4, 3, 2, 1))[0])):
            out["contact_tags"].append((cid, tag))
        addresses: list[dict[str, Any]] = []
        if r.random() < 0.25:
            city, region, country = r.choice(CITIES)
            addresses.append({"label": "work", "street": f"{r.randint(1, 999)} Main Street",
                              "city": city, "region": region, "country": country,
                              "postal_code": f"{r.randint(10000, 99999)}"})
        company_id = company[0] if company else None
        last_activity, last_contacted = self.interactions(out, cid, owner, company_id, created)
        stage = r.choice(STAGES)
        search = " ".join(p for p in [fold(f"{first} {last}"), *emails,
                                      *(digits(p) for p in phones)] if p)
        out["contacts"].append((
            *base, first, last, r.choice(JOB_TITLES), company_id, stage, r.choice(SOURCES),
            r.random() < 0.02, addresses, [], [], last_contacted, last_activity,
            fold(f"{last} {first}"), search))
        keen = stage in ("opportunity", "customer", "evangelist")
        if r.random() < self.ratios.deals * (2 if keen else 0.5):
            self.deal(out, cid, owner, company_id, created, f"{first} {last}")
        for _ in range(self.count(self.ratios.orders * (3 if keen else 0.3))):
            self.order(out, cid, company_id, created)
        if r.random() < self.ratios.tickets:
            self.ticket(out, cid, company_id, created)

    def interactions(self, out: Out, cid: uuid.UUID, owner: uuid.UUID,
                     company_id: uuid.UUID | None, created: datetime
                     ) -> tuple[datetime | None, datetime | None]:
        r = self.rng
        last: datetime | None = None
        contacted_at: datetime | None = None
        span = max(1, int((self.anchor - created).total_seconds()))
        channels = [c for c, _ in CHANNEL_WEIGHTS]
        weights = [w for _, w in CHANNEL_WEIGHTS]
        for _ in range(self.count(self.ratios.interactions)):
            channel = r.choices(channels, weights)[0]
            direction = "outbound" if r.random() < 0.55 else "inbound"
            # one in fifty is booked for the next two weeks (a meeting, a call back)
            at = (self.anchor + timedelta(seconds=r.randint(3600, 14 * DAY))
                  if r.random() < 0.02 else created + timedelta(seconds=r.randint(0, span)))
            duration = r.randint(60, 3600) if channel in ("call", "meeting") else None
            outcome = r.choice(CALL_OUTCOMES) if channel == "call" else None
            rec = self.record(at)
            out["interactions"].append((*rec, channel, direction, r.choice(SUBJECTS[channel]),
                                        at, duration, outcome, company_id, None))
            role = "attendee" if channel == "meeting" else (
                "from" if direction == "inbound" else "to")
            out["interaction_participants"].append(
                (self.uid(), rec[0], cid, None, role, 0, at, channel, direction, True))
            if r.random() < 0.3:
                mine = "organiser" if channel == "meeting" else (
                    "to" if direction == "inbound" else "from")
                out["interaction_participants"].append(
                    (self.uid(), rec[0], None, owner, mine, 1, at, channel, direction, True))
            if at <= self.anchor:
                last = at if last is None or at > last else last
                if contacted(direction, channel) and (contacted_at is None or at > contacted_at):
                    contacted_at = at
        return last, contacted_at

    def deal(self, out: Out, cid: uuid.UUID, owner: uuid.UUID, company_id: uuid.UUID | None,
             created: datetime, who: str) -> None:
        r, ref = self.rng, self.ref
        opened = self.between(created)
        base = self.record(opened)
        did = base[0]
        # how far it got: one of the open stages, or through all of them to won or lost
        reach = r.randint(1, len(ref.open_stages) + 1)
        path = [s for s, _ in ref.open_stages[:min(reach, len(ref.open_stages))]]
        if reach > len(ref.open_stages):
            path.append(ref.won if r.random() < 0.4 else ref.lost)
        at, entered = opened, opened
        prev: uuid.UUID | None = None
        for stage in path:
            out["deal_stage_changes"].append((self.uid(), did, prev, stage,
                                              ref.pipeline if prev else None, ref.pipeline,
                                              at, owner))
            entered, prev = at, stage
            at = self.between(at, 0.3)
        assert prev is not None
        status = "won" if prev == ref.won else "lost" if prev == ref.lost else "open"
        probability = (100 if status == "won" else 0 if status == "lost"
                       else self._probability[prev])
        closed = entered if status != "open" else None
        close_date = (closed.date() if closed else
                      (self.anchor + timedelta(days=r.randint(-10, 120))).date())
        out["deals"].append((
            *base[:2], entered, *base[3:], f"{who}: {r.choice(CATEGORIES).lower()}",
            fold(f"{who}: {r.choice(CATEGORIES)}")[:300], Decimal(r.randint(5, 5000) * 10),
            "USD", close_date, probability, False, ref.pipeline, prev, r.random() * 1000,
            status, entered, cid, company_id, r.choice(SOURCES), closed, entered))

    def order(self, out: Out, cid: uuid.UUID, company_id: uuid.UUID | None,
              created: datetime) -> None:
        r, ref = self.rng, self.ref
        self.n_orders += 1
        ordered = self.between(created)
        base = self.record(ordered)
        amounts = []
        picked = r.sample(ref.products, min(len(ref.products),
                                            r.choices((1, 2, 3, 4), (5, 3, 1, 1))[0]))
        for pos, (pid, sku, name, category, price) in enumerate(picked):
            qty = Decimal(r.choice((1, 1, 1, 2, 3, 6, 12)))
            discount = Decimal(r.choice((0, 0, 0, 5, 10)))
            la = line_amounts(qty, price, discount)
            amounts.append(la)
            out["order_lines"].append((self.uid(), base[0], pid, sku, name, category, qty,
                                       price, discount, la.total, pos))
        total = order_amounts(amounts)
        status = r.choices([s for s, _ in ORDER_STATUSES], [w for _, w in ORDER_STATUSES])[0]
        out["orders"].append((
            *base, f"S{self.ratios.seed}-{self.n_orders:08d}", None, cid, company_id, ordered,
            r.choice(("store", "web", "web", "phone", "sales")), status, "USD",
            total.subtotal, total.discount_total, total.total))

    def ticket(self, out: Out, cid: uuid.UUID, company_id: uuid.UUID | None,
               created: datetime) -> None:
        r, ref = self.rng, self.ref
        opened = self.between(created)
        status = r.choices([s for s, _ in TICKET_STATUSES], [w for _, w in TICKET_STATUSES])[0]
        answered = (opened + timedelta(seconds=r.randint(600, 2 * DAY))
                    if status != "new" else None)
        resolved = closed = None
        if status in ("resolved", "closed") and answered:
            resolved = answered + timedelta(seconds=r.randint(3600, 5 * DAY))
            closed = resolved + timedelta(days=3) if status == "closed" else None
        base = self.record(opened, closed or resolved or answered or opened)
        product = r.choice(ref.products)[0] if r.random() < 0.3 else None
        out["tickets"].append((
            *base, self.next_ticket, r.choice(TICKET_SUBJECTS), status,
            r.choices(("low", "normal", "high", "urgent"), (2, 6, 2, 1))[0],
            r.choice(("email", "phone", "chat", "web_form")), r.choice(CATEGORIES), cid,
            company_id, r.choice(ref.reps), product, answered, resolved, closed, 0))
        self.next_ticket += 1
