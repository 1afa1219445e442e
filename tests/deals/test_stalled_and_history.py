"""Stage history and sales-cycle length on a hand-computed example, and stalled deals, with a
controlled clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from amity.activities.models import Task
from amity.activities.service import complete_task, create_task
from amity.auth.models import User
from amity.deals.models import Deal
from amity.deals.queries import find_stalled_deals, is_stalled, sales_cycle_seconds
from amity.deals.service import touch_deal
from tests.deals.deal_support import T0, clock, make_deal, make_pipeline, move, stages
from tests.factories import assert_problem

__all__ = ["clock"]


def test_stage_history_and_sales_cycle(client, database, clock):
    ids = stages(client)
    d = make_deal(client)                                # 03-02 09:00 Qualification
    clock.advance(hours=2)
    move(client, d["id"], ids["Proposal"])                # 03-02 11:00
    clock.advance(hours=24, minutes=30)
    move(client, d["id"], ids["Negotiation"])             # 03-03 11:30
    clock.advance(hours=3)
    move(client, d["id"], ids["Won"])                     # 03-03 14:30
    clock.advance(minutes=45)                             # now: 03-03 15:15
    r = client.get(f"/api/v1/deals/{d['id']}/stage-history")
    assert r.status_code == 200
    body = r.json()
    assert [(h["to_stage_name"], h["seconds_in_stage"]) for h in body["items"]] == [
        ("Qualification", 7200.0),         # 2 h
        ("Proposal", 88200.0),             # 24 h 30 min
        ("Negotiation", 10800.0),          # 3 h
        ("Won", 2700.0)]                   # 45 min, up to now
    assert body["items"][0]["changed_at"] == "2026-03-02T09:00:00Z"
    assert body["sales_cycle_seconds"] == 106200.0  # 29 h 30 min from creation to the win
    with database.transaction(write=False) as s:
        deal = s.get(Deal, uuid.UUID(d["id"]))
        assert sales_cycle_seconds(deal) == 106200.0
    # reopened: open again, no cycle length until it closes again
    clock.advance(hours=1)
    move(client, d["id"], ids["Negotiation"])
    body = client.get(f"/api/v1/deals/{d['id']}/stage-history").json()
    assert body["sales_cycle_seconds"] is None
    assert body["items"][3]["seconds_in_stage"] == 6300.0  # 1 h 45 min in Won


def test_changes_in_the_same_instant_keep_their_order(client, clock):
    ids = stages(client)
    d = make_deal(client)  # the clock stands still: every change has the same time
    for name in ("Negotiation", "Proposal", "Won", "Needs analysis"):
        move(client, d["id"], ids[name])
    items = client.get(f"/api/v1/deals/{d['id']}/stage-history").json()["items"]
    assert [h["to_stage_name"] for h in items] == ["Qualification", "Negotiation", "Proposal",
                                                   "Won", "Needs analysis"]


def _stalled_ids(client):
    return {x["id"] for x in client.get("/api/v1/deals", params={"stalled": True}).json()[
        "items"]}


def test_stalled_deals(client, database, clock):
    ids = stages(client)  # Proposal stalls after 10 days, Won never
    d = make_deal(client, stage_id=ids["Proposal"])
    won = make_deal(client, stage_id=ids["Won"])
    clock.advance(days=10)  # exactly 10 days: not yet
    assert client.get(f"/api/v1/deals/{d['id']}").json()["stalled"] is False
    assert _stalled_ids(client) == set()
    clock.advance(minutes=1)
    assert client.get(f"/api/v1/deals/{d['id']}").json()["stalled"] is True
    assert _stalled_ids(client) == {d["id"]}
    not_stalled = {x["id"] for x in client.get("/api/v1/deals", params={
        "stalled": False}).json()["items"]}
    assert not_stalled == {won["id"]}
    with database.transaction(write=False) as s:
        assert find_stalled_deals(s, clock.now) == [uuid.UUID(d["id"])]
        assert find_stalled_deals(s, T0 + timedelta(days=9)) == []

    # an open task on the deal means someone is on it
    with database.transaction() as s:
        actor = s.scalar(select(User))
        task = create_task(s, title="Chase", actor=actor, deal_id=uuid.UUID(d["id"]))
        task_id = task.id
    assert client.get(f"/api/v1/deals/{d['id']}").json()["stalled"] is False
    # completing it is activity on the deal: the stall clock starts again from then
    clock.advance(days=2)
    with database.transaction() as s:
        complete_task(s, task=s.get(Task, task_id), actor=s.scalar(select(User)))
    assert _stalled_ids(client) == set()
    clock.advance(days=10, minutes=1)
    assert _stalled_ids(client) == {d["id"]}

    # activity elsewhere (a note, a call) touches the deal
    with database.transaction() as s:
        touch_deal(s, deal_id=uuid.UUID(d["id"]), at=clock.now)
        assert not is_stalled(s, uuid.UUID(d["id"]), clock.now)
        touch_deal(s, deal_id=uuid.UUID(d["id"]), at=T0)  # an older event changes nothing
    assert client.get(f"/api/v1/deals/{d['id']}").json()["stalled"] is False
    clock.advance(days=10, seconds=1)
    assert _stalled_ids(client) == {d["id"]}
    # an edit is activity too
    client.patch(f"/api/v1/deals/{d['id']}", json={"description": "Called twice"})
    assert _stalled_ids(client) == set()


def test_stages_without_stall_days_never_stall(client, clock):
    p = make_pipeline(client, "Slow")  # stages made without stall_days
    d = make_deal(client, pipeline_id=p["id"])
    clock.advance(days=400)
    assert client.get(f"/api/v1/deals/{d['id']}").json()["stalled"] is False
    r = client.patch(f"/api/v1/stages/{p['stages'][0]['id']}", json={"stall_days": 30})
    assert r.status_code == 200
    assert client.get(f"/api/v1/deals/{d['id']}").json()["stalled"] is True


def test_next_step_creates_a_task(client, database, clock, admin_user):
    ids = stages(client)
    d = make_deal(client, stage_id=ids["Negotiation"])  # stalls after 7 days
    clock.advance(days=8)
    assert client.get(f"/api/v1/deals/{d['id']}").json()["stalled"] is True
    r = client.post(f"/api/v1/deals/{d['id']}/next-step",
                    json={"title": "Send the contract", "due_at": "2026-03-12T10:00:00Z"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["deal"]["next_step"] == "Send the contract"
    assert body["deal"]["stalled"] is False and body["deal"]["version"] == 2
    assert body["task"]["assignee_id"] == str(admin_user[0].id)
    assert (body["task"]["status"], body["task"]["due_at"]) == ("open", "2026-03-12T10:00:00Z")
    with database.transaction(write=False) as s:
        task = s.get(Task, uuid.UUID(body["task"]["id"]))
        assert str(task.deal_id) == d["id"]
    assert_problem(client.post(f"/api/v1/deals/{d['id']}/next-step",
                               json={"title": "x", "due_at": "2026-03-12T10:00:00"}), 422,
                   "due_at")
    assert_problem(client.post(f"/api/v1/deals/{d['id']}/next-step",
                               json={"title": "x", "assignee_id": str(uuid.uuid4())}), 422,
                   "assignee_id")
    assert_problem(client.post(f"/api/v1/deals/{d['id']}/next-step", json={"title": ""}), 422,
                   "title")
