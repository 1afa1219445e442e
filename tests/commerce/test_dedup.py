"""Re-sending an order with a known external_ref returns the stored one: sequentially, and
when two requests race (the unique constraint decides; the loser gets the winner)."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select

from amity.auth.models import Role, User
from amity.commerce.models import Order, OrderLine
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.core.events import EventRecord
from tests.commerce.support import order_body
from tests.conftest import make_user
from tests.factories import assert_problem, count, counts, make_contact


def test_same_ref_returns_the_stored_order(client: Any, database: Database) -> None:
    contact = make_contact(client)
    body = order_body(contact, {"description": "Cake", "quantity": "2", "unit_price": "9.50"},
                      external_ref="shop-1001", ordered_at="2026-04-01T09:00:00Z",
                      status="paid")
    first = client.post("/api/v1/orders", json=body)
    assert first.status_code == 201, first.text
    before = counts(database, Order, OrderLine, AuditEntry, EventRecord)
    again = client.post("/api/v1/orders", json=body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    # a re-import that leaves out what it does not know still finds the order
    short = {k: v for k, v in body.items() if k not in ("ordered_at", "status")}
    assert client.post("/api/v1/orders", json=short).status_code == 200
    assert counts(database, Order, OrderLine, AuditEntry, EventRecord) == before


def test_same_ref_with_other_content_is_409(client: Any, database: Database) -> None:
    contact = make_contact(client)
    body = order_body(contact, {"description": "Cake", "quantity": "2", "unit_price": "9.50"},
                      external_ref="shop-1002")
    assert client.post("/api/v1/orders", json=body).status_code == 201
    for change in ({"status": "refunded"}, {"currency": "USD"},
                   {"lines": [{"description": "Cake", "quantity": "3", "unit_price": "9.50"}]},
                   {"lines": [{"description": "Cake", "quantity": "2", "unit_price": "9.40"}]},
                   {"lines": [*body["lines"], *body["lines"]]}):
        assert_problem(client.post("/api/v1/orders", json={**body, **change}), 409,
                       "external_ref", "order.external_ref_conflict")
    assert count(database, Order) == 1
    only = client.get("/api/v1/orders").json()["items"]
    assert [(o["status"], o["total"]) for o in only] == [("placed", "19.00")]


def test_deleted_ref_is_409(client: Any, database: Database) -> None:
    body = order_body(make_contact(client), external_ref="shop-1003")
    order = client.post("/api/v1/orders", json=body).json()
    assert client.delete(f"/api/v1/orders/{order['id']}").status_code == 204
    assert_problem(client.post("/api/v1/orders", json=body), 409, "external_ref",
                   "order.external_ref_deleted")
    assert count(database, Order) == 1


def test_ref_of_an_order_out_of_sight_does_not_leak(client: Any, anon: Any,
                                                    database: Database) -> None:
    """A sales rep of no team sees only their own orders: the ref is taken, nothing more
    (the same answer whether or not the stored order says the same)."""
    body = order_body(make_contact(client), external_ref="shop-1004")
    assert client.post("/api/v1/orders", json=body).status_code == 201
    rep, token = make_user(database)
    with database.transaction() as s:
        user = s.get(User, rep.id)
        assert user is not None
        user.role = s.scalar(select(Role).where(Role.name == "sales_rep"))
    h = {"Authorization": f"Bearer {token}"}
    mine = anon.post("/api/v1/contacts", json={"first_name": "Mine"}, headers=h).json()
    for lines in (body["lines"], [{"description": "Other", "quantity": "1", "unit_price": "1"}]):
        r = anon.post("/api/v1/orders", headers=h,
                      json={**body, "contact_id": mine["id"], "lines": lines})
        problem = assert_problem(r, 409, "external_ref", "order.external_ref_taken")
        assert "id" not in problem
    assert count(database, Order) == 1


def test_two_concurrent_requests_make_one_order(app: Any, client: Any, database: Database,
                                                admin_user: Any) -> None:
    """Both requests look the ref up (and find nothing) before either writes: a pause after
    the lookup holds them there. On PostgreSQL both then insert; the unique constraint makes
    the second wait for the first, fail, and return the first's order (a third lookup). On
    SQLite write transactions queue on the database lock, so the second lookup finds it."""
    body = order_body(make_contact(client), external_ref="race-1")
    lookups: list[str] = []

    def _pause(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM orders" in statement \
                and "orders.external_ref = " in statement:
            lookups.append(statement)
            time.sleep(0.3)

    event.listen(database.engine, "after_cursor_execute", _pause)
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def post() -> None:
        with TestClient(app) as tc:
            barrier.wait()
            results.append(tc.post("/api/v1/orders", json=body,
                                   headers={"Authorization": f"Bearer {admin_user[1]}"}))

    threads = [threading.Thread(target=post) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        event.remove(database.engine, "after_cursor_execute", _pause)
    assert sorted(r.status_code for r in results) == [200, 201], [r.text for r in results]
    assert results[0].json()["id"] == results[1].json()["id"]
    assert count(database, Order) == 1 and count(database, OrderLine) == 1
    assert len(lookups) == (3 if database.dialect == "postgresql" else 2)
