"""Custom fields on deals, products and orders through the API: values are validated against
the definitions on create and update (a bad value is a 422 naming the field and changes
nothing), required fields apply on create, changes are audited, and a deal's sensitive values
are hidden from readers who may not see them. Product and order fields cannot be sensitive."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.deals.deal_support import make_deal, user_client
from tests.factories import assert_problem

CF = "/api/v1/custom-fields"


def _define(client: TestClient, entity: str, key: str, type: str = "text",
            **extra: Any) -> dict[str, Any]:
    r = client.post(CF, json={"entity": entity, "key": key, "label": key.title(), "type": type,
                              **extra})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_deal_custom_fields_validated_stored_and_audited(client: TestClient) -> None:
    _define(client, "deal", "region", "select", options=["north", "south"])
    _define(client, "deal", "seats", "number")
    deal = make_deal(client, custom_fields={"region": "north", "seats": "12"})
    assert deal["custom_fields"] == {"region": "north", "seats": 12}
    # a bad value is refused, names the field and changes nothing
    r = client.patch(f"/api/v1/deals/{deal['id']}",
                     json={"custom_fields": {"region": "west"}, "amount": "5.00"})
    assert_problem(r, 422, "custom_fields.region", "custom_field.invalid")
    r = client.patch(f"/api/v1/deals/{deal['id']}", json={"custom_fields": {"colour": "red"}})
    assert_problem(r, 422, "custom_fields.colour", "custom_field.unknown")
    got = client.get(f"/api/v1/deals/{deal['id']}").json()
    assert got["custom_fields"] == {"region": "north", "seats": 12}
    assert got["amount"] == "1000.00" and got["version"] == deal["version"]
    # a merge: the value sent changes, the others stay; null removes one
    r = client.patch(f"/api/v1/deals/{deal['id']}",
                     json={"custom_fields": {"region": "south", "seats": None}})
    assert r.status_code == 200, r.text
    assert r.json()["custom_fields"] == {"region": "south"}
    history = client.get(f"/api/v1/deals/{deal['id']}/history").json()
    update = next(e for e in history if e["action"] == "update")
    assert update["changes"]["custom_fields"] == [{"region": "north", "seats": 12},
                                                  {"region": "south"}]
    listed = client.get("/api/v1/deals").json()["items"]
    assert [d["custom_fields"] for d in listed if d["id"] == deal["id"]] == [{"region": "south"}]


def test_required_deal_field_applies_on_create(client: TestClient) -> None:
    _define(client, "deal", "po_number", required=True)
    r = client.post("/api/v1/deals", json={"name": "No PO", "currency": "EUR"})
    assert_problem(r, 422, "custom_fields.po_number", "custom_field.required")
    assert client.get("/api/v1/deals").json()["items"] == []
    assert make_deal(client, custom_fields={"po_number": "PO-7"})["custom_fields"] == {
        "po_number": "PO-7"}


def test_sensitive_deal_field_hidden_from_sales_rep(client: TestClient, app: Any,
                                                    database: Database) -> None:
    _define(client, "deal", "margin", "number", sensitive=True)
    _define(client, "deal", "region")
    rep, rep_id = user_client(app, database, "sales_rep")
    deal = make_deal(client, owner_id=str(rep_id),
                     custom_fields={"margin": 98765, "region": "north"})
    for got in (rep.get(f"/api/v1/deals/{deal['id']}").json(),
                *rep.get("/api/v1/deals").json()["items"]):
        assert got["custom_fields"] == {"region": "north"}
    r = rep.patch(f"/api/v1/deals/{deal['id']}", json={"custom_fields": {"region": "east"}})
    assert r.status_code == 200 and r.json()["custom_fields"] == {"region": "east"}
    r = rep.patch(f"/api/v1/deals/{deal['id']}", json={"custom_fields": {"margin": 1}})
    assert_problem(r, 403, "custom_fields.margin")
    assert client.get(f"/api/v1/deals/{deal['id']}").json()["custom_fields"] == {
        "margin": 98765, "region": "east"}
    assert "98765" not in rep.get(f"/api/v1/deals/{deal['id']}/history").text


def test_product_and_order_custom_fields(client: TestClient) -> None:
    _define(client, "product", "colour", "select", options=["red", "blue"])
    _define(client, "order", "gift", "boolean")
    r = client.post(CF, json={"entity": "order", "key": "secret", "label": "Secret",
                              "type": "text", "sensitive": True})
    assert_problem(r, 422, "sensitive", "custom_field.sensitive")
    bad = client.post("/api/v1/products", json={"sku": "P1", "name": "Mug", "price": "5.00",
                                                "currency": "EUR",
                                                "custom_fields": {"colour": "green"}})
    assert_problem(bad, 422, "custom_fields.colour")
    r = client.post("/api/v1/products", json={"sku": "P1", "name": "Mug", "price": "5.00",
                                              "currency": "EUR",
                                              "custom_fields": {"colour": "red"}})
    assert r.status_code == 201, r.text
    product = r.json()
    assert product["custom_fields"] == {"colour": "red"}
    r = client.patch(f"/api/v1/products/{product['id']}",
                     json={"custom_fields": {"colour": "blue"}})
    assert r.json()["custom_fields"] == {"colour": "blue"}
    contact = client.post("/api/v1/contacts", json={"first_name": "Ada"}).json()
    order_body = {"contact_id": contact["id"], "currency": "EUR",
                  "lines": [{"product_id": product["id"], "quantity": "1"}]}
    bad = client.post("/api/v1/orders", json={**order_body, "custom_fields": {"gift": "yes"}})
    assert_problem(bad, 422, "custom_fields.gift", "custom_field.invalid")
    assert client.get("/api/v1/orders").json()["items"] == []
    r = client.post("/api/v1/orders", json={**order_body, "custom_fields": {"gift": True}})
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["custom_fields"] == {"gift": True}
    r = client.patch(f"/api/v1/orders/{order['id']}", json={"custom_fields": {"gift": None}})
    assert r.status_code == 200 and r.json()["custom_fields"] == {}
    # the definitions list and filter know the new entities
    keys = {(d["entity"], d["key"]) for d in client.get(CF).json()}
    assert {("product", "colour"), ("order", "gift")} <= keys
    assert [d["key"] for d in client.get(CF, params={"entity": "order"}).json()] == ["gift"]


def test_report_builder_groups_deals_by_a_custom_field(client: TestClient) -> None:
    _define(client, "deal", "region", "select", options=["north", "south"])
    for region in ("north", "south", "north"):
        make_deal(client, custom_fields={"region": region})
    make_deal(client)
    r = client.post("/api/v1/reports/run", json={
        "entity": "deals", "dimensions": [{"field": "custom.region"}],
        "measures": [{"op": "count"}], "sort": [{"by": "custom.region"}]})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["rows"], key=str) == sorted(
        [["north", 2], ["south", 1], [None, 1]], key=str)
