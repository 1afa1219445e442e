"""Moving deals: stage rules (won, lost, reopen), pipeline transfers, history rows, events,
positions in a column, versions and idempotent retries."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select

from amity.commerce.models import Order
from amity.deals.models import Deal, DealStageChange
from tests.deals.deal_support import (
    clock,
    events,
    make_deal,
    make_pipeline,
    move,
    stages,
    user_client,
)
from tests.factories import assert_problem, counts, make_contact

__all__ = ["clock"]


def _history(client, deal_id):
    return client.get(f"/api/v1/deals/{deal_id}/stage-history").json()["items"]


def test_move_through_the_pipeline(client, database, clock, admin_user):
    ids = stages(client)
    d = make_deal(client)
    clock.advance(hours=1)
    r = move(client, d["id"], ids["Proposal"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["stage_id"], body["probability"], body["status"], body["version"]) == (
        ids["Proposal"], 50, "open", 2)
    assert body["stage_entered_at"] == body["last_activity_at"] == "2026-03-02T10:00:00Z"
    assert r.headers["etag"] == '"v2"'
    hist = _history(client, d["id"])
    assert [(h["from_stage_id"], h["to_stage_id"]) for h in hist] == [
        (None, ids["Qualification"]), (ids["Qualification"], ids["Proposal"])]
    assert hist[1]["actor_id"] == str(admin_user[0].id)
    stage_events = [p for t, p in events(database, d["id"]) if t == "deal.stage_changed"]
    assert stage_events[-1] == {"deal_id": d["id"], "from_stage_id": ids["Qualification"],
                                "to_stage_id": ids["Proposal"], "from_pipeline_id":
                                d["pipeline_id"], "to_pipeline_id": d["pipeline_id"]}
    # an overridden probability survives moves
    client.patch(f"/api/v1/deals/{d['id']}", json={"probability": 70})
    assert move(client, d["id"], ids["Negotiation"]).json()["probability"] == 70


def test_won_lost_and_reopened(client, database, clock):
    ids = stages(client)
    reason = client.get("/api/v1/lost-reasons").json()[0]["id"]
    d = make_deal(client, probability=40)
    clock.advance(days=3)
    won = move(client, d["id"], ids["Won"]).json()
    assert (won["status"], won["probability"], won["probability_overridden"]) == ("won", 100,
                                                                                  False)
    assert won["closed_at"] == "2026-03-05T09:00:00Z"
    clock.advance(days=1)
    reopened = move(client, d["id"], ids["Negotiation"]).json()
    assert (reopened["status"], reopened["closed_at"], reopened["probability"]) == (
        "open", None, 80)
    before = counts(database, Deal, DealStageChange)
    assert_problem(move(client, d["id"], ids["Lost"]), 422, "lost_reason_id",
                   "deal.lost_reason_required")
    assert_problem(move(client, d["id"], ids["Lost"], lost_reason_id=str(uuid.uuid4())), 422,
                   "lost_reason_id", "lost_reason.not_found")
    assert_problem(move(client, d["id"], ids["Proposal"], lost_reason_text="x"), 422,
                   "lost_reason_text", "deal.not_lost")
    assert counts(database, Deal, DealStageChange) == before
    assert client.get(f"/api/v1/deals/{d['id']}").json()["stage_id"] == ids["Negotiation"]
    lost = move(client, d["id"], ids["Lost"], lost_reason_id=reason,
                lost_reason_text="Their CFO said no").json()
    assert (lost["status"], lost["probability"], lost["lost_reason_id"]) == ("lost", 0, reason)
    assert lost["closed_at"] == "2026-03-06T09:00:00Z"
    reopened = move(client, d["id"], ids["Qualification"]).json()
    assert (reopened["lost_reason_id"], reopened["lost_reason_text"]) == (None, None)
    kinds = [t for t, _ in events(database, d["id"]) if t in ("deal.won", "deal.lost")]
    assert sorted(kinds) == ["deal.lost", "deal.won"]
    assert len(_history(client, d["id"])) == 5


def test_move_to_another_pipeline(client, database):
    ids = stages(client)
    other = make_pipeline(client, "Partners", "Intro", "Pilot")
    pilot = other["stages"][1]["id"]
    d = make_deal(client)
    before = counts(database, Deal, DealStageChange)
    body = assert_problem(move(client, d["id"], pilot), 422, "stage_id",
                          "deal.stage_not_in_pipeline")
    assert "Pilot" in body["detail"]
    assert_problem(move(client, d["id"], ids["Proposal"], pipeline_id=other["id"]), 422,
                   "stage_id", "deal.stage_not_in_pipeline")
    assert counts(database, Deal, DealStageChange) == before
    r = move(client, d["id"], pilot, pipeline_id=other["id"])
    assert r.status_code == 200, r.text
    assert (r.json()["pipeline_id"], r.json()["stage_id"], r.json()["probability"]) == (
        other["id"], pilot, 30)
    last = _history(client, d["id"])[-1]
    assert (last["from_pipeline_id"], last["to_pipeline_id"]) == (d["pipeline_id"], other["id"])
    assert [x["id"] for x in client.get("/api/v1/deals", params={
        "pipeline_id": other["id"]}).json()["items"]] == [d["id"]]


def test_stale_version_is_refused(client, database):
    ids = stages(client)
    d = make_deal(client)
    assert move(client, d["id"], ids["Proposal"], version=1).status_code == 200
    before = counts(database, Deal, DealStageChange)
    assert_problem(move(client, d["id"], ids["Negotiation"], version=1), 412,
                   code="version.stale")
    assert_problem(client.post(f"/api/v1/deals/{d['id']}/move",
                               json={"stage_id": ids["Negotiation"]},
                               headers={"If-Match": '"v1"'}), 412)
    assert counts(database, Deal, DealStageChange) == before
    assert client.post(f"/api/v1/deals/{d['id']}/move", json={"stage_id": ids["Negotiation"]},
                       headers={"If-Match": '"v2"'}).status_code == 200


def test_idempotent_move(client, database):
    ids = stages(client)
    d = make_deal(client)
    headers = {"Idempotency-Key": "move-1"}
    first = client.post(f"/api/v1/deals/{d['id']}/move", json={"stage_id": ids["Proposal"]},
                        headers=headers)
    again = client.post(f"/api/v1/deals/{d['id']}/move", json={"stage_id": ids["Proposal"]},
                        headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true" and first.json() == again.json()
    assert len(_history(client, d["id"])) == 2


def test_won_with_an_order(client, database, clock):
    ids = stages(client)
    person = make_contact(client)
    d = make_deal(client, contact_id=person["id"])
    client.put(f"/api/v1/deals/{d['id']}/lines", json={"lines": [
        {"description": "Oven", "quantity": "2", "unit_price": "1500.00"}]})
    clock.advance(days=2)
    r = move(client, d["id"], ids["Won"], create_order=True)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "won" and r.json()["order_id"]
    with database.transaction(write=False) as s:
        order = s.get(Order, uuid.UUID(r.json()["order_id"]))
        assert (str(order.deal_id), str(order.contact_id), order.total, order.currency) == (
            d["id"], person["id"], Decimal("3000.00"), "EUR")
        assert order.ordered_at == clock.now
    # an order goes with winning: not again, not elsewhere
    assert_problem(move(client, d["id"], ids["Won"], create_order=True), 422, "create_order",
                   "deal.create_order_not_won")
    other = make_deal(client)
    assert_problem(move(client, other["id"], ids["Proposal"], create_order=True), 422,
                   "create_order")
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1


def _column(client, stage_id):
    r = client.get("/api/v1/deals", params={"stage_id": stage_id, "sort": "rank", "limit": 200})
    return [x["name"] for x in r.json()["items"]]


def test_positions_in_a_column(client):
    ids = stages(client)
    stage = ids["Proposal"]
    for name in "ABC":
        make_deal(client, name=name, stage_id=stage)
    assert _column(client, stage) == ["A", "B", "C"]
    d = make_deal(client, name="D")
    move(client, d["id"], stage, position=0)
    assert _column(client, stage) == ["D", "A", "B", "C"]
    move(client, d["id"], stage, position=2)  # within the column: after A and B
    assert _column(client, stage) == ["A", "B", "D", "C"]
    move(client, d["id"], stage)  # no position: the bottom
    assert _column(client, stage) == ["A", "B", "C", "D"]
    move(client, d["id"], stage, position=99)  # past the end: the bottom
    assert _column(client, stage) == ["A", "B", "C", "D"]
    # a move within the stage is not a stage change
    assert len(_history(client, d["id"])) == 2


def test_many_drops_into_one_gap_renumber_the_column(client):
    ids = stages(client)
    stage = ids["Negotiation"]
    make_deal(client, name="first", stage_id=stage)
    make_deal(client, name="last", stage_id=stage)
    names = ["first", "last"]
    for i in range(70):  # halving a gap of 1.0 runs out of room after ~30 drops
        d = make_deal(client, name=f"n{i:02d}")
        assert move(client, d["id"], stage, position=1).status_code == 200
        names.insert(1, f"n{i:02d}")
    assert _column(client, stage) == names
    ranks = [x["rank"] for x in client.get("/api/v1/deals", params={
        "stage_id": stage, "sort": "rank", "limit": 200}).json()["items"]]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


def test_positions_count_the_deals_the_mover_sees(app, client, database):
    ids = stages(client)
    stage = ids["Proposal"]
    rep, _ = user_client(app, database, "sales_rep", team="North")
    outsider, _ = user_client(app, database, "sales_rep", team="South", name="Out")
    make_deal(rep, name="R1", stage_id=stage)
    make_deal(outsider, name="X1", stage_id=stage)
    make_deal(rep, name="R2", stage_id=stage)
    mine = make_deal(rep, name="R3")
    assert move(rep, mine["id"], stage, position=1).status_code == 200
    assert _column(rep, stage) == ["R1", "R3", "R2"]  # second of what the rep sees
    everyone = _column(client, stage)  # the unseen X1 stays between R1 and R2 too
    assert (everyone[0], sorted(everyone[1:3]), everyone[3]) == ("R1", ["R3", "X1"], "R2")
