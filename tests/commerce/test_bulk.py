"""Bulk import: per item created / existing / error; all or nothing on request; re-importing
the same file changes nothing."""

from __future__ import annotations

import time
from typing import Any

from amity.commerce.models import Order, OrderLine
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.core.events import EventRecord
from tests.commerce.support import make_product, order_body
from tests.factories import assert_problem, count, counts, make_contact

LINE = {"description": "Bread", "quantity": "1", "unit_price": "2.00"}


def test_each_item_gets_its_outcome(client: Any, database: Database) -> None:
    contact = make_contact(client)
    known = client.post("/api/v1/orders", json=order_body(contact, LINE, external_ref="k-1"))
    assert known.status_code == 201
    items = [
        order_body(contact, LINE, external_ref="n-1"),
        order_body(contact, LINE, external_ref="k-1"),
        order_body(contact, {**LINE, "quantity": "-1"}, external_ref="n-2"),
        order_body({"id": "00000000-0000-4000-8000-000000000000"}, LINE, external_ref="n-3"),
        order_body(contact, LINE, external_ref="n-1"),  # twice in one file
        order_body(contact, {**LINE, "unit_price": "3.00"}, external_ref="k-1"),
        {"currency": "EUR", "lines": [LINE]},  # no customer
    ]
    r = client.post("/api/v1/orders/bulk", json={"items": items})
    assert r.status_code == 200, r.text
    body = r.json()
    outcome = [(i["result"], (i["error"] or {}).get("field"), (i["error"] or {}).get("code"))
               for i in body["items"]]
    assert outcome == [
        ("created", None, None),
        ("existing", None, None),
        ("error", "items.2.lines.0.quantity", "validation_error"),
        ("error", "items.3.contact_id", "contact.not_found"),
        ("existing", None, None),
        ("error", "items.5.external_ref", "order.external_ref_conflict"),
        ("error", "items.6.contact_id", "order.customer_required")]
    assert (body["created"], body["existing"], body["errors"]) == (1, 2, 4)
    assert body["items"][1]["id"] == known.json()["id"]
    assert body["items"][4]["id"] == body["items"][0]["id"]
    assert count(database, Order) == 2


def test_all_or_nothing_stores_nothing_on_any_error(client: Any, database: Database) -> None:
    contact = make_contact(client)
    items = [order_body(contact, LINE, external_ref=f"a-{i}") for i in range(5)]
    items[3]["lines"][0]["discount_percent"] = "101"
    items[4]["contact_id"] = "00000000-0000-4000-8000-000000000000"
    before = counts(database, Order, OrderLine, AuditEntry, EventRecord)
    r = client.post("/api/v1/orders/bulk", json={"items": items, "all_or_nothing": True})
    problem = assert_problem(r, 422, "items.3.lines.0.discount_percent", "bulk.invalid")
    assert [(e["field"], e["type"]) for e in problem["errors"]] == [
        ("items.3.lines.0.discount_percent", "validation_error"),
        ("items.4.contact_id", "contact.not_found")]
    assert counts(database, Order, OrderLine, AuditEntry, EventRecord) == before
    assert before["orders"] == 0
    items[4]["contact_id"] = contact["id"]
    items[3]["lines"][0]["discount_percent"] = "100"
    r = client.post("/api/v1/orders/bulk", json={"items": items, "all_or_nothing": True})
    assert r.status_code == 200 and r.json()["created"] == 5
    assert_problem(client.post("/api/v1/orders/bulk", json={"items": []}), 422, "items")
    assert_problem(client.post("/api/v1/orders/bulk", json={"items": [{}] * 1001}), 422,
                   "items")


def test_a_thousand_orders_and_their_reimport(client: Any, database: Database) -> None:
    contacts = [make_contact(client)["id"] for _ in range(20)]
    cake = make_product(client, name="Cake", price="12.00")
    items = [{"contact_id": contacts[i % 20], "currency": "EUR", "external_ref": f"shop-{i}",
              "ordered_at": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z",
              "lines": [{"product_id": cake["id"], "quantity": str(1 + i % 3)}, dict(LINE)]}
             for i in range(1000)]
    started = time.perf_counter()
    r = client.post("/api/v1/orders/bulk", json={"items": items})
    first = time.perf_counter() - started
    assert r.status_code == 200, r.text[:300]
    assert (r.json()["created"], r.json()["errors"]) == (1000, 0)
    assert count(database, Order) == 1000 and count(database, OrderLine) == 2000
    started = time.perf_counter()
    again = client.post("/api/v1/orders/bulk", json={"items": items})
    second = time.perf_counter() - started
    assert (again.json()["existing"], again.json()["created"]) == (1000, 0)
    assert count(database, Order) == 1000
    print(f"\n{database.dialect}: 1,000 orders imported in {first:.2f} s, "
          f"re-imported in {second:.2f} s")
