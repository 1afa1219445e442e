"""Retention and churn read from the customers' order chain (analytics.retention) give exactly
the live numbers, on both databases: hand-computed edge cases (an order exactly N days before
the instant counts, one at the instant does not; two orders at the same instant; a customer who
churns and returns; periods longer than the window with several orders in between;
cancelled, deleted, other-currency and customer-less orders), and a seeded random history over
many periods, windows, zones and owners, before and after edits and a refresh. Over all owners
the whole UTC days come from the chain's pairs of days (analytics_order_pairs), which a refresh
keeps equal to what a rebuild counts.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from amity.analytics import kpis, periods, retention, rollups
from amity.analytics.models import (
    NIL_OWNER,
    customer_first,
    customer_orders,
    first_days,
    order_pairs,
    team_keys,
)
from amity.auth import service as auth
from amity.auth.models import Team, User
from amity.commerce.models import Order
from amity.contacts.models import Contact
from amity.core.db import Database
from tests.analytics.dataset import t


def order(s: Session, contact: uuid.UUID, when: str, owner: uuid.UUID, *,
          status: str = "paid", currency: str = "USD") -> None:
    s.add(Order(contact_id=contact, ordered_at=t(when), total=Decimal("10.00"),
                subtotal=Decimal("10.00"), currency=currency, status=status, owner_id=owner))


def blocks(s: Session, p: periods.Period, f: kpis.Filters, rolled: bool) -> list[Decimal | None]:
    now, before = kpis.retention_blocks(s, p, f, rolled)
    return [b[k] for b in (now, before) for k in ("customers_at_start", "retention_rate")]


def test_edge_cases_by_hand(database: Database) -> None:
    with database.transaction() as s:
        u1 = auth.create_user(s, email="r1@example.com", name="R1", password=None).id
        u2 = auth.create_user(s, email="r2@example.com", name="R2", password=None).id
        people = {n: Contact(first_name=n, last_name="R", owner_id=u1) for n in "ABCDEFG"}
        s.add_all(people.values())
        s.flush()
        c = {n: p.id for n, p in people.items()}
        # window N = 10 days; period March 2026 in UTC: lo 03-01, hi 04-01; previous February
        order(s, c["A"], "2026-02-19 00:00", u1)  # exactly lo - N: active at lo
        order(s, c["A"], "2026-03-22 00:00", u1)  # exactly hi - N: active at hi -> kept
        order(s, c["B"], "2026-03-01 00:00", u1)  # at lo itself: not active at lo
        order(s, c["C"], "2026-02-25 00:00", u1)  # active at lo; two orders at one instant,
        order(s, c["C"], "2026-03-10 00:00", u1)  # then orders in the gap [lo, hi - N)
        order(s, c["C"], "2026-03-10 00:00", u2)  # (another owner) and none after: lapsed
        order(s, c["D"], "2026-02-20 00:00", u1)  # lapsed in March, back on 03-25: kept
        order(s, c["D"], "2026-03-25 00:00", u1)
        order(s, c["E"], "2026-02-28 23:59", u2, status="cancelled")  # none of these count
        order(s, c["E"], "2026-02-28 23:59", u2, currency="EUR")
        order(s, c["F"], "2026-02-27 00:00", u2)  # active at lo, deleted afterwards
        s.add(Order(contact_id=None, ordered_at=t("2026-02-27 00:00"), total=Decimal("1.00"),
                    subtotal=Decimal("1.00"), currency="USD", status="paid", owner_id=u1))
        order(s, c["G"], "2026-01-25 00:00", u2)  # February: active at 02-01 and kept by
        order(s, c["G"], "2026-02-26 00:00", u2)  # its 02-26 order; churned in March
        s.flush()
        s.execute(update(Order).where(Order.contact_id == c["F"]).values(deleted_at=t(
            "2026-03-02 00:00")))
    with database.transaction() as s:
        rollups.rebuild(s)
        # F's deleted order, E's cancelled one and the one without a customer have no chain
        # rows (E's EUR order has one, in the EUR chain)
        assert s.scalar(select(func.count()).select_from(customer_orders).where(
            customer_orders.c.owner_key == NIL_OWNER)) == 11
        march = periods.Period.of(date(2026, 3, 1), date(2026, 3, 31), "UTC")
        everyone = kpis.Filters(currency="USD", window_days=10)
        # active at 03-01: A (02-19), C (02-25), D (02-20), G (02-26) -> kept A, D -> 0.5
        # active at 02-01: G (01-25), kept through its 02-26 order -> 1 of 1
        expected = [Decimal(4), Decimal("0.5000"), Decimal(1), Decimal("1.0000")]
        assert blocks(s, march, everyone, rolled=True) == expected
        assert blocks(s, march, everyone, rolled=False) == expected
        # u1 alone: A, C (its 03-10 u1 order is in the gap), D at lo; A, D kept
        one = kpis.Filters(currency="USD", owners=(u1,), window_days=10)
        assert blocks(s, march, one, rolled=True) == blocks(s, march, one, rolled=False) == [
            Decimal(3), Decimal("0.6667"), Decimal(0), None]
        assert retention.counts(s, currency="USD", key=NIL_OWNER, window_days=10,
                                before_lo=t("2026-02-01 00:00"), lo=march.lo,
                                hi=march.hi) == (1, 1, 4, 2)
        # two owners who are not a team are counted live: the same numbers either way
        pair = kpis.Filters(currency="USD", owners=(u1, u2), window_days=10)
        assert retention.owner_key(s, pair.owners) is None
        assert blocks(s, march, pair, rolled=True) == blocks(s, march, everyone, rolled=False)
        s.add(Team(name="Both", members=[s.get(User, u1), s.get(User, u2)]))
    with database.transaction() as s:  # as a team, after a refresh: the team's own chain
        assert not any(x.full for x in rollups.refresh(s))
        key = retention.owner_key(s, (u2, u1))
        assert key is not None and key not in (u1, u2)
        assert blocks(s, march, pair, rolled=True) == expected


def test_random_history_rolled_equals_live(database: Database) -> None:
    rng = random.Random(7)
    with database.transaction() as s:
        users = [auth.create_user(s, email=f"o{i}@example.com", name=f"O{i}", password=None)
                 for i in range(3)]
        owners = [u.id for u in users]
        # two teams sharing a member: each gets its own chain
        team = Team(name="Red", members=users[:2])
        s.add_all([team, Team(name="Blue", members=users[1:])])
        people = [Contact(first_name=f"P{i}", last_name="R", owner_id=owners[0])
                  for i in range(40)]
        s.add_all(people)
        s.flush()
        start = t("2025-06-01 00:00")
        for p in people:
            for _ in range(rng.choice([0, 1, 1, 2, 3, 5, 8])):
                when = start + timedelta(minutes=rng.randrange(0, 400 * 24 * 60, 30))
                s.add(Order(contact_id=p.id, ordered_at=when, total=Decimal("5.00"),
                            subtotal=Decimal("5.00"), currency=rng.choice(["USD"] * 5 + ["EUR"]),
                            status=rng.choice(["paid"] * 4 + ["cancelled"]),
                            owner_id=rng.choice(owners)))
    cases = []
    for _ in range(30):
        first = date(2025, 7, 1) + timedelta(days=rng.randrange(0, 300))
        last = first + timedelta(days=rng.choice([0, 6, 30, 45, 91, 200]))
        zone = rng.choice(["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"])
        scope = rng.choice([None, None, (owners[0],), (owners[1],), (owners[0], owners[1]),
                            (owners[1], owners[2]), (owners[0], owners[1], owners[2])])
        f = kpis.Filters(currency="USD", owners=scope, window_days=rng.choice([7, 30, 90]))
        cases.append((periods.Period.of(first, last, zone), f))

    def check() -> None:
        with database.transaction(write=False) as s:
            for p, f in cases:
                assert blocks(s, p, f, rolled=True) == blocks(s, p, f, rolled=False), (p, f)
                assert kpis.order_block(s, p, f, rolled=True) == kpis.order_block(
                    s, p, f, rolled=False), (p, f)
                key = retention.owner_key(s, f.owners)
                if key is not None:  # distinct buyers from the chain (and its pairs of days)
                    live = int(s.scalar(select(func.count(func.distinct(Order.contact_id)))
                                        .where(*kpis.counted_orders(f),
                                               Order.ordered_at >= p.lo,
                                               Order.ordered_at < p.hi)) or 0)
                    assert retention.buyers(s, currency="USD", key=key, lo=p.lo,
                                            hi=p.hi) == live, (p, f)

    def pairs() -> list[list[tuple[object, ...]]]:
        with database.transaction(write=False) as s:
            return [sorted(tuple(r) for r in s.execute(select(table))) for table in (
                order_pairs, customer_orders, customer_first, first_days, team_keys)]

    def keys() -> list[uuid.UUID | None]:
        with database.transaction(write=False) as s:
            return [retention.owner_key(s, o) for o in (
                (owners[0], owners[1]), (owners[1], owners[2]), tuple(owners))]

    with database.transaction() as s:
        rollups.rebuild(s)
    red, blue, nobody = keys()
    assert red == team.id and blue not in (None, red) and nobody is None
    check()
    with database.transaction() as s:  # moves, cancellations, restores, new orders; Red grows
        red_team = s.get(Team, team.id)
        assert red_team is not None
        third = s.get(User, owners[2])
        assert third is not None
        red_team.members.append(third)
        for o in s.scalars(select(Order).order_by(Order.ordered_at).limit(30)):
            o.ordered_at += timedelta(days=rng.choice([-20, 3, 45]))
            o.status = "cancelled" if o.status == "paid" else "paid"
        order(s, people[0].id, "2025-12-31 23:30", owners[2])
    with database.transaction() as s:
        assert not any(x.full for x in rollups.refresh(s))
    assert keys() == [None, blue, red]  # Red's chain now answers for its three members
    check()
    refreshed = pairs()  # kept up to date by the refresh: what a rebuild counts afresh
    with database.transaction() as s:
        rollups.rebuild(s)
    assert refreshed == pairs() and len(refreshed[0]) > 50
