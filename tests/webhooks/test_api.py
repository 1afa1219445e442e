"""/api/v1/webhooks: CRUD, the secret shown only on create and rotate, bad input refused with
nothing changed, test pings to a real receiver, the delivery log, redelivery."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.config import Settings
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.webhooks import service
from amity.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.factories import PROBLEM
from tests.jobs.conftest import Clock
from tests.webhooks.conftest import Receiver, pump

W = "/api/v1/webhooks"


def counts(database: Database) -> tuple[int, int, int]:
    with database.transaction(write=False) as s:
        return (s.scalar(select(func.count()).select_from(WebhookSubscription)) or 0,
                s.scalar(select(func.count()).select_from(WebhookDelivery)) or 0,
                s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_the_secret_is_shown_on_create_and_rotate_only(client: TestClient,
                                                       database: Database) -> None:
    r = client.post(W, json={"url": "https://hooks.example.com/a", "event_types": ["deal.*"],
                             "description": "Billing"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["enabled"] is True and created["event_types"] == ["deal.*"]
    sub_id = created["id"]
    assert "secret" not in client.get(f"{W}/{sub_id}").json()
    assert all("secret" not in s for s in client.get(W).json())
    r = client.patch(f"{W}/{sub_id}", json={"description": "Billing system"})
    assert r.status_code == 200 and "secret" not in r.json()
    rotated = client.post(f"{W}/{sub_id}/rotate-secret").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    with database.transaction(write=False) as s:
        assert s.get(WebhookSubscription, uuid.UUID(sub_id)).secret == rotated["secret"]
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "webhook")))
    assert {e.action for e in entries} == {"create", "update", "rotate_secret"}
    assert all(created["secret"] not in str(e.changes) and rotated["secret"] not in
               str(e.changes) for e in entries)
    assert client.delete(f"{W}/{sub_id}").status_code == 204
    assert client.get(f"{W}/{sub_id}").status_code == 404
    assert client.get(W).json() == []


@pytest.mark.parametrize("body", [
    {"url": "ftp://example.com/x", "event_types": ["deal.*"]},
    {"url": "javascript:alert(1)", "event_types": ["deal.*"]},
    {"url": "http://", "event_types": ["deal.*"]},
    {"url": "https://user:pw@example.com/", "event_types": ["deal.*"]},
    {"url": "https://example.com:99999/", "event_types": ["deal.*"]},
    {"url": "https://example.com/", "event_types": []},
    {"url": "https://example.com/", "event_types": ["Deal Won"]},
    {"url": "https://example.com/", "event_types": ["deal.*.won"]},
    {"url": "https://example.com/"},
    {"url": "https://example.com/", "event_types": ["deal.won"], "secret": "mine"},
    {"url": "x" * 3000, "event_types": ["deal.won"]},
])
def test_bad_input_is_refused_and_changes_nothing(client: TestClient, database: Database,
                                                  body: dict[str, Any]) -> None:
    before = counts(database)
    r = client.post(W, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert counts(database) == before


def test_bad_changes_are_refused_and_change_nothing(client: TestClient,
                                                    database: Database) -> None:
    sub = client.post(W, json={"url": "https://example.com/", "event_types": ["*"]}).json()
    before = counts(database)
    for body in ({"url": "gopher://example.com"}, {"event_types": []},
                 {"event_types": ["no spaces"]}, {"unknown": 1}):
        r = client.patch(f"{W}/{sub['id']}", json=body)
        assert r.status_code == 422, (body, r.text)
    r = client.patch(f"{W}/{sub['id']}", json={"description": "x", "version": 99})
    assert r.status_code == 412
    assert client.get(f"{W}/{uuid.uuid4()}").status_code == 404
    assert client.post(f"{W}/{uuid.uuid4()}/test").status_code == 404
    assert client.post(f"{W}/deliveries/{uuid.uuid4()}/redeliver").status_code == 404
    assert client.get(f"{W}/{sub['id']}/deliveries?status=lost").status_code == 422
    assert counts(database) == before
    assert client.get(f"{W}/{sub['id']}").json()["url"] == "https://example.com/"


def test_private_targets_are_refused_in_production_unless_allowed(settings: Settings) -> None:
    prod = settings.model_copy(update={"environment": "production"})
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/",
                "http://[::1]/", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(service.InvalidWebhook) as err:
            service.check_url(url, prod)
        assert err.value.code == "webhook.private_target"
    allowed = prod.model_copy(update={"webhook_allow_private": True})
    assert service.check_url("http://127.0.0.1:8080/hook", allowed)
    assert service.check_url("http://127.0.0.1:8080/hook", settings)  # test/development


def test_a_ping_is_signed_and_logged(client: TestClient, database: Database,
                                     receiver: Receiver, clock: Clock) -> None:
    sub = client.post(W, json={"url": receiver.url, "event_types": ["deal.won"]}).json()
    receiver.secret = sub["secret"]
    r = client.post(f"{W}/{sub['id']}/test")
    assert r.status_code == 200, r.text
    ping = r.json()
    assert ping["kind"] == "ping" and ping["status"] == "delivered"
    assert ping["status_code"] == 200 and ping["duration_ms"] >= 0
    [got] = receiver.got
    assert got.signed and got.event_type == "webhook.ping" and got.delivery_id == ping["id"]
    # a failing ping is logged with its error and does not count toward disabling
    receiver.status = 503
    clock.advance(seconds=1)
    ping = client.post(f"{W}/{sub['id']}/test").json()
    assert ping["status"] == "failed" and ping["status_code"] == 503
    assert ping["response_excerpt"] == "unavailable"
    assert client.get(f"{W}/{sub['id']}").json()["consecutive_failures"] == 0
    log = client.get(f"{W}/{sub['id']}/deliveries").json()
    assert [d["status"] for d in log["items"]] == ["failed", "delivered"]  # newest first
    assert client.post(f"{W}/deliveries/{ping['id']}/redeliver").status_code == 409


def test_the_delivery_log_pages_and_a_delivery_can_be_redelivered(
        client: TestClient, database: Database, settings: Settings, receiver: Receiver,
        clock: Clock) -> None:
    from tests.webhooks.test_delivery import DealWon, publish

    sub = client.post(W, json={"url": receiver.url, "event_types": ["deal.won"]}).json()
    receiver.secret = sub["secret"]
    clock.advance(seconds=1)
    publish(database, clock, *(DealWon(uuid.uuid4()) for _ in range(3)))
    clock.advance(seconds=5)
    pump(database, settings)
    assert len(receiver.accepted()) == 3
    page = client.get(f"{W}/{sub['id']}/deliveries?limit=2").json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(f"{W}/{sub['id']}/deliveries",
                      params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    every = page["items"] + rest["items"]
    assert sorted(d["seq"] for d in every) == [1, 2, 3]
    [first] = [d for d in every if d["seq"] == 1]
    assert first["status"] == "delivered" and first["attempts"] == 1
    r = client.post(f"{W}/deliveries/{first['id']}/redeliver")
    assert r.status_code == 200 and r.json()["status"] == "pending"
    pump(database, settings)
    assert [x.delivery_id for x in receiver.accepted()][-1] == first["id"]  # same id again
    assert client.get(f"{W}/{sub['id']}/deliveries?status=pending").json()["items"] == []
