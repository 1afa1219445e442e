"""Custom fields on the deal page: the Details block and the Edit details form, saved through
``update_deal`` like the API (a refused value is shown next to its field and changes
nothing)."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.deals.deal_support import make_deal
from tests.web.conftest import page_csrf
from tests.web.test_inline_errors import message_next_to
from tests.web.test_record_custom_fields import _counts, _define, _details


def test_deal_details_show_and_edit(signed_in: TestClient, client: TestClient,
                                    database: Database) -> None:
    _define(client, "deal", [
        {"key": "seats", "label": "Seats", "type": "number"},
        {"key": "region", "label": "Region", "type": "select", "options": ["north", "south"]},
        {"key": "renewal", "label": "Renewal", "type": "boolean"}])
    deal = make_deal(client, name="Anvil licences", custom_fields={"seats": 1200})
    page = signed_in.get(f"/deals/{deal['id']}").text
    assert _details(page) == {"Region": "—", "Renewal": "—", "Seats": "1,200"}
    token = page_csrf(signed_in, f"/deals/{deal['id']}")
    before = (_counts(database), client.get(f"/api/v1/deals/{deal['id']}").json())
    r = signed_in.post(f"/deals/{deal['id']}/details", data={
        "csrf_token": token, "cf_seats": "many", "cf_region": "north"})
    assert r.status_code == 422
    assert html.unescape(message_next_to(r.text, "cf_seats", "cf_seats-error")) == \
        "'Seats' must be a number"
    assert (_counts(database), client.get(f"/api/v1/deals/{deal['id']}").json()) == before
    r = signed_in.post(f"/deals/{deal['id']}/details", data={
        "csrf_token": token, "version": str(deal["version"]), "cf_seats": "1,500",
        "cf_region": "south", "cf_renewal": "true"})
    assert r.status_code == 303 and r.headers["location"].endswith("#details")
    stored = client.get(f"/api/v1/deals/{deal['id']}").json()
    assert stored["custom_fields"] == {"seats": 1500, "region": "south", "renewal": True}
    assert stored["version"] == deal["version"] + 1
    assert _details(signed_in.get(f"/deals/{deal['id']}").text) == {
        "Region": "south", "Renewal": "Yes", "Seats": "1,500"}


def test_product_details_show_and_edit(signed_in: TestClient, client: TestClient,
                                       database: Database) -> None:
    _define(client, "product", [
        {"key": "colour", "label": "Colour", "type": "select", "options": ["red", "blue"]},
        {"key": "weight", "label": "Weight", "type": "number"}])
    r = client.post("/api/v1/products", json={"sku": "A-1", "name": "Anvil", "price": "5.00",
                                              "currency": "EUR",
                                              "custom_fields": {"colour": "red"}})
    assert r.status_code == 201, r.text
    product = r.json()
    path = f"/settings/products/{product['id']}"
    assert _details(signed_in.get(path).text) == {"Colour": "red", "Weight": "—"}
    token = page_csrf(signed_in, path)
    before = (_counts(database), client.get(f"/api/v1/products/{product['id']}").json())
    r = signed_in.post(f"{path}/details", data={"csrf_token": token, "cf_colour": "green",
                                                "cf_weight": "3"})
    assert r.status_code == 422
    assert "'Colour' must be one of: red, blue" in html.unescape(
        message_next_to(r.text, "cf_colour", "cf_colour-error"))
    assert (_counts(database), client.get(f"/api/v1/products/{product['id']}").json()) == before
    r = signed_in.post(f"{path}/details", data={"csrf_token": token, "cf_colour": "blue",
                                                "cf_weight": "3.5"})
    assert r.status_code == 303, r.text
    assert client.get(f"/api/v1/products/{product['id']}").json()["custom_fields"] == {
        "colour": "blue", "weight": "3.5"}
