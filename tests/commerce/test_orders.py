"""Orders: lines priced from the catalogue, exact totals, validation, edits, lists, events."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from amity.commerce.models import Order, OrderLine
from amity.core.db import Database
from amity.core.events import EventRecord
from tests.commerce.support import make_order, make_product, order_body
from tests.factories import assert_problem, count, make_company, make_contact


def test_hand_computed_order(client: Any, database: Database) -> None:
    """12 croissants at 2.50 less 10% = 27.00 (gross 30.00); a cake 34.90; 2.5 kg of coffee at
    18.75 = 46.875 -> 46.88 (half-even: 7 is odd, rounds up); 0.25 less 50% = 0.125 -> 0.12
    (half-even: 2 is even, stays; half-up would say 0.13).
    Subtotal 30.00 + 34.90 + 46.88 + 0.25 = 112.03; total 27.00 + 34.90 + 46.88 + 0.12 =
    108.90; discount 3.13."""
    croissant = make_product(client, sku="CRO-1", name="Croissant", category="Viennoiserie",
                             price="2.50")
    coffee = make_product(client, sku="COF-1", name="Coffee beans 1 kg", category="Coffee",
                          price="18.75")
    contact = make_contact(client)
    order = make_order(client, contact,
                       {"product_id": croissant["id"], "quantity": "12",
                        "discount_percent": "10"},
                       {"description": "Birthday cake", "quantity": "1", "unit_price": "34.90"},
                       {"product_id": coffee["id"], "quantity": "2.5"},
                       {"description": "Sample", "quantity": "1", "unit_price": "0.25",
                        "discount_percent": "50"},
                       channel="store", number="T-1001")
    lines = order["lines"]
    assert [(ln["sku"], ln["description"], ln["category"], ln["unit_price"], ln["total"])
            for ln in lines] == [
        ("CRO-1", "Croissant", "Viennoiserie", "2.5000", "27.00"),
        (None, "Birthday cake", None, "34.9000", "34.90"),
        ("COF-1", "Coffee beans 1 kg", "Coffee", "18.7500", "46.88"),
        (None, "Sample", None, "0.2500", "0.12")]
    assert (order["subtotal"], order["discount_total"], order["total"]) == (
        "112.03", "3.13", "108.90")
    assert order["contact_id"] == contact["id"] and order["status"] == "placed"
    # what the database holds reads back the same
    assert client.get(f"/api/v1/orders/{order['id']}").json() == order
    with database.transaction(write=False) as s:
        stored = s.get(Order, uuid.UUID(order["id"]))
        assert stored is not None and stored.total == Decimal("108.90")
        event = s.scalar(select(EventRecord).where(EventRecord.type == "order.placed"))
        assert event is not None
        assert {k: event.payload[k] for k in ("order_id", "contact_id", "company_id", "total",
                                              "currency", "channel")} == {
            "order_id": order["id"], "contact_id": contact["id"], "company_id": None,
            "total": "108.90", "currency": "EUR", "channel": "store"}


def test_ten_cents_and_twenty_cents_make_thirty(client: Any, database: Database) -> None:
    contact = make_contact(client)
    order = make_order(client, contact,
                       {"description": "A", "quantity": "1", "unit_price": "0.10"},
                       {"description": "B", "quantity": "1", "unit_price": "0.20"})
    assert order["total"] == order["subtotal"] == "0.30"
    with database.transaction(write=False) as s:
        totals = s.scalars(select(OrderLine.total)).all()
        assert sum(totals) == Decimal("0.30")


def test_product_in_another_currency_needs_a_unit_price(client: Any, database: Database) -> None:
    eur = make_product(client, sku="EUR-1", name="Tart", price="4.00", currency="EUR")
    contact = make_contact(client)
    r = client.post("/api/v1/orders", json=order_body(
        contact, {"product_id": eur["id"], "quantity": "1"}, currency="USD"))
    assert_problem(r, 422, "lines.0.unit_price", "order_line.currency_mismatch")
    assert count(database, Order) == 0
    order = make_order(client, contact, {"product_id": eur["id"], "quantity": "2",
                                         "unit_price": "4.40"}, currency="USD")
    assert (order["currency"], order["total"], order["lines"][0]["sku"]) == ("USD", "8.80",
                                                                             "EUR-1")


@pytest.mark.parametrize(("line", "field", "code"), [
    ({"quantity": "1.2345"}, "lines.0.quantity", None),
    ({"quantity": "-1"}, "lines.0.quantity", None),
    ({"quantity": "0"}, "lines.0.quantity", None),
    ({"discount_percent": "101"}, "lines.0.discount_percent", None),
    ({"discount_percent": "-5"}, "lines.0.discount_percent", None),
    ({"unit_price": "0.00001"}, "lines.0.unit_price", None),
    ({"unit_price": "-2"}, "lines.0.unit_price", None),
    ({"unit_price": None}, "lines.0.unit_price", "order_line.unit_price_required"),
    ({"description": None}, "lines.0.description", "order_line.description_required"),
    ({"product_id": "00000000-0000-4000-8000-000000000000"}, "lines.0.product_id",
     "product.not_found"),
    ({"quantity": "999999999", "unit_price": "99999999999"}, "lines.0.quantity",
     "order_line.amount_too_large"),
])
def test_bad_lines_are_422_and_store_nothing(client: Any, database: Database,
                                             line: dict[str, Any], field: str,
                                             code: str | None) -> None:
    contact = make_contact(client)
    body = order_body(contact, {"description": "Bread", "quantity": "1", "unit_price": "2",
                                **line})
    assert_problem(client.post("/api/v1/orders", json=body), 422, field, code)
    assert count(database, Order) == count(database, OrderLine) == 0


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"currency": "usd"}, "currency", None),
    ({"currency": "US"}, "currency", None),
    ({"contact_id": None}, "contact_id", "order.customer_required"),
    ({"contact_id": "00000000-0000-4000-8000-000000000000"}, "contact_id", "contact.not_found"),
    ({"company_id": "00000000-0000-4000-8000-000000000000"}, "company_id", "company.not_found"),
    ({"lines": []}, "lines", None),
    ({"ordered_at": "2026-01-05T10:00:00"}, "ordered_at", None),
    ({"channel": "fax"}, "channel", None),
    ({"status": "lost"}, "status", None),
    ({"owner_id": "00000000-0000-4000-8000-000000000000"}, "owner_id", "user.not_found"),
    ({"surprise": 1}, "surprise", None),
])
def test_bad_orders_are_422_and_store_nothing(client: Any, database: Database,
                                              change: dict[str, Any], field: str,
                                              code: str | None) -> None:
    contact = make_contact(client)
    r = client.post("/api/v1/orders", json={**order_body(contact), **change})
    assert_problem(r, 422, field, code)
    assert count(database, Order) == 0


def test_edit_replaces_lines_and_recomputes(client: Any, database: Database) -> None:
    contact, company = make_contact(client), make_company(client)
    order = make_order(client, contact)
    url = f"/api/v1/orders/{order['id']}"
    assert_problem(client.patch(url, json={"status": "paid"}, headers={"If-Match": '"v9"'}),
                   412)
    r = client.patch(url, headers={"If-Match": '"v1"'}, json={
        "status": "paid", "company_id": company["id"], "notes": "Paid by card",
        "lines": [{"description": "Baguette", "quantity": "3", "unit_price": "1.20"},
                  {"description": "Tart", "quantity": "1", "unit_price": "18.00",
                   "discount_percent": "12.5"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    # 3 x 1.20 = 3.60; 18.00 less 12.5% = 15.75; subtotal 21.60, total 19.35
    assert (body["status"], body["subtotal"], body["discount_total"], body["total"]) == (
        "paid", "21.60", "2.25", "19.35")
    assert body["version"] == 2 and r.headers["ETag"] == '"v2"'
    assert count(database, OrderLine) == 2  # the old line went
    assert_problem(client.patch(url, json={"contact_id": None, "company_id": None}), 422,
                   "contact_id", "order.customer_required")
    assert_problem(client.patch(url, json={"lines": None}), 422)
    assert_problem(client.patch(url, json={"owner_id": str(uuid.uuid4())}), 422, "owner_id",
                   "user.not_found")
    assert_problem(client.patch(url, json={"lines": [{"description": "X", "quantity": "-1",
                                                      "unit_price": "1"}]}), 422,
                   "lines.0.quantity")
    assert client.get(url).json()["total"] == "19.35"
    history = client.get(f"{url}/history").json()
    assert [h["action"] for h in history] == ["update", "create"]
    assert history[0]["changes"]["total"] == ["1.20", "19.35"]
    assert history[0]["changes"]["status"] == ["placed", "paid"]


def test_delete_and_restore(client: Any) -> None:
    order = make_order(client, make_contact(client))
    url = f"/api/v1/orders/{order['id']}"
    assert_problem(client.delete(url, headers={"If-Match": '"v7"'}), 412)
    assert client.delete(url).status_code == 204
    assert_problem(client.get(url), 404)
    assert client.get("/api/v1/orders").json()["items"] == []
    assert [o["id"] for o in client.get("/api/v1/orders", params={"deleted": "only"}
                                        ).json()["items"]] == [order["id"]]
    r = client.post(f"{url}/restore")
    assert r.status_code == 200 and r.json()["deleted_at"] is None
    assert [h["action"] for h in client.get(f"{url}/history").json()] == [
        "restore", "delete", "create"]


def test_idempotency_key_replays_the_answer(client: Any, database: Database) -> None:
    body = order_body(make_contact(client))
    first = client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "o-1"})
    again = client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "o-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert count(database, Order) == 1
    assert_problem(client.post("/api/v1/orders", json={**body, "notes": "other"},
                               headers={"Idempotency-Key": "o-1"}), 422, "Idempotency-Key")
