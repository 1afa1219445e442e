"""Purchase history on a hand-computed example, replacement due dates under a controlled clock,
and the customers due for a replacement."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from amity.commerce.history import purchase_summary
from amity.core.clock import set_clock
from amity.core.db import Database
from tests.commerce.support import make_order, make_product
from tests.factories import assert_problem, make_company, make_contact

TODAY = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[None]:
    set_clock(lambda: TODAY)
    yield
    set_clock(None)


@pytest.fixture
def shop(client: Any, frozen: None) -> dict[str, Any]:
    """Ann's purchases. Counted: 20 Jun 2023 (fulfilled) a laptop 1000.00, 2 reams of paper
    10.00 and a toner 40.00 = 1050.00 EUR; 1 Feb 2026 (paid) a toner 40.00 and 10 reams less
    10% = 45.00, 85.00 EUR; 1 Apr 2026 (placed) 20 hours of consulting at 15.00 = 300.00 USD.
    Not counted: a cancelled order of 3 laptops, a refunded one of 100 reams, a deleted one
    of 5 toners. Bob bought a laptop this January; Cy a toner on 1 June."""
    laptop = make_product(client, sku="LAP", name="Laptop 14", category="Computers",
                          price="1000.00", replacement_cycle_days=1095)
    toner = make_product(client, sku="TON", name="Printer toner", category="Supplies",
                         price="40.00", replacement_cycle_days=90)
    paper = make_product(client, sku="PAP", name="Paper A4", category="Supplies", price="5.00")
    ann, bob, cy = make_contact(client), make_contact(client), make_contact(client)
    acme = make_company(client)

    def line(product: dict[str, Any], qty: str, **extra: Any) -> dict[str, Any]:
        return {"product_id": product["id"], "quantity": qty, **extra}

    make_order(client, ann, line(laptop, "1"), line(paper, "2"), line(toner, "1"),
               ordered_at="2023-06-20T10:00:00Z", status="fulfilled", company_id=acme["id"])
    make_order(client, ann, line(toner, "1"), line(paper, "10", discount_percent="10"),
               ordered_at="2026-02-01T09:30:00Z", status="paid")
    make_order(client, ann, {"description": "Consulting", "category": "Services",
                             "quantity": "20", "unit_price": "15.00"},
               currency="USD", ordered_at="2026-04-01T14:00:00Z")
    make_order(client, ann, line(laptop, "3"), ordered_at="2026-05-01T10:00:00Z",
               status="cancelled")
    make_order(client, ann, line(paper, "100"), ordered_at="2026-03-20T10:00:00Z",
               status="refunded")
    gone = make_order(client, ann, line(toner, "5"), ordered_at="2026-05-10T10:00:00Z")
    assert client.delete(f"/api/v1/orders/{gone['id']}").status_code == 204
    make_order(client, bob, line(laptop, "1"), ordered_at="2026-01-05T10:00:00Z")
    make_order(client, cy, line(toner, "1"), ordered_at="2026-06-01T10:00:00Z")
    return {"ann": ann, "bob": bob, "cy": cy, "acme": acme, "laptop": laptop["id"],
            "toner": toner["id"], "paper": paper["id"]}


def test_purchase_summary_by_hand(client: Any, shop: dict[str, Any]) -> None:
    r = client.get(f"/api/v1/contacts/{shop['ann']['id']}/purchases")
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["orders"] == 3
    assert s["first_purchase_at"].startswith("2023-06-20T10:00:00")
    assert s["last_purchase_at"].startswith("2026-04-01T14:00:00")
    assert s["spend"] == [
        {"currency": "EUR", "orders": 2, "total": "1135.00", "average": "567.50"},
        {"currency": "USD", "orders": 1, "total": "300.00", "average": "300.00"}]
    assert [(p["name"], p["quantity"], p["orders"]) for p in s["top_products_by_quantity"]] == [
        ("Consulting", "20.000", 1), ("Paper A4", "12.000", 2), ("Printer toner", "2.000", 2),
        ("Laptop 14", "1.000", 1)]
    assert [p["name"] for p in s["top_products_by_orders"]] == [
        "Paper A4", "Printer toner", "Consulting", "Laptop 14"]
    assert s["top_products_by_orders"][0]["sku"] == "PAP"
    assert [(c["category"], c["orders"], c["quantity"]) for c in s["top_categories"]] == [
        ("Supplies", 2, "14.000"), ("Services", 1, "20.000"), ("Computers", 1, "1.000")]
    # laptop: 20 Jun 2023 + 1095 days = 19 Jun 2026 (2024 had 29 February), in 4 days;
    # toner: 1 Feb 2026 + 90 days = 2 May 2026, overdue (the deleted May order does not count)
    assert [(d["sku"], d["last_purchased_on"], d["due_on"], d["overdue"], d["due_soon"])
            for d in s["replacements"]] == [
        ("TON", "2026-02-01", "2026-05-02", True, False),
        ("LAP", "2023-06-20", "2026-06-19", False, True)]
    # the company's history holds only the order that names it
    acme = client.get(f"/api/v1/companies/{shop['acme']['id']}/purchases").json()
    assert acme["orders"] == 1 and acme["spend"][0]["total"] == "1050.00"


def test_a_customer_without_purchases(client: Any, frozen: None) -> None:
    s = client.get(f"/api/v1/contacts/{make_contact(client)['id']}/purchases").json()
    assert s == {"orders": 0, "first_purchase_at": None, "last_purchase_at": None,
                 "spend": [], "top_products_by_quantity": [], "top_products_by_orders": [],
                 "top_categories": [], "replacements": []}
    assert_problem(client.get(f"/api/v1/contacts/{uuid.uuid4()}/purchases"), 404)
    assert_problem(client.get(f"/api/v1/companies/{uuid.uuid4()}/purchases"), 404)


@pytest.mark.parametrize(("bought", "due_soon", "overdue"), [
    ("2026-03-17", True, False),   # due today (90 days later)
    ("2026-04-16", True, False),   # due in exactly 30 days
    ("2026-04-17", False, False),  # due in 31 days
    ("2026-03-16", False, True),   # was due yesterday
])
def test_due_dates_at_the_edges(client: Any, database: Database, frozen: None, bought: str,
                                due_soon: bool, overdue: bool) -> None:
    toner = make_product(client, sku="T", name="Toner", price="1", replacement_cycle_days=90)
    contact = make_contact(client)
    make_order(client, contact, {"product_id": toner["id"], "quantity": "1"},
               ordered_at=f"{bought}T23:59:00Z")
    with database.transaction(write=False) as s:
        summary = purchase_summary(s, contact_id=uuid.UUID(contact["id"]), today=TODAY.date())
    (due,) = summary.replacements
    assert (due.due_soon, due.overdue) == (due_soon, overdue)
    assert (due.due_on - date.fromisoformat(bought)).days == 90
    assert summary.spend[0].total == Decimal("1.00")


def test_customers_due_for_a_replacement(client: Any, shop: dict[str, Any]) -> None:
    def due(**params: Any) -> list[tuple[str, str, str, bool]]:
        r = client.get("/api/v1/orders/replacements-due", params=params)
        assert r.status_code == 200, r.text
        who = {shop[n]["id"]: n for n in ("ann", "bob", "cy")}
        what = {shop["laptop"]: "laptop", shop["toner"]: "toner"}
        return [(who[i["contact_id"]], what[i["product_id"]], i["due_on"], i["overdue"])
                for i in r.json()["items"]]

    assert due() == [("ann", "toner", "2026-05-02", True), ("ann", "laptop", "2026-06-19", False)]
    assert due(include_overdue=False) == [("ann", "laptop", "2026-06-19", False)]
    assert due(within_days=90) == [("ann", "toner", "2026-05-02", True),
                                   ("ann", "laptop", "2026-06-19", False),
                                   ("cy", "toner", "2026-08-30", False)]
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"within_days": 90, "limit": 1}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/v1/orders/replacements-due", params=params).json()
        pages += [(i["due_on"], i["contact_id"]) for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert [d for d, _ in pages] == ["2026-05-02", "2026-06-19", "2026-08-30"]
    assert_problem(client.get("/api/v1/orders/replacements-due", params={"cursor": "x"}), 422,
                   "cursor")
    assert_problem(client.get("/api/v1/orders/replacements-due",
                              params={"within_days": -1}), 422, "within_days")
    # a deleted contact is not reminded of anything
    assert client.delete(f"/api/v1/contacts/{shop['cy']['id']}").status_code == 204
    assert [w for w, *_ in due(within_days=90)] == ["ann", "ann"]
