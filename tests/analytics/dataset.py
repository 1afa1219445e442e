"""A small hand-built history for the analytics tests, written straight into the tables at
fixed times (the analytics only read; building through the API would add nothing here).

Business time zone America/New_York (UTC-5 in winter); January 2026 is
[2026-01-01 05:00Z, 2026-02-01 05:00Z), December 2025 is [2025-12-01 05:00Z, 2026-01-01 05:00Z).

Orders (USD unless said; contact: time UTC, total, the category of its one line):
  A: 12-10 12:00 100.00 Tea, 01-20 12:00 50.00 Tea
  B: 12-15 12:00 200.00 Cups
  C: 11-10 12:00 40.00 Tea, 01-15 12:00 60.00 Cups   (lapsed in December, back in January)
  D: 01-01 04:00 10.00 Cups (NY: Dec 31), 02-01 03:00 25.00 Cups (NY: Jan 31)
  E: 01-10 999.00 Tea cancelled; 01-11 EUR 500.00 Tea  (neither counts in USD)
Deals (owner U1 unless said; created -> closed UTC 12:00 unless said):
  D1 USD 1000 12-01 -> won 01-10 (40 d), expected close 01-15
  D2 USD 500 01-05 -> lost 01-25, expected close 02-05
  D3 USD 300 12-20 -> lost 12-28, reopened, won 01-30 (41 d)
  D4 USD 700 01-15 open, expected close 01-31
  D5 EUR 800 01-02 -> won 01-12 (10 d), owner U2
  D6 USD 200 01-22 03:00 -> won 02-01 03:00 (10 d; NY: Jan 21 -> Jan 31)
Interactions (owner U1): calls 12-15, 01-05, 01-20, 02-01 04:30 (NY Jan 31), one deleted on
  01-06; emails 01-07 out, 01-08 out, 01-09 in; meeting 01-10.
Tickets (assignee U2; created -> first response -> resolved; score):
  T1 01-05 12:00 -> +2 h -> +24 h; 5 on 01-07
  T2 01-10 12:00 -> +4 h -> +48 h; 2 on 01-13
  T3 12-30 12:00 -> +24 h (12-31) -> open
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from amity.activities.models import Interaction
from amity.auth import service as auth
from amity.commerce.models import Order, OrderLine
from amity.contacts.models import Contact
from amity.core.db import Database
from amity.deals.models import Deal, Stage
from amity.tickets.models import Ticket


def t(text: str) -> datetime:
    """'2026-01-20 12:00' (UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class World:
    u1: uuid.UUID
    u2: uuid.UUID
    contacts: dict[str, uuid.UUID]
    deals: dict[str, uuid.UUID]


def build(database: Database) -> World:
    with database.transaction() as s:
        u1 = auth.create_user(s, email="u1@example.com", name="Una", password=None)
        u2 = auth.create_user(s, email="u2@example.com", name="Dos", password=None)
        contacts = {n: Contact(first_name=n, last_name="Test", owner_id=u1.id) for n in "ABCDE"}
        s.add_all(contacts.values())
        s.flush()
        for name, when, total, currency, status, category in [
            ("A", "2025-12-10 12:00", "100.00", "USD", "paid", "Tea"),
            ("A", "2026-01-20 12:00", "50.00", "USD", "fulfilled", "Tea"),
            ("B", "2025-12-15 12:00", "200.00", "USD", "placed", "Cups"),
            ("C", "2025-11-10 12:00", "40.00", "USD", "paid", "Tea"),
            ("C", "2026-01-15 12:00", "60.00", "USD", "paid", "Cups"),
            ("D", "2026-01-01 04:00", "10.00", "USD", "paid", "Cups"),
            ("D", "2026-02-01 03:00", "25.00", "USD", "paid", "Cups"),
            ("E", "2026-01-10 12:00", "999.00", "USD", "cancelled", "Tea"),
            ("E", "2026-01-11 12:00", "500.00", "EUR", "paid", "Tea"),
        ]:
            line = OrderLine(category=category, description=category, quantity=Decimal(1),
                             unit_price=Decimal(total), total=Decimal(total))
            s.add(Order(contact_id=contacts[name].id, ordered_at=t(when), total=Decimal(total),
                        subtotal=Decimal(total), currency=currency, status=status,
                        owner_id=u1.id, lines=[line]))
        stages = list(s.scalars(select(Stage).order_by(Stage.position)))
        won = next(st for st in stages if st.kind == "won")
        lost = next(st for st in stages if st.kind == "lost")
        open_ = next(st for st in stages if st.kind == "open")
        deals: dict[str, Deal] = {}
        for name, amount, currency, created, stage, closed, expected, owner in [
            ("D1", "1000", "USD", "2025-12-01 12:00", won, "2026-01-10 12:00", "2026-01-15", u1),
            ("D2", "500", "USD", "2026-01-05 12:00", lost, "2026-01-25 12:00", "2026-02-05", u1),
            ("D3", "300", "USD", "2025-12-20 12:00", won, "2026-01-30 12:00", None, u1),
            ("D4", "700", "USD", "2026-01-15 12:00", open_, None, "2026-01-31", u1),
            ("D5", "800", "EUR", "2026-01-02 12:00", won, "2026-01-12 12:00", None, u2),
            ("D6", "200", "USD", "2026-01-22 03:00", won, "2026-02-01 03:00", None, u1),
        ]:
            deals[name] = Deal(
                name=name, amount=Decimal(amount), currency=currency, created_at=t(created),
                pipeline_id=stage.pipeline_id, stage_id=stage.id, status=stage.kind,
                closed_at=t(closed) if closed else None, owner_id=owner.id,
                expected_close_date=(datetime.fromisoformat(expected).date()
                                     if expected else None))
        s.add_all(deals.values())
        for channel, direction, when, deleted in [
            ("call", "outbound", "2025-12-15 12:00", False),
            ("call", "outbound", "2026-01-05 12:00", False),
            ("call", "inbound", "2026-01-20 12:00", False),
            ("call", "outbound", "2026-02-01 04:30", False),
            ("call", "outbound", "2026-01-06 12:00", True),
            ("email", "outbound", "2026-01-07 12:00", False),
            ("email", "outbound", "2026-01-08 12:00", False),
            ("email", "inbound", "2026-01-09 12:00", False),
            ("meeting", "internal", "2026-01-10 12:00", False),
        ]:
            s.add(Interaction(channel=channel, direction=direction, occurred_at=t(when),
                              owner_id=u1.id,
                              deleted_at=t("2026-01-07 00:00") if deleted else None))
        for number, created, first_h, resolved_h, score in [
            (1, "2026-01-05 12:00", 2, 24, 5), (2, "2026-01-10 12:00", 4, 48, 2),
            (3, "2025-12-30 12:00", 24, None, None),
        ]:
            c = t(created)
            s.add(Ticket(number=number, subject=f"T{number}", created_at=c, assignee_id=u2.id,
                         first_responded_at=c + timedelta(hours=first_h),
                         resolved_at=c + timedelta(hours=resolved_h) if resolved_h else None,
                         satisfaction_score=score,
                         satisfaction_at=(c + timedelta(hours=resolved_h + 24)
                                          if score and resolved_h else None)))
        s.flush()
        return World(u1=u1.id, u2=u2.id, contacts={k: v.id for k, v in contacts.items()},
                     deals={k: v.id for k, v in deals.items()})
