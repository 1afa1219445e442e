"""Queues and their counts, the contact's service summary, and the customer's value shown
with a ticket (within what the reader may see)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.auth.models import User
from amity.commerce.models import Order, OrderLine
from amity.core.db import Database
from amity.deals.models import Deal, Pipeline
from amity.tickets import service
from amity.tickets.schemas import TicketCreate
from tests.auth.world import build_world, make_records
from tests.factories import make_contact
from tests.tickets.support import Clock, at, comment, make_policy, make_ticket, patch_ticket


def _me(client: TestClient) -> str:
    return str(client.get("/api/v1/users/me").json()["id"])


def test_queue_contents_and_counts(client: TestClient, database: Database,
                                   clock: Clock) -> None:
    me = _me(client)
    team = client.post("/api/v1/teams", json={"name": "Desk", "member_ids": [me]}).json()["id"]
    other_team = client.post("/api/v1/teams", json={"name": "Other"}).json()["id"]
    make_policy(client, first_response_minutes=60, resolution_minutes=600, warning_percent=50)
    clock.set(at("2026-03-02T09:00:00+00:00"))
    mine = make_ticket(client, assignee_id=me)
    ours = make_ticket(client, team_id=team)
    theirs = make_ticket(client, team_id=other_team)
    clock.set(at("2026-03-02T09:20:00+00:00"))
    fresh = make_ticket(client)
    done = make_ticket(client, assignee_id=me)
    patch_ticket(client, done["id"], status="resolved")
    waiting = make_ticket(client)
    patch_ticket(client, waiting["id"], status="pending_customer")
    # 09:40: the first three passed their 30-minute warning, fresh (due 10:20) has not
    clock.set(at("2026-03-02T09:40:00+00:00"))

    def queue(name: str) -> set[str]:
        r = client.get("/api/v1/tickets", params={"queue": name})
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["items"]}

    assert queue("mine") == {mine["id"]}
    assert queue("team") == {ours["id"]}
    assert queue("unassigned") == {ours["id"], theirs["id"], fresh["id"], waiting["id"]}
    assert queue("breaching_soon") == {mine["id"], ours["id"], theirs["id"]}
    assert queue("breached") == set()
    # 10:05: the first three are late; a paused ticket is never late
    clock.set(at("2026-03-02T10:05:00+00:00"))
    assert queue("breached") == {mine["id"], ours["id"], theirs["id"]}
    assert queue("breaching_soon") == {fresh["id"]}
    counts = client.get("/api/v1/tickets/queues").json()
    assert counts == {"mine": 1, "team": 1, "unassigned": 4, "breaching_soon": 1,
                      "breached": 3}
    # a late reply meets the target but the miss is recorded: still in the breached queue,
    # until resolved
    comment(client, mine["id"], body="On it")
    assert queue("breached") == {mine["id"], ours["id"], theirs["id"]}
    patch_ticket(client, mine["id"], status="resolved")
    assert queue("breached") == {ours["id"], theirs["id"]}


def test_service_summary(client: TestClient, clock: Clock) -> None:
    contact = make_contact(client)
    other = make_contact(client)
    clock.set(at("2026-03-02T09:00:00+00:00"))
    a = make_ticket(client, contact_id=contact["id"])
    b = make_ticket(client, contact_id=contact["id"])
    make_ticket(client, contact_id=contact["id"])
    make_ticket(client, contact_id=other["id"])
    clock.set(at("2026-03-02T11:00:00+00:00"))
    patch_ticket(client, a["id"], status="resolved")  # 2 hours
    clock.set(at("2026-03-02T13:00:00+00:00"))
    patch_ticket(client, b["id"], status="closed")  # 4 hours
    summary = client.get(f"/api/v1/contacts/{contact['id']}/service-summary").json()
    assert summary == {"contact_id": contact["id"], "open_tickets": 1, "tickets_total": 3,
                       "satisfaction_average": None, "satisfaction_responses": 0,
                       "average_resolution_seconds": 3 * 3600}
    assert client.get(f"/api/v1/contacts/{uuid.uuid4()}/service-summary").status_code == 404


def _purchases(database: Database, contact_id: str, owner_id: uuid.UUID) -> None:
    """Two orders and an open deal of the contact, written as rows."""
    with database.transaction() as s:
        pipeline = s.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
        assert pipeline is not None
        for total, status in ((Decimal("20.00"), "paid"), (Decimal("5.50"), "placed"),
                              (Decimal("99.00"), "cancelled")):
            s.add(Order(id=uuid.uuid4(), contact_id=uuid.UUID(contact_id), currency="EUR",
                        subtotal=total, total=total, owner_id=owner_id, custom_fields={},
                        status=status, lines=[OrderLine(description="Croissant",
                                                        quantity=Decimal("1"),
                                                        unit_price=total, total=total)]))
        stage = pipeline.stages[0]
        s.add(Deal(id=uuid.uuid4(), name="Renewal", sort_name="renewal",
                   amount=Decimal("1200.00"), currency="EUR", pipeline_id=pipeline.id,
                   stage_id=stage.id, probability=stage.probability, status="open",
                   contact_id=uuid.UUID(contact_id), owner_id=owner_id, custom_fields={}))


def test_a_ticket_shows_the_customers_value(client: TestClient, anon: TestClient,
                                            database: Database) -> None:
    world = build_world(database)
    with database.transaction(write=False) as s:
        admin = s.scalar(select(User).where(User.email == "admin@example.com"))
        assert admin is not None
    contact = make_contact(client)
    _purchases(database, contact["id"], world.ids["mate"])
    t = make_ticket(client, contact_id=contact["id"])
    value: dict[str, Any] = client.get(f"/api/v1/tickets/{t['id']}").json()["customer"]
    assert value["lifetime_spend"] == [{"currency": "EUR", "total": "25.50"}]  # not cancelled
    assert value["orders"] == 2
    assert sorted(p["total"] for p in value["recent_purchases"]) == ["20.00", "5.50", "99.00"]
    assert [(d["name"], d["amount"]) for d in value["open_deals"]] == [("Renewal", "1200.00")]
    assert value["service"]["tickets_total"] == 1
    # a support agent sees orders but no deals
    agent = {"Authorization": f"Bearer {world.tokens['support_agent']}"}
    seen = anon.get(f"/api/v1/tickets/{t['id']}", headers=agent).json()["customer"]
    assert seen["open_deals"] is None and seen["orders"] == 2
    # a ticket without customer has no customer block
    assert make_ticket(client)["customer"] is None


def test_the_contact_360_shows_the_service_summary(client: TestClient, anon: TestClient,
                                                   database: Database) -> None:
    world = build_world(database)
    ids = make_records(database, world.ids["mate"])  # a contact with a ticket of the mate
    with database.transaction() as s:
        outsider = s.get(User, world.ids["outsider"])
        assert outsider is not None
        service.create_ticket(s, data=TicketCreate(subject="Elsewhere",
                                                   contact_id=ids["contact_id"]),
                              actor=outsider)
    url = f"/api/v1/contacts/{ids['contact_id']}/360"
    assert client.get(url).json()["service"]["tickets_total"] == 2
    rep = {"Authorization": f"Bearer {world.tokens['sales_rep']}"}
    # the rep sees the teammate's ticket, not the other team's
    assert anon.get(url, headers=rep).json()["service"]["tickets_total"] == 1
