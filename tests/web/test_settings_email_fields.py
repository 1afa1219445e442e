"""Settings > Custom fields and Settings > Email & tracking: add a field definition (refusals
inline), show the configured sender and send a test email through a real SMTP server
(aiosmtpd on 127.0.0.1), add a tracking site and show its snippet with the site key."""

from __future__ import annotations

import html
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.activities.outreach_models import WebSite
from amity.core.audit import AuditEntry
from amity.core.customfields import CustomFieldDefinition
from amity.core.db import Database
from tests.web.conftest import page_csrf


class Inbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)


@pytest.fixture
def inbox(app: Any) -> Iterator[Inbox]:
    box = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's start() cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.state.settings = app.state.settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
        "smtp_from": "Amity <crm@example.com>", "base_url": "https://crm.example.com"})
    try:
        yield box
    finally:
        controller.stop()


def test_add_custom_fields_and_refusals(signed_in: TestClient, database: Database) -> None:
    token = page_csrf(signed_in, "/settings/fields")
    r = signed_in.post("/settings/fields", data={
        "csrf_token": token, "entity": "contact", "key": "allergies", "label": "Allergies",
        "type": "multi_select", "options": "nuts, gluten", "sensitive": "on"})
    assert r.status_code == 303
    with database.transaction() as s:
        d = s.scalar(select(CustomFieldDefinition).where(CustomFieldDefinition.key == "allergies"))
        assert d is not None and d.sensitive and d.options == ["nuts", "gluten"]
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_type == "custom_field")) == 1
    page = signed_in.get("/settings/fields").text
    assert "Allergies" in page and "nuts, gluten" in page
    # a select without options, a bad key, a duplicate: each refused next to its field
    r = signed_in.post("/settings/fields", data={
        "csrf_token": token, "entity": "contact", "key": "size", "label": "Size",
        "type": "select"})
    assert r.status_code == 422 and 'id="options-error"' in r.text
    r = signed_in.post("/settings/fields", data={
        "csrf_token": token, "entity": "contact", "key": "Bad Key", "label": "B",
        "type": "text"})
    assert r.status_code == 422 and 'id="key-error"' in r.text
    r = signed_in.post("/settings/fields", data={
        "csrf_token": token, "entity": "contact", "key": "allergies", "label": "Again",
        "type": "text"})
    assert r.status_code == 422 and "already defined" in r.text
    r = signed_in.post("/settings/fields", data={
        "csrf_token": token, "entity": "planet", "key": "x", "label": "X", "type": "text"})
    assert r.status_code == 422 and 'id="entity-error"' in r.text
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CustomFieldDefinition)) == 1


def test_sender_and_test_email_over_real_smtp(inbox: Inbox, signed_in: TestClient) -> None:
    page = signed_in.get("/settings/email").text
    assert "Amity &lt;crm@example.com&gt;" in page and "127.0.0.1:" in page
    token = page_csrf(signed_in, "/settings/email")
    r = signed_in.post("/settings/email/test", data={"csrf_token": token,
                                                      "to": "ops@example.com"})
    assert r.status_code == 303 and r.headers["location"] == "/settings/email?sent=1"
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["To"] == "ops@example.com" and msg["From"] == "Amity <crm@example.com>"
    # no recipient: the signed-in user's own address
    signed_in.post("/settings/email/test", data={"csrf_token": token})
    assert inbox.messages[-1]["To"] == "sam@example.com"
    r = signed_in.post("/settings/email/test", data={"csrf_token": token, "to": "nonsense"})
    assert r.status_code == 422 and 'id="to-error"' in r.text and len(inbox.messages) == 2


def test_test_email_without_smtp_says_how_to_configure(signed_in: TestClient) -> None:
    token = page_csrf(signed_in, "/settings/email")
    assert "Not configured" in signed_in.get("/settings/email").text
    r = signed_in.post("/settings/email/test", data={"csrf_token": token})
    assert r.status_code == 422 and "AMITY_SMTP_HOST" in r.text


def test_tracking_site_and_snippet(signed_in: TestClient, database: Database) -> None:
    token = page_csrf(signed_in, "/settings/email")
    r = signed_in.post("/settings/email/sites", data={
        "csrf_token": token, "name": "Bakery shop", "allowed_origins": "https://shop.example"})
    assert r.status_code == 303
    with database.transaction() as s:
        site = s.scalar(select(WebSite).where(WebSite.name == "Bakery shop"))
        assert site is not None
        key = site.public_key
    page = html.unescape(signed_in.get("/settings/email").text)
    assert (f'<script src="http://127.0.0.1:8000/static/amity-track.js" data-key="{key}" '
            'defer></script>') in page
    r = signed_in.post("/settings/email/sites", data={
        "csrf_token": token, "name": "Bad", "allowed_origins": "not an origin"})
    assert r.status_code == 422
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(WebSite)) == 1
