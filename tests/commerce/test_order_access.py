"""Who may do what with orders: owner scopes, references within reach, scoped histories."""

from __future__ import annotations

from typing import Any

import pytest

from amity.core.db import Database
from tests.auth.world import World, build_world, make_records
from tests.commerce.support import order_body
from tests.factories import assert_problem


@pytest.fixture
def world(database: Database) -> World:
    return build_world(database)


def _as(anon: Any, world: World, role: str) -> Any:
    class As:
        def __getattr__(self, method: str) -> Any:
            def call(url: str, **kw: Any) -> Any:
                headers = {"Authorization": f"Bearer {world.tokens[role]}"}
                return getattr(anon, method)(url, headers=headers, **kw)
            return call
    return As()


def _records(database: Database, world: World, who: str) -> dict[str, Any]:
    return {k: str(v) for k, v in make_records(database, world.ids[who]).items()}


def test_sales_rep_orders_for_customers_in_reach(anon: Any, database: Database,
                                                 world: World) -> None:
    rep = _as(anon, world, "sales_rep")
    own, mate, other = (_records(database, world, w) for w in ("sales_rep", "mate", "outsider"))
    r = rep.post("/api/v1/orders", json=order_body({"id": own["contact_id"]}))
    assert r.status_code == 201, r.text
    assert r.json()["owner_id"] == str(world.ids["sales_rep"])
    assert rep.post("/api/v1/orders", json=order_body({"id": mate["contact_id"]})
                    ).status_code == 201
    assert_problem(rep.post("/api/v1/orders", json=order_body({"id": other["contact_id"]})),
                   422, "contact_id", "contact.not_found")
    # companies are visible to every rep
    assert rep.post("/api/v1/orders", json=order_body(
        {"id": other["company_id"], "name": "Co"})).status_code == 201
    # the list: own and the teammate's orders (the world made one each), not the outsider's
    listed = {o["id"] for o in rep.get("/api/v1/orders", params={"limit": 200}).json()["items"]}
    assert own["order_id"] in listed and mate["order_id"] in listed
    assert other["order_id"] not in listed
    # reps may not edit or delete orders; the outsider's is not even there for them
    assert_problem(rep.patch(f"/api/v1/orders/{own['order_id']}", json={"status": "paid"}), 403)
    assert_problem(rep.patch(f"/api/v1/orders/{other['order_id']}", json={"status": "paid"}),
                   404)
    assert_problem(rep.delete(f"/api/v1/orders/{own['order_id']}"), 403)
    items = [order_body({"id": own["contact_id"]}), order_body({"id": other["contact_id"]})]
    bulk = rep.post("/api/v1/orders/bulk", json={"items": items}).json()
    assert [(i["result"], (i["error"] or {}).get("field")) for i in bulk["items"]] == [
        ("created", None), ("error", "items.1.contact_id")]


def test_manager_gives_orders_to_the_team_only(anon: Any, database: Database,
                                               world: World) -> None:
    manager = _as(anon, world, "manager")
    own = _records(database, world, "manager")
    body = order_body({"id": own["contact_id"]})
    assert manager.post("/api/v1/orders", json={**body, "owner_id": str(world.ids["mate"])}
                        ).status_code == 201
    assert_problem(manager.post("/api/v1/orders",
                                json={**body, "owner_id": str(world.ids["outsider"])}),
                   403, "owner_id")
    assert_problem(manager.patch(f"/api/v1/orders/{own['order_id']}",
                                 json={"owner_id": str(world.ids["outsider"])}), 403, "owner_id")
    r = manager.patch(f"/api/v1/orders/{own['order_id']}", json={"status": "fulfilled"})
    assert r.status_code == 200 and r.json()["status"] == "fulfilled"


def test_support_reads_orders_but_does_not_place_them(anon: Any, database: Database,
                                                      world: World) -> None:
    support = _as(anon, world, "support_agent")
    other = _records(database, world, "outsider")
    assert support.get(f"/api/v1/orders/{other['order_id']}").status_code == 200
    assert_problem(support.post("/api/v1/orders", json=order_body({"id": other["contact_id"]})),
                   403)
    assert_problem(support.post("/api/v1/orders/bulk", json={"items": [{}]}), 403)


def test_histories_count_only_visible_orders(client: Any, anon: Any, database: Database,
                                             world: World) -> None:
    """The teammate's contact bought twice: once from the teammate (visible to the rep) and
    once from the outsider (not visible to the rep). An admin sees both."""
    mate = _records(database, world, "mate")
    line = {"description": "Cake", "quantity": "1", "unit_price": "10.00"}
    for owner in ("mate", "outsider"):
        r = client.post("/api/v1/orders", json=order_body(
            {"id": mate["contact_id"]}, line, owner_id=str(world.ids[owner])))
        assert r.status_code == 201, r.text
    url = f"/api/v1/contacts/{mate['contact_id']}/purchases"
    as_rep = _as(anon, world, "sales_rep").get(url).json()
    as_admin = client.get(url).json()
    # the world's own order (20.00) and the teammate's (10.00); the admin also the outsider's
    assert [(s["orders"], s["total"]) for s in as_rep["spend"]] == [(2, "30.00")]
    assert [(s["orders"], s["total"]) for s in as_admin["spend"]] == [(3, "40.00")]
    rep_360 = _as(anon, world, "sales_rep").get(f"/api/v1/contacts/{mate['contact_id']}/360")
    assert rep_360.json()["purchases"] == as_rep
    other = _records(database, world, "outsider")
    assert_problem(_as(anon, world, "sales_rep").get(
        f"/api/v1/contacts/{other['contact_id']}/purchases"), 404)
    assert_problem(_as(anon, world, "manager").get(
        f"/api/v1/companies/{other['company_id']}/purchases"), 404)
    assert _as(anon, world, "sales_rep").get(
        f"/api/v1/companies/{other['company_id']}/purchases").json()["orders"] == 0
    assert _as(anon, world, "support_agent").get(
        f"/api/v1/companies/{other['company_id']}/purchases").json()["orders"] == 1
