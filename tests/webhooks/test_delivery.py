"""Delivery end to end: events in the outbox -> deliveries -> signed POSTs to a real receiver
on 127.0.0.1, in order per subscription, each once, through outages; auto-disable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.activities.models import Notification
from amity.config import Settings
from amity.core import events
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.core.events import DomainEvent
from amity.jobs import queue
from amity.jobs.worker import run_until_idle
from tests.jobs.conftest import Clock
from tests.webhooks.conftest import (
    Receiver,
    closed_port,
    deliveries,
    pump,
    subscription,
)


@dataclass(frozen=True)
class DealWon(DomainEvent):
    type = "deal.won"
    deal_id: uuid.UUID


@dataclass(frozen=True)
class DealLost(DomainEvent):
    type = "deal.lost"
    deal_id: uuid.UUID


@dataclass(frozen=True)
class ContactCreated(DomainEvent):
    type = "contact.created"
    contact_id: uuid.UUID


def publish(database: Database, clock: Clock, *evts: DomainEvent) -> list[str]:
    ids = []
    for e in evts:
        with database.transaction() as s:
            rec = events.publish(s, e)
            s.flush()
            ids.append(str(rec.id))
        clock.advance(milliseconds=10)
    return ids


def subscribe(client: TestClient, url: str, types: list[str]) -> dict[str, Any]:
    r = client.post("/api/v1/webhooks", json={"url": url, "event_types": types})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_events_reach_matching_subscriptions_signed_in_order(
        client: TestClient, database: Database, wh_settings: Settings, receiver: Receiver,
        clock: Clock) -> None:
    deals = subscribe(client, receiver.url, ["deal.*"])
    receiver.secret = deals["secret"]
    clock.advance(seconds=1)
    ids = publish(database, clock, DealWon(uuid.uuid4()), ContactCreated(uuid.uuid4()),
                  DealLost(uuid.uuid4()))
    pump(database, wh_settings)
    assert receiver.got == []  # not settled yet (webhook_settle_s)
    clock.advance(seconds=3)
    pump(database, wh_settings)
    got = receiver.accepted()
    assert [r.body["id"] for r in got] == [ids[0], ids[2]]
    assert [r.event_type for r in got] == ["deal.won", "deal.lost"]
    assert all(r.signed for r in got)
    assert set(got[0].body) == {"id", "type", "occurred_at", "data"}
    assert got[0].body["data"]["deal_id"]
    rows = deliveries(database, deals["id"])
    assert [d.seq for d in rows] == [1, 2]
    assert [str(d.id) for d in rows] == [r.delivery_id for r in got]
    assert all(d.status == "delivered" and d.status_code == 200 for d in rows)
    assert rows[0].response_excerpt == '{"ok": true}'
    pump(database, wh_settings)  # running again sends nothing twice
    assert len(receiver.got) == 2
    # the log is kept webhook_log_retention_days (30), pending deliveries longer
    receiver.status = 503
    publish(database, clock, DealWon(uuid.uuid4()))
    clock.advance(seconds=3)
    pump(database, wh_settings)
    clock.advance(days=31)
    with database.transaction() as s:
        queue.enqueue(s, "webhooks.purge", {})
    run_until_idle(database, wh_settings)
    assert [(d.seq, d.status) for d in deliveries(database, deals["id"])] == [(3, "pending")]


def test_a_receiver_down_for_a_while_gets_everything_once_in_order(
        client: TestClient, database: Database, wh_settings: Settings, receiver: Receiver,
        clock: Clock) -> None:
    everything = subscribe(client, receiver.url, ["*"])
    receiver.secret = everything["secret"]
    clock.advance(seconds=1)
    receiver.status = 503
    ids = publish(database, clock, *(DealWon(uuid.uuid4()) for _ in range(3)))
    clock.advance(seconds=3)
    pump(database, wh_settings)
    # the first delivery failed; the others wait behind it
    assert [r.body["id"] for r in receiver.got] == [ids[0]]
    rows = deliveries(database, everything["id"])
    assert [(d.status, d.attempts) for d in rows] == [("pending", 1), ("pending", 0),
                                                      ("pending", 0)]
    assert rows[0].status_code == 503 and rows[0].error == "HTTP 503"
    # more events while it is down, and the port closes altogether
    ids += publish(database, clock, ContactCreated(uuid.uuid4()), DealLost(uuid.uuid4()))
    receiver.stop()
    for _ in range(4):
        clock.advance(seconds=wh_settings.webhook_backoff_max_s)
        pump(database, wh_settings)
    rows = deliveries(database, everything["id"])
    assert rows[0].attempts >= 3 and rows[0].status_code is None
    assert "ConnectError" in (rows[0].error or "")
    assert all(d.attempts == 0 for d in rows[1:])
    # back up
    receiver.status = 200
    receiver.start()
    clock.advance(seconds=wh_settings.webhook_backoff_max_s)
    pump(database, wh_settings)
    got = receiver.accepted()
    assert [r.body["id"] for r in got] == ids  # every event, in order, once each
    assert len({r.delivery_id for r in got}) == len(ids)
    assert all(r.signed for r in got)
    failed_ids = {r.delivery_id for r in receiver.got if r.status == 503}
    assert failed_ids == {got[0].delivery_id}  # retries carry the same delivery id
    assert subscription(database, everything["id"]).consecutive_failures == 0


def test_subscriptions_are_independent(client: TestClient, database: Database,
                                       wh_settings: Settings, receiver: Receiver,
                                       clock: Clock) -> None:
    good = subscribe(client, receiver.url, ["deal.won"])
    receiver.secret = good["secret"]
    dead = subscribe(client, f"http://127.0.0.1:{closed_port()}/hook", ["deal.won"])
    clock.advance(seconds=1)
    publish(database, clock, DealWon(uuid.uuid4()), DealWon(uuid.uuid4()))
    clock.advance(seconds=3)
    pump(database, wh_settings)
    assert len(receiver.accepted()) == 2
    assert [d.status for d in deliveries(database, dead["id"])] == ["pending", "pending"]


def test_redirects_are_not_followed(client: TestClient, database: Database,
                                    wh_settings: Settings, receiver: Receiver,
                                    clock: Clock) -> None:
    sub = subscribe(client, receiver.url, ["deal.won"])
    receiver.secret = sub["secret"]
    receiver.status, receiver.headers = 302, {"Location": "http://127.0.0.1:1/elsewhere"}
    clock.advance(seconds=1)
    publish(database, clock, DealWon(uuid.uuid4()))
    clock.advance(seconds=3)
    pump(database, wh_settings)
    [row] = deliveries(database, sub["id"])
    assert row.status == "pending" and row.status_code == 302
    assert "not followed" in (row.error or "")
    assert len(receiver.got) == 1


def test_repeated_failures_disable_the_subscription_and_alert_admins(
        client: TestClient, database: Database, wh_settings: Settings, receiver: Receiver,
        clock: Clock, admin_user: Any) -> None:
    settings = wh_settings.model_copy(update={"webhook_max_failures": 3,
                                              "webhook_disable_after_s": 60.0})
    sub = subscribe(client, receiver.url, ["deal.*"])
    receiver.secret = sub["secret"]
    receiver.status = 500
    clock.advance(seconds=1)
    ids = publish(database, clock, DealWon(uuid.uuid4()), DealLost(uuid.uuid4()))
    clock.advance(seconds=3)
    pump(database, settings)
    for _ in range(6):
        clock.advance(seconds=settings.webhook_backoff_max_s)
        pump(database, settings)
    state = subscription(database, sub["id"])
    assert state.enabled is False
    assert state.consecutive_failures == 3  # 3 failures spanning over a minute, then no more
    assert state.disabled_reason and "HTTP 500" in state.disabled_reason
    assert len(receiver.got) == 3
    with database.transaction(write=False) as s:
        notes = list(s.scalars(select(Notification).where(Notification.kind == "webhook")))
        audit = list(s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "webhook",
                                                        AuditEntry.action == "disable")))
    assert [n.user_id for n in notes] == [admin_user[0].id]
    assert receiver.url in notes[0].title
    assert len(audit) == 1
    # shown in the API; events while disabled are not recorded for it
    r = client.get(f"/api/v1/webhooks/{sub['id']}")
    assert r.json()["enabled"] is False and r.json()["disabled_reason"]
    publish(database, clock, DealWon(uuid.uuid4()))
    clock.advance(seconds=3)
    pump(database, settings)
    assert len(deliveries(database, sub["id"])) == 2
    # re-enabled: the pending deliveries go out, in order
    receiver.status = 200
    r = client.patch(f"/api/v1/webhooks/{sub['id']}", json={"enabled": True})
    assert r.status_code == 200 and r.json()["consecutive_failures"] == 0
    pump(database, settings)
    assert [x.body["id"] for x in receiver.accepted()] == ids
    assert subscription(database, sub["id"]).disabled_reason is None


def test_a_sender_for_a_missing_subscription_stops(database: Database,
                                                    wh_settings: Settings) -> None:
    from amity.webhooks import delivery

    assert delivery.run_sender(database, wh_settings, uuid.uuid4(), "t:worker") is None
