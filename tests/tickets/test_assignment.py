"""Assignment: by hand, round robin (fair, also under concurrency), least loaded, skipping
inactive and away agents; ticket numbers stay sequential under concurrency."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from amity.auth import service as auth
from amity.auth.models import User
from amity.core.db import Database
from amity.tickets import service
from amity.tickets.models import Ticket
from amity.tickets.schemas import TicketCreate
from tests.factories import assert_problem
from tests.tickets.support import Clock, events, make_ticket


def _agents(client: TestClient, database: Database, n: int, *,
            mode: str = "round_robin") -> tuple[str, list[str]]:
    with database.transaction() as s:
        ids = [str(auth.create_user(s, email=f"agent-{uuid.uuid4().hex[:8]}@example.com",
                                    name=f"Agent {i}", role="support_agent").id)
               for i in range(n)]
    r = client.post("/api/v1/teams", json={"name": f"Desk {uuid.uuid4().hex[:6]}",
                                           "member_ids": ids})
    assert r.status_code == 201, r.text
    team = r.json()["id"]
    r = client.put(f"/api/v1/ticket-routing/{team}", json={"mode": mode})
    assert r.status_code == 200, r.text
    return team, sorted(ids)


def test_round_robin_gives_each_agent_the_same_share(client: TestClient,
                                                     database: Database) -> None:
    team, agents = _agents(client, database, 3)
    got = [make_ticket(client, team_id=team)["assignee_id"] for _ in range(9)]
    assert Counter(got) == dict.fromkeys(agents, 3)
    assert got[:3] == agents and got[3:6] == agents  # in turn, in a stable order
    assigned = events(database, "ticket.assigned")
    assert len(assigned) == 9 and all(e["automatic"] for e in assigned)


def test_manual_routing_leaves_new_tickets_unassigned(client: TestClient,
                                                      database: Database) -> None:
    team, agents = _agents(client, database, 2, mode="manual")
    t = make_ticket(client, team_id=team)
    assert t["assignee_id"] is None and t["team_id"] == team
    # asked explicitly, the team's members are taken in turn all the same
    r = client.post(f"/api/v1/tickets/{t['id']}/assign", json={"auto": True})
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == agents[0]
    # by hand, to anyone active
    r = client.post(f"/api/v1/tickets/{t['id']}/assign", json={"assignee_id": agents[1]})
    assert r.json()["assignee_id"] == agents[1]
    r = client.post(f"/api/v1/tickets/{t['id']}/assign", json={"assignee_id": None})
    assert r.json()["assignee_id"] is None


def test_inactive_and_away_agents_are_skipped(client: TestClient, database: Database,
                                              clock: Clock) -> None:
    team, (a, b, c) = _agents(client, database, 3)
    with database.transaction() as s:
        s.execute(update(User).where(User.id == uuid.UUID(b)).values(is_active=False))
    r = client.put(f"/api/v1/ticket-agents/{c}",
                   json={"away": True, "away_until": (clock.at + timedelta(hours=2)).isoformat()})
    assert r.status_code == 200, r.text
    got = [make_ticket(client, team_id=team)["assignee_id"] for _ in range(4)]
    assert got == [a, a, a, a]
    clock.advance(hours=3)  # c is back by itself
    got = [make_ticket(client, team_id=team)["assignee_id"] for _ in range(2)]
    assert sorted(got) == sorted([a, c])
    r = client.put(f"/api/v1/ticket-agents/{a}", json={"away": True})
    r = client.put(f"/api/v1/ticket-agents/{c}", json={"away": True})
    t = make_ticket(client, team_id=team)
    assert t["assignee_id"] is None  # nobody available: waits in the team's queue
    r = client.post(f"/api/v1/tickets/{t['id']}/assign", json={"auto": True})
    assert_problem(r, 422, "team_id", "team.nobody_available")
    assert [x["user_id"] for x in client.get("/api/v1/ticket-agents").json()] == sorted([a, c])


def test_least_loaded_picks_the_agent_with_fewest_open_tickets(client: TestClient,
                                                               database: Database) -> None:
    team, (a, b, c) = _agents(client, database, 3, mode="least_loaded")
    for agent, n in ((a, 2), (c, 1)):
        for _ in range(n):
            make_ticket(client, assignee_id=agent)
    done = make_ticket(client, assignee_id=b)
    r = client.patch(f"/api/v1/tickets/{done['id']}", json={"status": "closed"})
    assert r.status_code == 200  # closed tickets do not count
    got = [make_ticket(client, team_id=team)["assignee_id"] for _ in range(3)]
    # loads a=2 b=0 c=1 -> b; a=2 b=1 c=1: b and c tie, c comes after b -> c; a=2 b=1 c=2 -> b
    assert got == [b, c, b]


def test_manual_assignment_is_checked(client: TestClient, database: Database) -> None:
    _team, (a,) = _agents(client, database, 1)
    t = make_ticket(client)
    assert_problem(client.post(f"/api/v1/tickets/{t['id']}/assign",
                               json={"assignee_id": str(uuid.uuid4())}), 422, "assignee_id",
                   "user.not_found")
    assert_problem(client.post(f"/api/v1/tickets/{t['id']}/assign",
                               json={"team_id": str(uuid.uuid4())}), 422, "team_id",
                   "team.not_found")
    assert_problem(client.post(f"/api/v1/tickets/{t['id']}/assign", json={"auto": True}), 422,
                   "team_id", "ticket.no_team")
    with database.transaction() as s:
        s.execute(update(User).where(User.id == uuid.UUID(a)).values(is_active=False))
    assert_problem(client.post("/api/v1/tickets", json={"subject": "x", "assignee_id": a}),
                   422, "assignee_id", "user.not_found")


def _create_in_threads(database: Database, n: int, **fields: Any) -> list[Ticket]:
    with database.transaction() as s:
        actor = s.scalar(select(User).where(User.is_admin.is_(True)))
        assert actor is not None
        actor_id = actor.id
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run() -> None:
        try:
            barrier.wait()
            with database.transaction() as s:
                me = s.get(User, actor_id)
                assert me is not None
                service.create_ticket(s, data=TicketCreate(subject="Concurrent", **fields),
                                      actor=me)
        except BaseException as exc:  # collected and re-raised in the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    with database.transaction(write=False) as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.number)))


def test_concurrent_tickets_share_round_robin_fairly(client: TestClient,
                                                     database: Database) -> None:
    team, agents = _agents(client, database, 3)
    tickets = _create_in_threads(database, 12, team_id=uuid.UUID(team))
    assert Counter(str(t.assignee_id) for t in tickets) == dict.fromkeys(agents, 4)


def test_concurrent_tickets_get_consecutive_numbers(client: TestClient,
                                                    database: Database) -> None:
    tickets = _create_in_threads(database, 10)
    assert [t.number for t in tickets] == list(range(1001, 1011))
    assert [t.reference for t in tickets][:2] == ["T-1001", "T-1002"]
