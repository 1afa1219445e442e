"""Helpers for the ticket tests: a settable clock, builders going through the HTTP API, and
reading the events tickets publish."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.core.db import Database
from amity.core.events import EventRecord


class Clock:
    """A clock tests move by hand (install with ``amity.core.clock.set_clock``)."""

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at.astimezone(UTC)

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


def make_ticket(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"subject": f"Printer on fire {uuid.uuid4().hex[:6]}", **fields}
    r = client.post("/api/v1/tickets", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def patch_ticket(client: TestClient, ticket_id: str, **fields: Any) -> dict[str, Any]:
    r = client.patch(f"/api/v1/tickets/{ticket_id}", json=fields)
    assert r.status_code == 200, r.text
    return dict(r.json())


def comment(client: TestClient, ticket_id: str, **fields: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/tickets/{ticket_id}/comments", json={"body": "Hello", **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def make_calendar(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Cal {uuid.uuid4().hex[:6]}", "time_zone": "Europe/Paris",
            "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            **fields}
    r = client.post("/api/v1/business-calendars", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def make_policy(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Policy {uuid.uuid4().hex[:6]}", "priority": "normal",
            "first_response_minutes": 60, "resolution_minutes": 480, **fields}
    r = client.post("/api/v1/sla-policies", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def events(database: Database, type_: str) -> list[dict[str, Any]]:
    with database.transaction(write=False) as s:
        rows = s.scalars(select(EventRecord).where(EventRecord.type == type_)
                         .order_by(EventRecord.occurred_at, EventRecord.id))
        return [dict(r.payload) for r in rows]


def at(text: str) -> datetime:
    """'2026-03-06T16:00:00-05:00' -> an aware datetime."""
    return datetime.fromisoformat(text)


def utc(value: str) -> datetime:
    """An API time string as an aware UTC datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
