"""Jobs of outbound webhooks and the event stream.

``webhooks.record`` (every few seconds) reads the events outbox with its own cursor, records
one delivery per matching enabled subscription and queues that subscription's sender (a
cursor rather than an ``@on_event("*")`` subscriber: no extra job per event, and deliveries
are numbered in event order); ``webhooks.send`` delivers a
subscription's pending deliveries in order and, when one fails, queues itself again for the
retry's time (see ``amity.webhooks.delivery``); ``webhooks.purge`` (hourly) deletes sent
deliveries older than ``webhook_log_retention_days``. ``broker.publish`` runs every few seconds and
publishes the events outbox to the AMQP broker when ``AMITY_BROKER_URL`` is set (see
``amity.webhooks.broker``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from amity.core.clock import now
from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.models import Job
from amity.jobs.registry import job
from amity.webhooks import broker, delivery

log = logging.getLogger("amity.webhooks")

RECORD = "webhooks.record"
SEND = "webhooks.send"
PUBLISH = "broker.publish"
PURGE = "webhooks.purge"


def kick_sender(db: Session, sub_id: uuid.UUID, key: str,
                run_at: datetime | None = None) -> Job:
    """Queue the subscription's sender (once per ``key``) in the caller's transaction."""
    return queue.enqueue(db, SEND, {"subscription_id": str(sub_id)}, run_at=run_at,
                         idempotency_key=f"{SEND}:{sub_id}:{key}"[:200])


@job(RECORD, max_attempts=1)
def record(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    def kick(s: Session, sub_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
        kick_sender(s, sub_id, f"d:{delivery_id}")

    delivery.record_pending(ctx.database, ctx.settings, f"{ctx.worker}:{ctx.job_id}"[:120],
                            kick)


@job(SEND, max_attempts=20)
def send(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    sub_id = uuid.UUID(str(payload["subscription_id"]))
    retry = delivery.run_sender(ctx.database, ctx.settings, sub_id,
                                owner=f"{ctx.worker}:{ctx.job_id}"[:120],
                                heartbeat=ctx.heartbeat)
    if retry is not None:
        kick_sender(db, sub_id, retry.key, run_at=retry.at)


@job(PURGE, max_attempts=3)
def purge(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    days = ctx.settings.webhook_log_retention_days
    delivery.purge_log(ctx.database, older_than=now() - timedelta(days=days))


@job(PUBLISH, max_attempts=1)
def publish(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    if not ctx.settings.broker_url:
        return
    try:
        n = broker.publish_pending(ctx.database, ctx.settings,
                                   owner=f"{ctx.worker}:{ctx.job_id}"[:120],
                                   heartbeat=ctx.heartbeat)
    except broker.BrokerUnavailable as exc:
        # the next slot tries again; the cursor keeps everything not yet confirmed
        log.warning("event stream: %s", exc)
        return
    if n:
        log.info("event stream: published %d event(s)", n)
