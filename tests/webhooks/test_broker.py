"""The event stream against the RabbitMQ on this machine (127.0.0.1:5672, guest/guest): every
event published in order with its type as routing key, persistent, message_id = event id;
nothing lost while the broker is stopped. Each test uses an exchange and queues of its own.

Skipped when RabbitMQ is not reachable, unless AMITY_REQUIRE_RABBITMQ=1 (CI).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pika  # type: ignore[import-untyped]
import pytest

from amity.config import Settings
from amity.core.db import Database
from amity.jobs import queue
from amity.jobs.worker import run_until_idle
from amity.webhooks import broker
from tests.jobs.conftest import Clock
from tests.webhooks.test_delivery import ContactCreated, DealLost, DealWon, publish

URL = os.environ.get("AMITY_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def _reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def rabbitmq() -> Iterator[None]:
    """One broker test at a time on this machine (one of them stops the broker)."""
    with open(os.path.join(tempfile.gettempdir(), "amity-rabbitmq-tests.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _reachable():
            if os.environ.get("AMITY_REQUIRE_RABBITMQ") == "1":
                pytest.fail("RabbitMQ is not reachable on 127.0.0.1:5672")
            pytest.skip("RabbitMQ is not reachable on 127.0.0.1:5672")
        yield


class Consumer:
    """A durable queue bound to the test's exchange, read with basic_get."""

    def __init__(self, exchange: str, binding: str = "#") -> None:
        self.exchange, self.queue = exchange, f"{exchange}.{binding.replace('*', 'star')}"
        self.binding = binding
        with self._channel() as (_conn, ch):
            ch.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
            ch.queue_declare(queue=self.queue, durable=True)
            ch.queue_bind(queue=self.queue, exchange=exchange, routing_key=binding)

    class _Open:
        def __enter__(self) -> tuple[Any, Any]:
            self.conn = pika.BlockingConnection(pika.URLParameters(URL))
            return self.conn, self.conn.channel()

        def __exit__(self, *exc: object) -> None:
            self.conn.close()

    def _channel(self) -> Consumer._Open:
        return Consumer._Open()

    def drain(self) -> list[tuple[str, Any, dict[str, Any]]]:
        got = []
        with self._channel() as (_conn, ch):
            while True:
                method, props, body = ch.basic_get(queue=self.queue, auto_ack=True)
                if method is None:
                    return got
                got.append((method.routing_key, props, json.loads(body)))

    def delete(self) -> None:
        with self._channel() as (_conn, ch):
            ch.queue_delete(queue=self.queue)
            ch.exchange_delete(exchange=self.exchange)


@pytest.fixture
def exchange() -> Iterator[str]:
    yield f"amity.test.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def broker_settings(settings: Settings, exchange: str) -> Settings:
    return settings.model_copy(update={"broker_url": URL, "broker_exchange": exchange,
                                       "broker_settle_s": 2.0, "broker_batch": 2})


def run_publisher(database: Database, settings: Settings) -> None:
    """What a worker does every few seconds: the broker.publish job."""
    with database.transaction() as s:
        queue.enqueue(s, "broker.publish", {}, idempotency_key=f"t:{uuid.uuid4()}")
    run_until_idle(database, settings)


def test_events_are_published_in_order_with_their_type_as_routing_key(
        database: Database, broker_settings: Settings, exchange: str, clock: Clock) -> None:
    everything, deals = Consumer(exchange), Consumer(exchange, "deal.*")
    try:
        ids = publish(database, clock, DealWon(uuid.uuid4()), ContactCreated(uuid.uuid4()),
                      DealLost(uuid.uuid4()))
        run_publisher(database, broker_settings)
        assert everything.drain() == []  # not settled yet
        clock.advance(seconds=3)
        run_publisher(database, broker_settings)
        got = everything.drain()
        assert [body["id"] for _, _, body in got] == ids
        assert [key for key, _, _ in got] == ["deal.won", "contact.created", "deal.lost"]
        _, props, body = got[0]
        assert props.message_id == ids[0] and props.content_type == "application/json"
        assert props.delivery_mode == 2 and props.type == "deal.won"
        assert set(body) == {"id", "type", "occurred_at", "data"}
        assert [b["id"] for _, _, b in deals.drain()] == [ids[0], ids[2]]
        st = broker.status(database, broker_settings)
        assert (st.published, st.pending, str(st.last_event_id)) == (3, 0, ids[2])
        run_publisher(database, broker_settings)  # nothing twice
        assert everything.drain() == []
        # replay from the second event
        assert broker.replay_from(database, uuid.UUID(ids[1])) == 2
        run_publisher(database, broker_settings)
        assert [b["id"] for _, _, b in everything.drain()] == ids[1:]
    finally:
        everything.delete()
        deals.delete()


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def _wait_for_broker(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pika.BlockingConnection(pika.URLParameters(URL)).close()
            return
        except Exception:
            time.sleep(0.5)
    raise AssertionError("RabbitMQ did not come back")


def test_nothing_is_lost_while_the_broker_is_stopped(
        database: Database, broker_settings: Settings, exchange: str, clock: Clock) -> None:
    if database.dialect != "postgresql":
        pytest.skip("stopping the broker is exercised on PostgreSQL")
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed here")
    consumer = Consumer(exchange)
    try:
        before = publish(database, clock, DealWon(uuid.uuid4()))
        clock.advance(seconds=3)
        run_publisher(database, broker_settings)
        assert [b["id"] for _, _, b in consumer.drain()] == before
        _rabbitmqctl("stop_app")
        try:
            during = publish(database, clock, *(DealLost(uuid.uuid4()) for _ in range(5)))
            clock.advance(seconds=3)
            for _ in range(3):
                run_publisher(database, broker_settings)  # fails quietly, keeps the cursor
            st = broker.status(database, broker_settings)
            assert st.pending == 5 and st.published == 1
            assert st.last_error and "cannot reach the broker" in st.last_error
        finally:
            _rabbitmqctl("start_app")
            _wait_for_broker()
        after = publish(database, clock, ContactCreated(uuid.uuid4()))
        clock.advance(seconds=3)
        run_publisher(database, broker_settings)
        got = [b["id"] for _, _, b in consumer.drain()]
        assert got == during + after  # everything, in order, once
        st = broker.status(database, broker_settings)
        assert (st.pending, st.published, st.last_error) == (0, 7, None)
    finally:
        consumer.delete()
