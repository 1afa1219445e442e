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
