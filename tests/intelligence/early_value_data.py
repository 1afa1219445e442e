"""A hand-built business whose early-value lifts are known exactly.

Mature customers (first order 450-490 days before ``AT``):
- 20 "broad" customers buy from two categories (Garden, Kitchen) and twice in their first 90
  days; first-year values alternate 200 / 400 (mean 300).
- 20 "narrow" customers buy Garden only in their window (Kitchen on day 120, outside it);
  values alternate 50 / 150 except the last two at 500: mean (9*50 + 9*150 + 2*500)/20 = 140.
So bought-from-2-categories lifts the mean value 300/140 = 2.142857 and, the top quarter
starting at the 75th percentile (400), the top-quarter chance from 2/20 to 10/20 = 5x.
Everyone also orders 999 on day 400, outside the first year (must not count). Tickets in the
window go to customers with i % 4 in (0, 1) in both groups (a signal unrelated to value).
New customers (first order 10 days ago): one broad, two narrow; one customer started 200
days ago (neither mature nor inside the window).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from amity.commerce.models import Order, OrderLine
from amity.contacts.models import Contact
from amity.core.db import Database
from amity.tickets.models import Ticket

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
LIFT = 300 / 140
TOP_LIFT = 5.0


def _order(s: object, cid: uuid.UUID, at: datetime, total: Decimal, *cats: str) -> None:
    order = Order(contact_id=cid, ordered_at=at, currency="USD", total=total, status="paid",
                  subtotal=total)
    s.add(order)  # type: ignore[attr-defined]
    s.flush()  # type: ignore[attr-defined]
    share = total / len(cats)
    for pos, cat in enumerate(cats):
        s.add(OrderLine(order_id=order.id, description=cat, category=cat,  # type: ignore[attr-defined]
                        quantity=Decimal(1), unit_price=share, total=share, position=pos))


def seed_early(database: Database) -> dict[str, list[uuid.UUID]]:
    out: dict[str, list[uuid.UUID]] = {"broad": [], "narrow": [], "new_broad": [],
                                       "new_narrow": [], "middle": []}
    with database.transaction() as s:
        def contact(name: str, group: str, **kw: object) -> uuid.UUID:
            c = Contact(first_name=name, last_name=group.title(), **kw)
            s.add(c)
            s.flush()
            out[group].append(c.id)
            return c.id

        for i in range(20):
            cid = contact(f"Broad{i}", "broad")
            first = AT - timedelta(days=450 + i)
            v = Decimal(200 if i % 2 == 0 else 400)
            _order(s, cid, first, v / 2, "Garden", "Kitchen")
            _order(s, cid, first + timedelta(days=30), v / 4, "Garden")
            _order(s, cid, first + timedelta(days=200), v / 4, "Garden")
            _order(s, cid, first + timedelta(days=400), Decimal(999), "Garden")
            if i % 4 in (0, 1):
                s.add(Ticket(contact_id=cid, subject="Help", number=1000 + i,
                             created_at=first + timedelta(days=5)))
        for i in range(20):
            cid = contact(f"Narrow{i}", "narrow")
            first = AT - timedelta(days=455 + i)
            v = Decimal(500 if i >= 18 else 50 if i % 2 == 0 else 150)
            _order(s, cid, first, v / 2, "Garden")
            _order(s, cid, first + timedelta(days=120), v / 2, "Kitchen")
            _order(s, cid, first + timedelta(days=400), Decimal(999), "Garden", "Toys")
            if i % 4 in (0, 1):
                s.add(Ticket(contact_id=cid, subject="Help", number=2000 + i,
                             created_at=first + timedelta(days=5)))
        referrer = out["broad"][0]
        s.add(Contact(first_name="Friend", last_name="Referred", referred_by_id=referrer,
                      created_at=AT - timedelta(days=440)))
        cid = contact("NewBroad", "new_broad")
        _order(s, cid, AT - timedelta(days=10), Decimal(80), "Garden", "Kitchen")
        for i in range(2):
            cid = contact(f"NewNarrow{i}", "new_narrow")
            _order(s, cid, AT - timedelta(days=10 + i), Decimal(40), "Garden")
        cid = contact("Middle", "middle")
        _order(s, cid, AT - timedelta(days=200), Decimal(70), "Garden")
    return out
