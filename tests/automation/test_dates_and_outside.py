"""Date triggers fire once per occasion (not on every scan), email goes out once through a
real SMTP server, webhooks reach a real HTTP server once with a valid signature, users are
notified in the app and by email."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from amity.activities.models import Notification, Task
from amity.config import Settings
from amity.core.db import Database
from amity.webhooks.signing import verify
from tests.automation.conftest import DATES, Clock, Inbox, flow, runs, scan, smtp_settings
from tests.commerce.support import make_order
from tests.factories import make_contact


def titles(database: Database) -> list[str]:
    with database.transaction(write=False) as s:
        return [t.title for t in s.scalars(select(Task).order_by(Task.created_at))]


@pytest.fixture
def mail(app: Any, settings: Settings, inbox: Inbox) -> Settings:
    app.state.settings = smtp_settings(settings, inbox).model_copy(
        update={"smtp_from": "Amity <crm@example.com>"})
    return app.state.settings


def test_birthday_task_once_on_the_day_and_again_next_year(
        client: Any, database: Database, settings: Settings, clock: Clock) -> None:
    flow(client, {"type": "birthday", "days_before": 0, "time_zone": "Europe/Paris"},
         [{"type": "create_task", "title": "Call for the birthday"}])
    make_contact(client, first_name="Bday", birthday="1990-01-10")
    make_contact(client, first_name="Other", birthday="1990-03-01")
    clock.at = datetime(2030, 1, 9, 12, 0, tzinfo=UTC)
    scan(database, settings, DATES)
    assert titles(database) == []
    clock.at = datetime(2030, 1, 9, 23, 30, tzinfo=UTC)  # already the 10th in Paris
    scan(database, settings, DATES)
    assert titles(database) == ["Call for the birthday"]
    clock.advance(hours=1)
    scan(database, settings, DATES)  # a second tick the same day: nothing more
    clock.advance(days=1)
    scan(database, settings, DATES)
    assert titles(database) == ["Call for the birthday"]
    clock.at = datetime(2031, 1, 10, 8, 0, tzinfo=UTC)
    scan(database, settings, DATES)
    assert titles(database) == ["Call for the birthday"] * 2
    assert sorted(r.occasion for r in runs(database)) == ["birthday:2030-01-10",
                                                        "birthday:2031-01-10"]


def test_win_back_email_once_after_90_days_without_purchase(
        client: Any, database: Database, clock: Clock, inbox: Inbox, mail: Settings) -> None:
    flow(client, {"type": "no_purchase", "days": 90},
         [{"type": "send_email", "subject": "We miss you, {{ first_name }}",
           "body": "Come back for 10% off.", "purpose": "marketing"}])
    buyer = make_contact(client, first_name="Ada",
                         emails=[{"email": "ada@example.com", "primary": True}])
    r = client.post(f"/api/v1/contacts/{buyer['id']}/consents",
                    json={"purpose": "marketing", "channel": "email", "status": "given"})
    assert r.status_code == 201, r.text
    silent = make_contact(client, first_name="NoConsent",
                          emails=[{"email": "nc@example.com", "primary": True}])
    make_order(client, buyer)
    make_order(client, silent)
    clock.advance(days=89)
    scan(database, mail, DATES)
    assert inbox.messages == []
    clock.advance(days=1)
    scan(database, mail, DATES)
    scan(database, mail, DATES)  # the next tick: not again
    clock.advance(days=1)
    scan(database, mail, DATES)
    [msg] = inbox.messages
    assert msg["To"] == "ada@example.com" and msg["Subject"] == "We miss you, Ada"
    by_contact = {str(r.contact_id): r for r in runs(database)}
    assert by_contact[buyer["id"]].status == "done"
    assert "email.no_consent" in by_contact[silent["id"]].log[-2]["outcome"]
    make_order(client, buyer)  # a new purchase: a new occasion 90 days later
    clock.advance(days=90)
    scan(database, mail, DATES)
    assert len(inbox.messages) == 2


class Receiver(BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_webhook_called_once_with_a_valid_signature(
        client: Any, database: Database, settings: Settings, clock: Clock) -> None:
    Receiver.got = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        secret = "s3cret-s3cret-s3cret"
        w = flow(client, {"type": "event", "event": "contact.created"},
                 [{"type": "webhook", "url": f"http://127.0.0.1:{server.server_port}/hook",
                   "secret": secret}])
        c = make_contact(client, first_name="Hook")
        scan(database, settings)
        scan(database, settings)
        [(headers, body)] = Receiver.got
        assert verify(secret, body, headers, now=clock.at.timestamp())
        data = json.loads(body)
        assert data["contact_id"] == c["id"] and data["workflow_id"] == w["id"]
        assert headers["X-Amity-Delivery"].startswith("workflow-webhook:")
    finally:
        server.shutdown()
        server.server_close()


def test_notify_the_owner_in_the_app_and_by_email(
        client: Any, database: Database, clock: Clock, inbox: Inbox, mail: Settings,
        admin_user: Any) -> None:
    flow(client, {"type": "event", "event": "contact.lifecycle_stage_changed",
                  "filters": [{"path": "to_stage", "op": "in",
                               "value": ["customer", "evangelist"]}]},
         [{"type": "notify", "to": "owner", "message": "A new customer", "email": True}])
    c = make_contact(client, first_name="Newcust")
    client.patch(f"/api/v1/contacts/{c['id']}", json={"lifecycle_stage": "qualified"})
    client.patch(f"/api/v1/contacts/{c['id']}", json={"lifecycle_stage": "customer"})
    scan(database, mail)
    scan(database, mail)
    with database.transaction(write=False) as s:
        notes = list(s.scalars(select(Notification).where(Notification.kind == "workflow")))
    assert [(n.user_id, n.title, n.entity_id) for n in notes] == [
        (admin_user[0].id, "A new customer", uuid.UUID(c["id"]))]
    [msg] = inbox.messages
    assert msg["To"] == "admin@example.com" and msg["Subject"] == "A new customer"
