"""The order list: filters, sorts and keyset pages; a fixed number of statements."""

from __future__ import annotations

from typing import Any

from tests.commerce.support import make_order, make_product
from tests.factories import assert_problem, make_company, make_contact


def _ids(client: Any, **params: Any) -> list[str]:
    r = client.get("/api/v1/orders", params=params)
    assert r.status_code == 200, r.text
    return [o["number"] for o in r.json()["items"]]


def test_filters(client: Any) -> None:
    ann, bob = make_contact(client), make_contact(client)
    acme = make_company(client)
    cake = make_product(client, name="Cake", price="20")
    line = {"description": "Bread", "quantity": "1", "unit_price": "2"}
    make_order(client, ann, line, number="1", ordered_at="2026-01-31T23:30:00Z", channel="web")
    make_order(client, ann, {"product_id": cake["id"], "quantity": "1"}, number="2",
               ordered_at="2026-02-01T00:15:00+01:00", status="paid")  # 31 Jan 23:15 UTC
    make_order(client, bob, line, number="3", ordered_at="2026-02-01T00:00:00Z",
               status="cancelled", company_id=acme["id"])
    make_order(client, acme, {"product_id": cake["id"], "quantity": "2"}, number="4",
               ordered_at="2026-03-10T12:00:00Z", channel="phone", external_ref="shop-4")

    assert _ids(client) == ["4", "3", "1", "2"]  # newest first
    assert sorted(_ids(client, contact_id=ann["id"])) == ["1", "2"]
    assert _ids(client, company_id=acme["id"]) == ["4", "3"]
    assert sorted(_ids(client, status=["paid", "cancelled"])) == ["2", "3"]
    assert _ids(client, channel="phone") == ["4"]
    assert _ids(client, product_id=cake["id"]) == ["4", "2"]
    assert sorted(_ids(client, **{"from": "2026-01-31", "to": "2026-01-31"})) == ["1", "2"]
    assert _ids(client, **{"from": "2026-02-01"}) == ["4", "3"]
    assert _ids(client, external_ref="shop-4") == ["4"]
    assert_problem(client.get("/api/v1/orders", params={"from": "2026-03-01",
                                                        "to": "2026-02-01"}), 422, "from")
    assert_problem(client.get("/api/v1/orders", params={"status": "lost"}), 422)


def test_sorts_and_pages(client: Any) -> None:
    contact = make_contact(client)
    prices = ["10.05", "0.99", "100.00", "10.04", "55.50", "0.99", "7.00"]
    for i, price in enumerate(prices):
        make_order(client, contact, {"description": "X", "quantity": "1", "unit_price": price},
                   number=str(i), ordered_at=f"2026-01-0{i + 1}T10:00:00Z")

    def walk(sort: str) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"sort": sort, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            r = client.get("/api/v1/orders", params=params)
            assert r.status_code == 200, r.text
            seen += [o["total"] for o in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if not cursor:
                return seen

    by_total = walk("total")
    assert by_total == sorted(by_total, key=float) and len(by_total) == 7
    assert walk("-total") == ["100.00", "55.50", "10.05", "10.04", "7.00", "0.99", "0.99"]
    assert walk("ordered_at") == [f"{float(p):.2f}" for p in prices]
    assert_problem(client.get("/api/v1/orders", params={"sort": "number"}), 422, "sort")
    bad = client.get("/api/v1/orders", params={"sort": "total", "limit": 2}).json()
    assert_problem(client.get("/api/v1/orders", params={"sort": "ordered_at",
                                                        "cursor": bad["next_cursor"]}),
                   422, "cursor")


def test_list_statements_do_not_grow_with_page_size(client: Any, queries: Any) -> None:
    contact = make_contact(client)
    lines = [{"description": f"L{i}", "quantity": "1", "unit_price": "1"} for i in range(3)]
    for i in range(30):
        make_order(client, contact, *lines, number=str(i))

    def statements(limit: int) -> int:
        queries.reset()
        r = client.get("/api/v1/orders", params={"limit": limit, "contact_id": contact["id"]})
        assert r.status_code == 200 and len(r.json()["items"]) == limit
        assert all(len(o["lines"]) == 3 for o in r.json()["items"])
        return queries.count

    # the token, the page, one selectin load of the lines
    assert statements(5) == statements(30) == 3, queries.statements
