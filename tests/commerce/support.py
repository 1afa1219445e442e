"""Builders for the commerce tests: products and orders made through the HTTP API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient


def make_product(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"sku": f"SKU-{uuid.uuid4().hex[:8]}", "name": "Croissant", "price": "2.50",
            "currency": "EUR", **fields}
    r = client.post("/api/v1/products", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def order_body(customer: dict[str, Any], *lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An order for a contact (or a company: a record with a 'name') with these lines."""
    key = "company_id" if "name" in customer and "first_name" not in customer else "contact_id"
    return {key: customer["id"], "currency": "EUR",
            "lines": [dict(ln) for ln in lines] or [{"description": "Baguette", "quantity": "1",
                                                     "unit_price": "1.20"}], **fields}


def make_order(client: TestClient, customer: dict[str, Any], *lines: dict[str, Any],
               **fields: Any) -> dict[str, Any]:
    r = client.post("/api/v1/orders", json=order_body(customer, *lines, **fields))
    assert r.status_code == 201, r.text
    return dict(r.json())
