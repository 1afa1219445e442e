"""Permission-matrix entries for the commerce API (see matrix.py)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from tests.auth.matrix_base import CATALOGUE_READ, Op, _hex, _json


def _new_rate(ids: dict[str, Any]) -> dict[str, Any]:
    # (currency, valid_from) is unique: a random day per request
    day = date(2001 + uuid.uuid4().int % 80, 1 + uuid.uuid4().int % 12, 1)
    return {"currency": "GBP", "rate": "1.16", "valid_from": day.isoformat()}


def _order_for_unknown_contact(ids: dict[str, Any]) -> dict[str, Any]:
    return {"contact_id": str(uuid.uuid4()), "currency": "EUR",
            "lines": [{"description": "Bread", "quantity": "1", "unit_price": "2"}]}


COMMERCE: dict[tuple[str, str], Op] = {
    # the catalogue and exchange rates: shared reference data
    ("GET", "/api/v1/products"): Op(CATALOGUE_READ, 200),
    ("POST", "/api/v1/products"): Op("settings.edit", 201, body=lambda ids: {
        "sku": f"M-{_hex()}", "name": "Matrix", "price": "1.50", "currency": "EUR"}),
    ("GET", "/api/v1/products/{product_id}"): Op(CATALOGUE_READ, 200),
    ("PATCH", "/api/v1/products/{product_id}"): Op("settings.edit", 200,
                                                   body=_json({"name": "Renamed"})),
    ("DELETE", "/api/v1/products/{product_id}"): Op("settings.edit", 204),
    # products are not records with owners (record=False), so the target is not deleted
    # first; restoring a live product is a no-op answered 200 (tests/commerce covers restore)
    ("POST", "/api/v1/products/{product_id}/restore"): Op("settings.edit", 200),
    ("GET", "/api/v1/exchange-rates"): Op(CATALOGUE_READ, 200),
    # the matrix app has no base currency configured: an allowed user reaches the
    # validation (422), a denied one is stopped before it (403)
    ("POST", "/api/v1/exchange-rates"): Op("settings.edit", 422, body=_new_rate),
    ("GET", "/api/v1/exchange-rates/{rate_id}"): Op(CATALOGUE_READ, 200),
    ("DELETE", "/api/v1/exchange-rates/{rate_id}"): Op("settings.edit", 204),
    # orders: owner-scoped records
    ("GET", "/api/v1/orders"): Op("orders.view", 200),
    # The matrix gives operations that are not about one record no contact to name, so the
    # order names an unknown one: holders of orders.create reach the reference check (422),
    # others are refused first (403). Creation by each role: tests/commerce/test_order_access.
    ("POST", "/api/v1/orders"): Op("orders.create", 422, body=_order_for_unknown_contact),
    ("POST", "/api/v1/orders/bulk"): Op("orders.create", 200, body=lambda ids: {
        "items": [_order_for_unknown_contact(ids)]}),
    ("GET", "/api/v1/orders/replacements-due"): Op("orders.view", 200),
    ("GET", "/api/v1/orders/{order_id}"): Op("orders.view", 200, record=True),
    ("PATCH", "/api/v1/orders/{order_id}"): Op("orders.edit", 200, record=True,
                                               body=_json({"status": "paid"})),
    ("DELETE", "/api/v1/orders/{order_id}"): Op("orders.delete", 204, record=True),
    ("POST", "/api/v1/orders/{order_id}/restore"): Op("orders.delete", 200, record=True,
                                                      deleted=True),
    ("GET", "/api/v1/orders/{order_id}/history"): Op("orders.view", 200, record=True),
    # purchase history: the contact / company must be visible and the reader hold orders.view
    # (every built-in role that sees contacts or companies does); orders out of the reader's
    # scope are simply not counted
    ("GET", "/api/v1/contacts/{contact_id}/purchases"): Op("contacts.view", 200, record=True),
    ("GET", "/api/v1/companies/{company_id}/purchases"): Op("companies.view", 200,
                                                            record=True),
}
