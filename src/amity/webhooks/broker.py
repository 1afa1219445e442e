"""The event stream: every event of the outbox, in order, to a topic exchange on an AMQP
broker (RabbitMQ), routing key = the event type.

The publisher keeps its own cursor (``broker_cursors``: the last published event's
(occurred_at, id)), independent of the dispatcher's ``published_at``. One publisher at a time
holds the cursor row's lease. It reads the events after the cursor that are older than
``broker_settle_s`` (a transaction that commits a little late cannot slip behind it), publishes
each as a persistent message (``message_id`` = the event id, JSON) on a channel with publisher
confirms, and moves the cursor past the confirmed ones only, fenced on its lease. While the
broker is down nothing moves; once it is back everything pending goes out, in order. A crash
between a confirm and the cursor's commit publishes those events again: consumers
de-duplicate on ``message_id``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pika  # type: ignore[import-untyped]

from amity.config import Settings
from amity.core.db import Database
from amity.core.events import EventRecord
from amity.webhooks import cursor
from amity.webhooks.models import BrokerCursor

CURSOR = "broker"


class BrokerUnavailable(Exception):
    """The broker could not be reached or did not confirm a message."""


@dataclass(frozen=True)
class Status:
    configured: bool
    exchange: str
    last_event_id: uuid.UUID | None
    last_occurred_at: datetime | None
    published: int
    pending: int
    lease_owner: str | None
    lease_until: datetime | None
    last_published_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


def _batch(database: Database, settings: Settings) -> list[EventRecord]:
    with database.transaction(write=False) as s:
        rows = cursor.batch(s, CURSOR, settle_s=settings.broker_settle_s,
                            limit=settings.broker_batch)
        s.expunge_all()
    return rows


def _advance(database: Database, owner: str, last: EventRecord, n: int) -> bool:
    with database.transaction() as s:
        return cursor.advance(s, CURSOR, owner, last, n)


def message(event: EventRecord) -> tuple[bytes, Any]:
    body = json.dumps({"id": str(event.id), "type": event.type,
                       "occurred_at": event.occurred_at.isoformat(), "data": event.payload},
                      separators=(",", ":"), sort_keys=True).encode()
    props = pika.BasicProperties(content_type="application/json",
                                 delivery_mode=pika.DeliveryMode.Persistent,
                                 message_id=str(event.id), type=event.type,
                                 timestamp=int(event.occurred_at.timestamp()))
    return body, props


class Publisher:
    """One AMQP connection with a confirming channel and the declared topic exchange."""

    def __init__(self, settings: Settings) -> None:
        self.exchange = settings.broker_exchange
        params = pika.URLParameters(settings.broker_url)
        params.connection_attempts = 1
        params.socket_timeout = 5
        params.blocked_connection_timeout = 30
        try:
            self.connection = pika.BlockingConnection(params)
            self.channel = self.connection.channel()
            self.channel.confirm_delivery()
            self.channel.exchange_declare(exchange=self.exchange, exchange_type="topic",
                                          durable=True)
        except Exception as exc:
            raise BrokerUnavailable(f"cannot reach the broker: {type(exc).__name__}: "
                                    f"{exc}") from exc

    def publish(self, event: EventRecord) -> None:
        """Returns once the broker confirmed the message (raises otherwise)."""
        body, props = message(event)
        try:
            self.channel.basic_publish(exchange=self.exchange, routing_key=event.type,
                                       body=body, properties=props)
        except Exception as exc:
            raise BrokerUnavailable(f"publishing failed: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        try:
            if self.connection.is_open:
                self.connection.close()
        except Exception:  # noqa: S110  (closing a dead connection: nothing to do)
            pass


def publish_pending(database: Database, settings: Settings, owner: str, *,
                    max_batches: int = 1000, heartbeat: Any = None) -> int:
    """Publish every settled event after the cursor; returns how many. Raises
    ``BrokerUnavailable`` (after moving the cursor past what was confirmed)."""
    if not settings.broker_url:
        return 0
    if not cursor.take_lease(database, CURSOR, owner):
        return 0
    total = 0
    publisher: Publisher | None = None
    try:
        for _ in range(max_batches):
            events = _batch(database, settings)
            if not events:
                break
            if publisher is None:
                publisher = Publisher(settings)
            done: list[EventRecord] = []
            try:
                for event in events:
                    publisher.publish(event)
                    done.append(event)
            finally:
                if done and not _advance(database, owner, done[-1], len(done)):
                    raise BrokerUnavailable("the publisher's lease was taken over")
            total += len(done)
            if heartbeat is not None:
                heartbeat()
            if not cursor.take_lease(database, CURSOR, owner):
                break
    except BrokerUnavailable as exc:
        cursor.note_error(database, CURSOR, str(exc))
        raise
    finally:
        if publisher is not None:
            publisher.close()
        cursor.release_lease(database, CURSOR, owner)
    return total


def status(database: Database, settings: Settings) -> Status:
    cursor.ensure(database, CURSOR)
    with database.transaction(write=False) as s:
        cur = s.get(BrokerCursor, CURSOR)
        assert cur is not None
        return Status(configured=bool(settings.broker_url), exchange=settings.broker_exchange,
                      last_event_id=cur.last_event_id, last_occurred_at=cur.last_occurred_at,
                      published=cur.published, pending=cursor.pending(s, CURSOR),
                      lease_owner=cur.lease_owner, lease_until=cur.lease_until,
                      last_published_at=cur.last_published_at, last_error=cur.last_error,
                      last_error_at=cur.last_error_at)


def replay_from(database: Database, event_id: uuid.UUID) -> int:
    """Publish this event and every later one again; returns how many that is."""
    return cursor.rewind(database, CURSOR, event_id)
