"""Fixtures for the activities tests: a controlled clock, a real SMTP server, helpers that
record interactions and tasks through the API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.jobs.conftest import Clock, Inbox, clock, inbox, smtp_settings

__all__ = ["Clock", "Inbox", "call", "clock", "inbox", "smtp_settings", "task"]


def call(client: TestClient, contact_id: Any, **fields: Any) -> dict[str, Any]:
    """Record an interaction (a call by default) with one contact, through the API."""
    body = {"channel": "call", "direction": "outbound",
            "participants": [{"contact_id": str(contact_id), "role": "to"}], **fields}
    r = client.post("/api/v1/interactions", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def task(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"title": f"Task {uuid.uuid4().hex[:6]}", **fields}
    r = client.post("/api/v1/tasks", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())
