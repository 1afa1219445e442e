"""A small synthetic business for the database tests: customers who buy at their own rate
until they stop, some of whom open support tickets and answer surveys badly before they go.
Rows are inserted directly (test setup, a fixed seed); what is tested goes through the
service, the jobs, the API and the pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from amity.activities.models import Interaction, InteractionParticipant
from amity.commerce.models import Order
from amity.contacts.models import Contact
from amity.core.db import Database
from amity.tickets.models import Ticket, TicketSurvey

AT = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass
class Business:
    contacts: list[uuid.UUID]
    leavers: set[uuid.UUID]


def seed_business(database: Database, *, customers: int = 120, days: int = 540,
                  seed: int = 7) -> Business:
    rng = np.random.default_rng(seed)
    start = AT - timedelta(days=days)
    ids: list[uuid.UUID] = []
    leavers: set[uuid.UUID] = set()
    with database.transaction() as s:
        for i in range(customers):
            cid = uuid.uuid4()
            ids.append(cid)
            s.add(Contact(id=cid, first_name=f"Customer{i}", last_name="Test"))
            s.flush()
            first = float(rng.uniform(0, days * 0.6))
            gap = float(rng.uniform(10, 45))
            unhappy = rng.random() < 0.4
            # unhappy customers leave; the others mostly keep buying
            stop = first + float(rng.uniform(60, days - first)) if unhappy or rng.random() < .15 \
                else days + 1
            if stop < days - 90:
                leavers.add(cid)
            t = first
            while t < min(stop, days):
                s.add(Order(contact_id=cid, ordered_at=start + timedelta(days=t, hours=10),
                            currency="USD", total=Decimal(str(round(rng.gamma(4, 12), 2))),
                            status="paid"))
                t += float(rng.exponential(gap))
            if unhappy:
                for _ in range(3):
                    at = start + timedelta(days=max(first, stop - float(rng.uniform(5, 60))))
                    ticket = Ticket(contact_id=cid, subject="Problem", created_at=at,
                                    number=int(rng.integers(1, 2**40)))
                    s.add(ticket)
                    s.flush()
                    s.add(TicketSurvey(ticket_id=ticket.id, contact_id=cid,
                                       created_at=at, expires_at=at + timedelta(days=7),
                                       answered_at=at + timedelta(days=1), score=1))
            for _ in range(int(rng.integers(2, 6))):
                hour = 9 if i % 2 == 0 else 20
                when = start + timedelta(days=float(rng.uniform(first, min(stop, days))))
                when = when.replace(hour=hour, minute=15)
                inter = Interaction(channel="email", direction="inbound", subject="Re: hello",
                                    occurred_at=when)
                s.add(inter)
                s.flush()
                s.add(InteractionParticipant(interaction_id=inter.id, contact_id=cid,
                                             role="from", position=0, occurred_at=when,
                                             channel="email", direction="inbound"))
    return Business(ids, leavers)
