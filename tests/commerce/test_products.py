"""The product catalogue: CRUD, unique SKU, validation, filters, soft delete, who may do what."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from amity.auth.models import Role, User
from amity.commerce.models import Product
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.core.events import EventRecord
from tests.commerce.support import make_product
from tests.conftest import make_user
from tests.factories import assert_problem, count


def test_create_read_update_delete_restore(client: Any, database: Database) -> None:
    r = client.post("/api/v1/products", json={
        "sku": "LAP-14", "name": "Laptop 14\"", "category": "Computers",
        "description": "Light and quiet", "price": "1299.9900", "currency": "EUR",
        "replacement_cycle_days": 1095})
    assert r.status_code == 201, r.text
    p = r.json()
    assert (p["price"], p["active"], p["replacement_cycle_days"]) == ("1299.9900", True, 1095)
    assert r.headers["ETag"] == '"v1"'
    got = client.get(f"/api/v1/products/{p['id']}")
    assert got.json() == p and got.headers["ETag"] == '"v1"'

    stale = client.patch(f"/api/v1/products/{p['id']}", json={"price": "1199"},
                         headers={"If-Match": '"v0"'})
    assert_problem(stale, 412, "version")
    r = client.patch(f"/api/v1/products/{p['id']}", json={"price": "1199", "active": False},
                     headers={"If-Match": '"v1"'})
    assert r.status_code == 200, r.text
    assert (r.json()["price"], r.json()["active"], r.json()["version"]) == ("1199.0000", False, 2)
    assert r.headers["ETag"] == '"v2"'

    assert client.delete(f"/api/v1/products/{p['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/products/{p['id']}"), 404)
    assert client.get(f"/api/v1/products/{p['id']}",
                      params={"include_deleted": True}).json()["deleted_at"]
    r = client.post(f"/api/v1/products/{p['id']}/restore")
    assert r.status_code == 200 and r.json()["deleted_at"] is None
    pid = uuid.UUID(p["id"])
    with database.transaction(write=False) as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == pid)
                            .order_by(AuditEntry.at)).all()
        assert actions == ["create", "update", "delete", "restore"]
        change = s.scalar(select(AuditEntry).where(AuditEntry.action == "update",
                                                   AuditEntry.entity_id == pid))
        assert change is not None and change.changes["price"] == ["1299.9900", "1199.0000"]
        assert s.scalars(select(EventRecord.payload["action"].as_string()).where(
            EventRecord.type == "product.changed")).all() == [
                "create", "update", "delete", "restore"]


def test_duplicate_sku_is_409_naming_sku(client: Any, database: Database) -> None:
    first = make_product(client, sku="BAG-1")
    assert_problem(client.post("/api/v1/products", json={
        "sku": "BAG-1", "name": "Other", "price": "1", "currency": "EUR"}), 409, "sku",
        "product.sku_taken")
    other = make_product(client, sku="BAG-2")
    assert_problem(client.patch(f"/api/v1/products/{other['id']}", json={"sku": "BAG-1"}),
                   409, "sku")
    # a deleted product keeps its SKU (restore it rather than making a second)
    assert client.delete(f"/api/v1/products/{first['id']}").status_code == 204
    assert_problem(client.post("/api/v1/products", json={
        "sku": "BAG-1", "name": "Again", "price": "1", "currency": "EUR"}), 409, "sku")
    assert count(database, Product) == 2


@pytest.mark.parametrize(("change", "field"), [
    ({"currency": "eur"}, "currency"),
    ({"currency": "EURO"}, "currency"),
    ({"price": "1.23456"}, "price"),
    ({"price": "-1"}, "price"),
    ({"price": "NaN"}, "price"),
    ({"replacement_cycle_days": 0}, "replacement_cycle_days"),
    ({"replacement_cycle_days": 3651}, "replacement_cycle_days"),
    ({"sku": ""}, "sku"),
    ({"name": None}, "name"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_422_and_changes_nothing(client: Any, database: Database,
                                              change: dict[str, Any], field: str) -> None:
    body = {"sku": "OK-1", "name": "Fine", "price": "1.00", "currency": "EUR", **change}
    assert_problem(client.post("/api/v1/products", json=body), 422, field)
    assert count(database, Product) == 0


def test_update_refuses_nulls_and_bad_values(client: Any) -> None:
    p = make_product(client)
    assert_problem(client.patch(f"/api/v1/products/{p['id']}", json={"price": None}), 422)
    assert_problem(client.patch(f"/api/v1/products/{p['id']}", json={"price": "0.00001"}),
                   422, "price")
    assert client.get(f"/api/v1/products/{p['id']}").json()["version"] == 1


def test_idempotency_key_makes_one_product(client: Any, database: Database) -> None:
    body = {"sku": "IDEM-1", "name": "Once", "price": "3", "currency": "EUR"}
    first = client.post("/api/v1/products", json=body, headers={"Idempotency-Key": "k1"})
    again = client.post("/api/v1/products", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert count(database, Product) == 1


def test_filters_sorts_and_pages(client: Any) -> None:
    make_product(client, sku="B-1", name="Éclair au café", category="Pastry")
    make_product(client, sku="B-2", name="Baguette", category="Bread")
    make_product(client, sku="B-3", name="Pain de campagne", category="Bread", active=False)
    make_product(client, sku="CAKE-9", name="Fraisier", category="Cakes")

    def skus(**params: Any) -> list[str]:
        r = client.get("/api/v1/products", params=params)
        assert r.status_code == 200, r.text
        return [p["sku"] for p in r.json()["items"]]

    assert skus() == ["B-2", "B-1", "CAKE-9", "B-3"]  # by name, accents folded
    assert skus(q="eclair") == ["B-1"]
    assert skus(q="cake") == ["CAKE-9"]  # the SKU matches too
    assert skus(q="%") == []
    assert skus(category="Bread") == ["B-2", "B-3"]
    assert skus(active=False) == ["B-3"]
    assert skus(sort="-sku") == ["CAKE-9", "B-3", "B-2", "B-1"]
    seen, cursor = [], None
    while True:
        r = client.get("/api/v1/products", params={"sort": "sku", "limit": 3,
                                                   **({"cursor": cursor} if cursor else {})})
        seen += [p["sku"] for p in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert seen == ["B-1", "B-2", "B-3", "CAKE-9"]
    assert_problem(client.get("/api/v1/products", params={"sort": "price"}), 422, "sort")
    assert_problem(client.get("/api/v1/products", params={"cursor": "nonsense"}), 422,
                   "cursor")


def test_catalogue_is_read_by_sales_and_service_and_changed_by_admins(
        client: Any, anon: Any, database: Database) -> None:
    p = make_product(client)
    for role in ("sales_rep", "support_agent", "read_only", "manager"):
        user, token = make_user(database)
        with database.transaction() as s:
            u = s.get(User, user.id)
            assert u is not None
            u.role = s.scalar(select(Role).where(Role.name == role))
        h = {"Authorization": f"Bearer {token}"}
        assert anon.get(f"/api/v1/products/{p['id']}", headers=h).status_code == 200
        assert anon.get("/api/v1/products", headers=h).status_code == 200
        assert_problem(anon.patch(f"/api/v1/products/{p['id']}", json={"name": "X"},
                                  headers=h), 403)
        assert_problem(anon.post("/api/v1/products", headers=h, json={
            "sku": "NEW", "name": "New", "price": "1", "currency": "EUR"}), 403)
    # a role that sees neither deals nor orders does not see the catalogue
    with database.transaction() as s:
        s.add(Role(name="contacts-only", builtin=False,
                   permissions={"contacts": {"view": "all"}}))
    user, token = make_user(database)
    with database.transaction() as s:
        u = s.get(User, user.id)
        assert u is not None
        u.role = s.scalar(select(Role).where(Role.name == "contacts-only"))
    h = {"Authorization": f"Bearer {token}"}
    assert_problem(anon.get("/api/v1/products", headers=h), 403)
    assert_problem(anon.get(f"/api/v1/products/{p['id']}", headers=h), 403)
    assert client.get(f"/api/v1/products/{p['id']}").json()["name"] == "Croissant"
