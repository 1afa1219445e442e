"""The contact 360 carries the purchase summary: a fixed number of statements however many
orders, and nothing at all for a reader who may not view orders."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from amity.auth.models import Role, User
from amity.core.db import Database
from tests.api.test_query_counts import VIEW_360_QUERIES, _with_history
from tests.commerce.support import make_order, make_product
from tests.conftest import make_user


def _count(client: Any, queries: Any, url: str) -> tuple[int, Any]:
    queries.reset()
    r = client.get(url)
    assert r.status_code == 200, r.text
    return queries.count, r.json()


def test_360_purchases_in_fixed_statements(client: Any, queries: Any) -> None:
    cake = make_product(client, name="Cake", category="Cakes", price="20",
                        replacement_cycle_days=365)
    quiet = _with_history(client, notes=0, referrals=0)
    busy = _with_history(client, notes=5, referrals=3)
    for i in range(40):
        make_order(client, {"id": busy},
                   {"product_id": cake["id"], "quantity": "1", "unit_price": "20"},
                   {"description": f"Extra {i % 7}", "category": f"C{i % 4}", "quantity": "2",
                    "unit_price": "1.50"}, currency="EUR" if i % 3 else "USD")
    n_quiet, body_quiet = _count(client, queries, f"/api/v1/contacts/{quiet}/360")
    n_busy, body_busy = _count(client, queries, f"/api/v1/contacts/{busy}/360")
    assert body_quiet["purchases"]["orders"] == 0
    p = body_busy["purchases"]
    assert p["orders"] == 40
    # 26 orders in EUR and 14 in USD, each 20.00 + 3.00
    assert [(s["currency"], s["orders"], s["total"]) for s in p["spend"]] == [
        ("EUR", 26, "598.00"), ("USD", 14, "322.00")]
    assert p["top_products_by_quantity"][0]["name"] == "Cake"
    assert len(p["top_products_by_orders"]) == 5 and len(p["top_categories"]) == 5
    assert [r["name"] for r in p["replacements"]] == ["Cake"]
    assert n_quiet == n_busy == VIEW_360_QUERIES, queries.statements


def test_no_purchases_for_a_reader_without_orders_view(client: Any, anon: Any,
                                                       database: Database) -> None:
    contact = _with_history(client, notes=0, referrals=0)
    make_order(client, {"id": contact})
    with database.transaction() as s:
        s.add(Role(name="people-only", builtin=False,
                   permissions={"contacts": {"view": "all"}}))
    user, token = make_user(database)
    with database.transaction() as s:
        u = s.get(User, user.id)
        assert u is not None
        u.role = s.scalar(select(Role).where(Role.name == "people-only"))
    r = anon.get(f"/api/v1/contacts/{contact}/360", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.json()["purchases"] is None
    assert client.get(f"/api/v1/contacts/{contact}/360").json()["purchases"]["orders"] == 1
    denied = anon.get(f"/api/v1/contacts/{contact}/purchases",
                      headers={"Authorization": f"Bearer {token}"})
    assert denied.status_code == 403
