"""A running worker (real time, its own threads and schedule) records and sends webhooks on
its own: no test drives the jobs here."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from amity.config import Settings
from amity.core import events
from amity.core.db import Database
from amity.jobs.worker import Worker
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_delivery import DealLost, DealWon


class RealClock:
    @property
    def at(self) -> datetime:
        return datetime.now(UTC)


def test_a_worker_records_and_sends_on_its_schedule(client: TestClient, database: Database,
                                                    settings: Settings) -> None:
    fast = settings.model_copy(update={"webhook_settle_s": 0.5, "jobs_poll_interval_s": 0.05,
                                       "jobs_dispatch_interval_s": 0.05})
    clock: Any = RealClock()
    receiver = Receiver(clock)
    receiver.start()
    w = Worker(database, fast, concurrency=1)
    try:
        sub = client.post("/api/v1/webhooks", json={"url": receiver.url,
                                                    "event_types": ["deal.*"]}).json()
        receiver.secret = sub["secret"]
        ids = []
        with database.transaction() as s:
            for e in (DealWon(uuid.uuid4()), DealLost(uuid.uuid4())):
                rec = events.publish(s, e)
                s.flush()
                ids.append(str(rec.id))
        w.start()
        deadline = time.monotonic() + 40
        while len(receiver.accepted()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        w.stop(timeout=10)
        receiver.stop()
    got = receiver.accepted()
    assert [r.body["id"] for r in got] == ids
    assert all(r.signed for r in got)
