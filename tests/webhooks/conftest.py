"""Fixtures for webhooks: a real HTTP receiver on 127.0.0.1 that checks signatures, the
controlled clock, and helpers that drive the webhook jobs."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from amity.config import Settings
from amity.core.db import Database
from amity.jobs import queue
from amity.jobs.worker import run_until_idle
from amity.webhooks import signing
from amity.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.jobs.conftest import Clock, clock  # noqa: F401  (the fixture)
from tests.web.conftest import web  # noqa: F401  (the fixture)


@dataclass
class Received:
    delivery_id: str
    event_type: str
    body: dict[str, Any]
    signed: bool  # the signature checked out with the secret the receiver knows
    status: int  # what the receiver answered


@dataclass
class Receiver:
    """Answers ``status`` (200 by default) to each POST and records it; ``secret`` (set by
    the test) verifies each signature at the controlled clock's time."""

    clock: Clock
    port: int = 0
    status: int = 200
    secret: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    got: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: HTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.got if 200 <= r.status < 300]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                signed = signing.verify(receiver.secret, raw, dict(self.headers.items()),
                                        now=receiver.clock.at.timestamp())
                status = receiver.status
                with receiver.lock:
                    receiver.got.append(Received(self.headers.get("X-Amity-Delivery", ""),
                                                 self.headers.get("X-Amity-Event", ""),
                                                 json.loads(raw), signed, status))
                self.send_response(status)
                for k, v in receiver.headers.items():
                    self.send_header(k, v)
                body = b'{"ok": true}' if status < 300 else b"unavailable"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = HTTPServer(("127.0.0.1", self.port), Handler)
        self.port = server.server_address[1]
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Close the port: connections are refused until ``start`` again."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver(clock: Clock) -> Iterator[Receiver]:  # noqa: F811
    r = Receiver(clock)
    r.start()
    try:
        yield r
    finally:
        r.stop()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def wh_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"jobs_lease_s": 30.0, "jobs_backoff_base_s": 5.0,
                                       "webhook_backoff_base_s": 10.0,
                                       "webhook_backoff_max_s": 600.0,
                                       "webhook_timeout_s": 5.0, "webhook_settle_s": 2.0,
                                       "webhook_allow_private": True})


def pump(database: Database, settings: Settings) -> int:
    """What a worker does on its schedule: record the settled events' deliveries, then run
    every due job (senders included)."""
    with database.transaction() as s:
        queue.enqueue(s, "webhooks.record", {}, idempotency_key=f"t:{uuid.uuid4()}")
    return run_until_idle(database, settings)


def deliveries(database: Database, sub_id: Any) -> list[WebhookDelivery]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(WebhookDelivery)
                              .where(WebhookDelivery.subscription_id == uuid.UUID(str(sub_id)),
                                     WebhookDelivery.kind == "event")
                              .order_by(WebhookDelivery.seq)))


def subscription(database: Database, sub_id: Any) -> WebhookSubscription:
    with database.transaction(write=False) as s:
        sub = s.get(WebhookSubscription, uuid.UUID(str(sub_id)))
        assert sub is not None
        return sub


Advance = Callable[..., None]
