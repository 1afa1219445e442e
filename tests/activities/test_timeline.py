"""A contact's timeline: every source merged newest first, keyset pages with no gaps or
repeats (even for entries at the same instant), filters, and what each reader may see."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from amity.activities.models import Task
from amity.commerce.models import Order
from amity.core.db import Database
from amity.deals.models import Deal, Pipeline
from amity.notes.models import Note
from amity.tickets.models import Ticket
from tests.activities.conftest import call
from tests.auth.world import build_world, make_records
from tests.factories import assert_problem, make_contact

T0 = datetime(2030, 2, 1, 12, 0, tzinfo=UTC)


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _pages(client: Any, cid: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    cursor, pages = None, 0
    while True:
        r = client.get(f"/api/v1/contacts/{cid}/timeline", params={**params, "cursor": cursor})
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return items, pages


def _history(database: Database, contact_id: uuid.UUID, owner_id: uuid.UUID) -> dict[str, Any]:
    """One of each source at known times, written as rows (times are what is tested)."""
    with database.transaction() as s:
        pipeline = s.query(Pipeline).filter(Pipeline.is_default.is_(True)).one()
        won_stage = next(st for st in pipeline.stages if st.kind == "won")
        note = Note(entity_type="contact", entity_id=contact_id, body="Likes rye bread\nmore",
                    author_id=owner_id, created_at=T0 - timedelta(hours=5))
        task = Task(title="Send samples", owner_id=owner_id, assignee_id=owner_id,
                    contact_id=contact_id, custom_fields={}, created_at=T0 - timedelta(hours=4))
        deal = Deal(name="Wholesale", sort_name="wholesale", amount=Decimal("500.00"),
                    currency="EUR", pipeline_id=pipeline.id, stage_id=won_stage.id,
                    status="won", contact_id=contact_id, owner_id=owner_id, custom_fields={},
                    created_at=T0 - timedelta(hours=3), closed_at=T0 - timedelta(hours=1))
        order = Order(contact_id=contact_id, number="A-17", currency="EUR", owner_id=owner_id,
                      custom_fields={}, ordered_at=T0 - timedelta(hours=2))
        ticket = Ticket(number=9001, subject="Parcel arrived damaged", contact_id=contact_id,
                        owner_id=owner_id, custom_fields={},
                        created_at=T0 - timedelta(hours=5, minutes=30))
        s.add_all([note, task, deal, order, ticket])
        s.flush()
        return {"note": note.id, "task": task.id, "deal": deal.id, "order": order.id,
                "ticket": ticket.id}


def test_every_source_in_time_order(client: Any, database: Database, admin_user: Any) -> None:
    c = make_contact(client)
    rows = _history(database, uuid.UUID(c["id"]), admin_user[0].id)
    email = call(client, c["id"], channel="email", direction="inbound", subject="Hello",
                 occurred_at=_iso(T0))
    old = call(client, c["id"], channel="call", occurred_at=_iso(T0 - timedelta(hours=6)))
    items, _ = _pages(client, c["id"])
    got = [(i["kind"], i.get("event"), i["title"]) for i in items]
    assert got == [("interaction", None, "Hello"), ("deal", "won", "Wholesale"),
                   ("order", None, "Order A-17"), ("deal", "created", "Wholesale"),
                   ("task", None, "Send samples"), ("note", None, "Likes rye bread"),
                   ("ticket", None, "Parcel arrived damaged"),
                   ("interaction", None, "Call (outbound)")]
    assert [i["id"] for i in items] == [email["id"], str(rows["deal"]), str(rows["order"]),
                                        str(rows["deal"]), str(rows["task"]), str(rows["note"]),
                                        str(rows["ticket"]), old["id"]]
    assert items[0]["channel"] == "email" and items[0]["direction"] == "inbound"
    assert items[4]["status"] == "open" and items[1]["status"] == "won"
    only = [i["kind"] for i in _pages(client, c["id"], kinds=["note", "deal"])[0]]
    assert only == ["deal", "deal", "note"]
    calls = _pages(client, c["id"], channels=["call"])[0]
    assert [i["id"] for i in calls] == [old["id"]]
    mixed = _pages(client, c["id"], channels=["email"], kinds=["interaction", "order"])[0]
    assert [i["kind"] for i in mixed] == ["interaction", "order"]
    # the 360 view shows the first page and where to go on
    view = client.get(f"/api/v1/contacts/{c['id']}/360", params={"timeline_limit": 3}).json()
    assert [i["id"] for i in view["timeline"]] == [i["id"] for i in items[:3]]
    nxt = client.get(f"/api/v1/contacts/{c['id']}/timeline",
                     params={"cursor": view["timeline_next_cursor"], "limit": 50}).json()
    assert [i["id"] for i in nxt["items"]] == [i["id"] for i in items[3:]]


def test_pages_have_no_gaps_or_repeats_across_kinds(client: Any, database: Database,
                                                    admin_user: Any) -> None:
    """37 entries, many at the same instant across sources, walked 5 at a time."""
    c = make_contact(client)
    cid = uuid.UUID(c["id"])
    with database.transaction() as s:
        for n in range(12):
            at = T0 - timedelta(minutes=n // 3)  # groups of three share an instant
            s.add(Note(entity_type="contact", entity_id=cid, body=f"note {n}",
                       author_id=admin_user[0].id, created_at=at))
            s.add(Task(title=f"task {n}", owner_id=admin_user[0].id, contact_id=cid,
                       custom_fields={}, created_at=at))
    for n in range(13):
        call(client, c["id"], subject=f"call {n}",
             occurred_at=_iso(T0 - timedelta(minutes=n // 3)))
    everything = client.get(f"/api/v1/contacts/{c['id']}/timeline",
                            params={"limit": 200}).json()["items"]
    assert len(everything) == 37
    times = [i["occurred_at"] for i in everything]
    assert times == sorted(times, reverse=True)
    walked, pages = _pages(client, c["id"], limit=5)
    assert pages == 8
    assert [(i["kind"], i["id"]) for i in walked] == [(i["kind"], i["id"]) for i in everything]
    assert len({(i["kind"], i["id"]) for i in walked}) == 37


def test_deleted_entries_are_left_out(client: Any) -> None:
    c = make_contact(client)
    kept = call(client, c["id"], subject="kept")
    gone = call(client, c["id"], subject="gone")
    client.delete(f"/api/v1/interactions/{gone['id']}")
    items = client.get(f"/api/v1/contacts/{c['id']}/timeline").json()["items"]
    assert [i["id"] for i in items] == [kept["id"]]


def test_bad_parameters(client: Any) -> None:
    c = make_contact(client)
    url = f"/api/v1/contacts/{c['id']}/timeline"
    assert_problem(client.get(url, params={"cursor": "garbage"}), 422, "cursor",
                   "cursor.invalid")
    assert_problem(client.get(url, params={"kinds": "letters"}), 422, "kinds.0")
    assert_problem(client.get(url, params={"channels": "fax"}), 422, "channels.0")
    assert_problem(client.get(url, params={"limit": 0}), 422, "limit")
    assert_problem(client.get(f"/api/v1/contacts/{uuid.uuid4()}/timeline"), 404)


def test_readers_see_only_the_deals_and_orders_they_may(anon: Any, database: Database) -> None:
    """Support agents see every contact but no deals; their timeline leaves deals out."""
    w = build_world(database)
    rec = make_records(database, w.ids["outsider"])
    url = f"/api/v1/contacts/{rec['contact_id']}/timeline"
    admin = anon.get(url, headers={"Authorization": f"Bearer {w.tokens['admin']}"}).json()
    support = anon.get(url, headers={"Authorization": f"Bearer {w.tokens['support_agent']}"})
    seen_by_admin = {i["kind"] for i in admin["items"]}
    seen_by_support = {i["kind"] for i in support.json()["items"]}
    assert {"interaction", "note", "task", "deal", "order"} <= seen_by_admin
    assert seen_by_admin - seen_by_support == {"deal"}
