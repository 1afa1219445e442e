"""Demo data: a neighbourhood bakery's customers and a B2B account with a few hundred contacts.

Loaded by ``amity demo`` through the same services the API uses, so it is validated, audited
and searchable like real data. Deterministic (fixed seed) and loaded at most once.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amity.auth import service as auth
from amity.auth.models import User
from amity.commerce.catalogue import create_product
from amity.commerce.schemas import OrderCreate, ProductCreate
from amity.commerce.service import place_order
from amity.companies.schemas import CompanyCreate
from amity.companies.service import create_company
from amity.contacts.models import Contact
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.clock import now
from amity.core.customfields import create_definition
from amity.core.schemas import Address, ImportantDate, SocialProfile
from amity.deals.pipelines import create_pipeline
from amity.deals.queries import default_pipeline
from amity.deals.schemas import DealCreate, PipelineCreate, StageCreate
from amity.deals.service import create_deal
from amity.notes.schemas import NoteCreate
from amity.notes.service import add_note

DEMO_EMAIL = "demo@amity.example"
DEMO_PASSWORD = "amity-demo-password"  # noqa: S105  (printed to the user on purpose)

FIRST = ["Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Ava", "Elijah", "Sophia",
         "Lucas", "Mia", "Mateo", "Isabella", "Levi", "Chloé", "Hugo", "Léa", "Jonas", "Zoë",
         "Ines", "Priya", "Arjun", "Mei", "Kenji", "Fatima", "Omar", "Sven", "Ingrid", "Diego",
         "Lucía", "Tomás", "Aoife", "Siobhan", "Kwame", "Ama", "Nikolai", "Anya", "Rafael"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Martinez",
        "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Lee",
        "Dubois", "Müller", "Rossi", "Novak", "Kowalski", "Nakamura", "Okafor", "Haddad",
        "Andersson", "O'Brien", "Fernández", "Patel", "Chen", "Kim", "Nguyen", "Silva"]
TITLES = ["Buyer", "Procurement Manager", "Office Manager", "Head of Facilities", "CFO",
          "Executive Assistant", "Catering Coordinator", "HR Manager", "Event Planner",
          "Operations Lead", "Engineer", "Account Manager", "Designer", "Analyst"]
DEPARTMENTS = ["Facilities", "Finance", "HR", "Engineering", "Sales", "Operations", "Marketing"]


def _bakery_regulars() -> list[tuple[ContactCreate, list[str]]]:
    """Hand-written customers of the bakery, with the details a good shopkeeper remembers."""
    return [
        (ContactCreate(
            first_name="Margaret", last_name="Holloway", lifecycle_stage="customer",
            source="walk-in", preferred_channel="phone",
            best_time_to_contact="Tuesday mornings",
            emails=[{"email": "margaret.holloway@example.com"}],
            phones=[{"number": "+1 415 555 0142", "label": "mobile"}],
            birthday=date(1958, 4, 12), tags=["regular", "nut allergy"],
            personal_notes="Comes in every Tuesday around 8:30 for two chocolate croissants. "
                           "Severe NUT ALLERGY: never offer anything with almonds or "
                           "hazelnuts. Her granddaughter Lily's birthday is in June.",
            important_dates=[ImportantDate(label="Granddaughter Lily's birthday",
                                           date=date(2017, 6, 3))],
            addresses=[Address(label="home", street="12 Alder Lane", city="San Francisco",
                               region="CA", postal_code="94110", country="US")],
            custom_fields={"favourite_item": "Chocolate croissant",
                           "loyalty_card": True}),
         ["Asked whether we could make a nut-free birthday cake for Lily in June.",
          "Loved the new sourdough; bought a loaf to try."]),
        (ContactCreate(
            first_name="Tomás", last_name="Fernández", lifecycle_stage="customer",
            source="instagram", preferred_channel="sms",
            phones=[{"number": "+1 415 555 0177"}],
            emails=[{"email": "tomas.f@example.com"}], tags=["regular", "gluten-free"],
            personal_notes="Coeliac: buys the gluten-free loaf on Fridays. Runs the yoga "
                           "studio two doors down; referred several of his students.",
            social_profiles=[SocialProfile(network="instagram", handle="@tomas_yoga_sf")],
            custom_fields={"favourite_item": "Gluten-free seeded loaf"}),
         ["Suggested a 10% discount for his studio members; he liked the idea."]),
        (ContactCreate(
            first_name="Aisha", last_name="Okafor", lifecycle_stage="evangelist",
            source="referral", emails=[{"email": "aisha.okafor@example.com"}],
            phones=[{"number": "(415) 555-0199"}], tags=["wedding cakes"],
            important_dates=[ImportantDate(label="Wedding anniversary",
                                           date=date(2019, 9, 21))],
            personal_notes="Ordered her wedding cake here in 2019 and has sent us three "
                           "wedding orders since. Prefers email; lactose intolerant."),
         ["Left a five-star review mentioning the lemon-elderflower cake."]),
        (ContactCreate(
            first_name="Ben", last_name="Carter", lifecycle_stage="lead",
            source="website form", emails=[{"email": "ben.carter@example.com"}],
            personal_notes="Asked about catering for a 40-person office breakfast."),
         []),
    ]


def load_demo(db: Session, *, b2b_contacts: int = 300, region: str = "US") -> int:
    """Load the demo once; returns how many contacts were created (0 if already loaded)."""
    if db.scalar(select(func.count()).select_from(User).where(User.email == DEMO_EMAIL)):
        return 0
    rng = random.Random(42)
    owner = auth.create_user(db, email=DEMO_EMAIL, name="Dana Baker (owner)",
                             password=DEMO_PASSWORD, is_admin=True)
    create_definition(db, entity="contact", key="favourite_item", label="Favourite item",
                      type="text")
    create_definition(db, entity="contact", key="loyalty_card", label="Has a loyalty card",
                      type="boolean")
    create_definition(db, entity="company", key="account_tier", label="Account tier",
                      type="select", options=["standard", "gold", "platinum"])
    count = 0
    regulars = []
    for data, notes in _bakery_regulars():
        c = create_contact(db, data=data, actor=owner, region=region)
        regulars.append(c)
        for body in notes:
            add_note(db, entity_type="contact", entity_id=c.id, data=NoteCreate(body=body),
                     actor=owner)
        count += 1
    referrer = regulars[1]
    for first, last in [("Hannah", "Price"), ("Ravi", "Shah"), ("Elena", "Rossi")]:
        create_contact(db, data=ContactCreate(
            first_name=first, last_name=last, lifecycle_stage="customer", source="referral",
            referred_by_id=referrer.id, tags=["yoga studio"],
            emails=[{"email": f"{first.lower()}.{last.lower()}@example.com"}]),
            actor=owner, region=region)
        count += 1

    acme = create_company(db, data=CompanyCreate(
        name="Northwind Offices Inc.", domain="northwind.example", industry="Real estate",
        size="1001-5000", employee_count=2400, tags=["catering", "key account"],
        address=Address(street="500 Market St", city="San Francisco", region="CA",
                        postal_code="94105", country="US"),
        custom_fields={"account_tier": "gold"},
        description="Weekly pastry delivery for four office floors; quarterly events."),
        actor=owner, region=region)
    add_note(db, entity_type="company", entity_id=acme.id, actor=owner, data=NoteCreate(
        body="Contract renewal due in March: they want oat-milk options added."))
    for i in range(b2b_contacts):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        slug = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        create_contact(db, data=ContactCreate(
            first_name=first, last_name=last, company_id=acme.id,
            job_title=rng.choice(TITLES), department=rng.choice(DEPARTMENTS),
            lifecycle_stage=rng.choice(["lead", "qualified", "customer", "customer"]),
            source="account", emails=[{"email": f"{slug}.{i}@northwind.example"}],
            phones=[{"number": f"+1 415 555 {1000 + i:04d}"}] if i % 3 == 0 else [],
            tags=["northwind"] + (["decision maker"] if i % 25 == 0 else [])),
            actor=owner, region=region, flush=False)
        count += 1
    db.flush()
    _sales(db, owner, regulars, acme.id)
    return count


PRODUCTS = [  # sku, name, category, price (USD), replacement cycle in days
    ("CRO-BUT", "Butter croissant", "Pastry", "2.75", None),
    ("CRO-CHO", "Chocolate croissant", "Pastry", "3.25", None),
    ("BRD-SOUR", "Sourdough loaf", "Bread", "6.00", None),
    ("BRD-GF", "Gluten-free seeded loaf", "Bread", "7.50", None),
    ("BOX-24", "Office pastry box (24)", "Catering", "48.00", None),
    ("LAP-14", "Point-of-sale laptop 14\"", "Hardware", "1199.00", 1095),
]


def _day(d: date, hour: int = 9) -> datetime:
    return datetime.combine(d, time(hour), UTC)


def _sales(db: Session, owner: User, regulars: list[Contact], northwind: uuid.UUID) -> None:
    """Products, orders (Margaret's Tuesday croissants), a Renewals pipeline and deals."""
    products = {sku: create_product(db, actor=owner, data=ProductCreate(
        sku=sku, name=name, category=category, price=Decimal(price), currency="USD",
        replacement_cycle_days=cycle)) for sku, name, category, price, cycle in PRODUCTS}
    margaret, tomas, aisha, ben = regulars
    today = now().date()
    tuesday = today - timedelta(days=(today.weekday() - 1) % 7)
    for week in range(12):  # every Tuesday for the last twelve weeks
        day = tuesday - timedelta(weeks=week)
        place_order(db, actor=owner, data=OrderCreate(
            contact_id=margaret.id, currency="USD", external_ref=f"demo-tue-{day.isoformat()}",
            ordered_at=_day(day, 8), lines=[{"product_id": products["CRO-CHO"].id,
                                             "quantity": Decimal(2)}]))
    for week in range(6):  # Fridays: the gluten-free loaf
        day = tuesday - timedelta(weeks=week, days=4)
        place_order(db, actor=owner, data=OrderCreate(
            contact_id=tomas.id, currency="USD", external_ref=f"demo-fri-{day.isoformat()}",
            ordered_at=_day(day), lines=[{"product_id": products["BRD-GF"].id,
                                          "quantity": Decimal(1)}]))
    laptop_day = today - timedelta(days=1080)  # three-year cycle: due for replacement soon
    place_order(db, actor=owner, data=OrderCreate(
        contact_id=tomas.id, currency="USD", external_ref="demo-laptop", channel="web",
        ordered_at=_day(laptop_day), lines=[{"product_id": products["LAP-14"].id,
                                             "quantity": Decimal(1)}]))
    renewals = create_pipeline(db, actor=owner, data=PipelineCreate(name="Renewals", stages=[
        StageCreate(name="Up for renewal", probability=60, stall_days=30),
        StageCreate(name="Renewal proposal", probability=80),
        StageCreate(name="Renewed", kind="won"), StageCreate(name="Churned", kind="lost")]))
    main = default_pipeline(db)
    assert main is not None
    stage = {st.name: st.id for p in (main, renewals) for st in p.stages}
    close = today + timedelta(days=30)
    deals: list[tuple[str, str, str, uuid.UUID | None, uuid.UUID | None, dict[str, Any]]] = [
        # name, stage, amount, contact, company, extra
        ("Lily's nut-free birthday cake", "Qualification", "180", margaret.id, None, {}),
        ("Office breakfast for 40", "Needs analysis", "640", ben.id, None, {}),
        ("June wedding (Aisha's referral)", "Proposal", "1450", aisha.id, None, {}),
        ("Yoga studio member discount", "Negotiation", "300", tomas.id, None, {}),
        ("Northwind quarterly event", "Won", "2200", None, northwind, {}),
        ("Corporate gift boxes", "Lost", "900", None, northwind,
         {"lost_reason_text": "Went with a supermarket chain"}),
        ("Northwind pastry contract 2027", "Up for renewal", "24000", None, northwind,
         {"expected_close_date": date(today.year + 1, 3, 1)}),
        ("Yoga studio weekly bread", "Renewal proposal", "1800", tomas.id, None, {}),
    ]
    for name, stage_name, amount, contact_id, company_id, extra in deals:
        extra.setdefault("expected_close_date", close)
        create_deal(db, actor=owner, data=DealCreate(
            name=name, amount=Decimal(amount), currency="USD", stage_id=stage[stage_name],
            contact_id=contact_id, company_id=company_id, **extra))
