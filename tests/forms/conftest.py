"""Fixtures for forms and channels: the controlled clock, and helpers that make a form and
read its hosted page's fill-time token."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.jobs.conftest import Clock, clock

__all__ = ["Clock", "clock", "fill_token", "make_form"]

FIELDS = [
    {"maps_to": "first_name", "label": "First name", "required": True},
    {"maps_to": "last_name", "label": "Last name"},
    {"maps_to": "email", "label": "Email", "type": "email", "required": True},
    {"maps_to": "phone", "label": "Phone", "type": "tel"},
    {"maps_to": "company_name", "label": "Company"},
    {"maps_to": "job_title", "label": "Job title"},
    {"maps_to": "message", "label": "Message", "type": "textarea"},
]
CONSENTS = [{"key": "newsletter", "purpose": "newsletter", "channel": "email",
             "text": "Send me the monthly newsletter"}]


def make_form(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Contact us", "fields": FIELDS, "consents": CONSENTS, **fields}
    r = client.post("/api/v1/forms", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def fill_token(anon: TestClient, key: str) -> str:
    """The hosted page's hidden fill-time token (as a browser would read it)."""
    r = anon.get(f"/f/{key}")
    assert r.status_code == 200, r.text
    match = re.search(r'name="_ts" value="([^"]+)"', r.text)
    assert match, r.text
    return match.group(1)
