"""Small builders shared by the API tests: make records through the HTTP API, count rows."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.core.db import Database

PROBLEM = "application/problem+json"


def make_contact(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"first_name": "Ada", "last_name": f"Test{uuid.uuid4().hex[:6]}", **fields}
    r = client.post("/api/v1/contacts", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def make_company(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Company {uuid.uuid4().hex[:6]}", **fields}
    r = client.post("/api/v1/companies", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def define_field(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"entity": "contact", "label": fields.get("key", "Field").title(), **fields}
    r = client.post("/api/v1/custom-fields", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def count(database: Database, model: Any) -> int:
    with database.transaction(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def counts(database: Database, *models: Any) -> dict[str, int]:
    return {getattr(m, "__tablename__", getattr(m, "name", str(m))): count(database, m)
            for m in models}


def assert_problem(r: Any, status: int, field: str | None = None,
                   code: str | None = None) -> dict[str, Any]:
    """The response is RFC 9457 problem+json with this status (and field / code if given)."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = dict(r.json())
    assert body["status"] == status
    assert body["code"] and body["detail"] and body["type"] and body["title"]
    if field is not None:
        assert body["field"] == field, body
    if code is not None:
        assert body["code"] == code, body
    return body
