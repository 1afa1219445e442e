"""Delivering events to webhook subscriptions: strictly in order, each with a stable id.

``record_pending`` (the ``webhooks.record`` job, every few seconds) reads the events outbox
with a cursor of its own (``cursor``), in (occurred_at, id) order, and adds one delivery per
enabled subscription whose patterns match, numbered per subscription (``seq``, taken from the
subscription row under its write lock), moving the cursor in the same transaction: every
event is recorded once, and deliveries are numbered in event order.

``run_sender`` is the one sender of a subscription at a time (a lease on the subscription
row): it sends the lowest pending delivery, and the next one only after it succeeded; a
failure schedules a retry (exponential backoff, capped, jittered) and the sender stops there.
Requests are signed (``signing``), carry the delivery id in ``X-Amity-Delivery`` (the same on
every attempt: receivers de-duplicate on it) and never follow redirects. After
``webhook_max_failures`` failures in a row spanning at least ``webhook_disable_after_s``, the
subscription is disabled with a reason, audit-logged, and every active administrator gets an
in-app notification. Its pending deliveries are kept and go out once it is enabled again.

No database transaction is open while a request is in flight. A sender that dies after the
request and before recording its outcome leaves the delivery pending: it is sent again with
the same id.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.activities.models import Notification
from amity.auth.models import User
from amity.config import Settings
from amity.core import audit
from amity.core.clock import now
from amity.core.db import Database
from amity.core.events import EventRecord
from amity.webhooks import cursor, service, signing
from amity.webhooks.models import (
    DELIVERED,
    EVENT,
    FAILED,
    PENDING,
    PING,
    WebhookDelivery,
    WebhookSubscription,
)

EXCERPT = 1000  # characters of the response body kept in the log
USER_AGENT = "Amity-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str | None
    excerpt: str | None


def event_payload(event: EventRecord) -> dict[str, Any]:
    return {"id": str(event.id), "type": event.type,
            "occurred_at": event.occurred_at.isoformat(), "data": event.payload}


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def record_event(db: Session, event: EventRecord) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """One delivery per matching enabled subscription (once per event, even when run again);
    returns the (subscription id, delivery id) pairs added."""
    subs = db.scalars(select(WebhookSubscription).where(
        WebhookSubscription.deleted_at.is_(None), WebhookSubscription.enabled.is_(True))).all()
    added = []
    for sub in subs:
        if sub.created_at > event.occurred_at or not any(
                service.matches(p, event.type) for p in sub.event_types or []):
            continue
        if db.scalar(select(WebhookDelivery.id).where(
                WebhookDelivery.subscription_id == sub.id,
                WebhookDelivery.event_id == event.id)) is not None:
            continue
        seq = db.execute(update(WebhookSubscription).where(WebhookSubscription.id == sub.id)
                         .values(next_seq=WebhookSubscription.next_seq + 1,
                                 updated_at=WebhookSubscription.updated_at)
                         .returning(WebhookSubscription.next_seq)
                         .execution_options(synchronize_session=False)).scalar_one()
        delivery = WebhookDelivery(id=uuid.uuid4(), subscription_id=sub.id, kind=EVENT,
                                   seq=seq, event_id=event.id, event_type=event.type,
                                   payload=event_payload(event), status=PENDING, attempts=0,
                                   next_attempt_at=now(), created_at=now())
        db.add(delivery)
        added.append((sub.id, delivery.id))
    db.flush()
    return added


RECORD_CURSOR = "webhooks"
Kick = Callable[[Session, uuid.UUID, uuid.UUID], None]


def record_pending(database: Database, settings: Settings, owner: str, kick: Kick, *,
                   batch: int = 500, max_batches: int = 100) -> int:
    """Record the deliveries of the settled events after the cursor; ``kick(db, subscription
    id, delivery id)`` queues the sender in the same transaction. Returns how many events
    were read. With no enabled subscription the cursor just jumps to the newest event."""
    if not cursor.take_lease(database, RECORD_CURSOR, owner):
        return 0
    total = 0
    try:
        for _ in range(max_batches):
            with database.transaction() as s:
                if s.scalar(select(WebhookSubscription.id).where(
                        WebhookSubscription.deleted_at.is_(None),
                        WebhookSubscription.enabled.is_(True)).limit(1)) is None:
                    last = cursor.last_settled(s, settle_s=settings.webhook_settle_s)
                    if last is not None:
                        cursor.advance(s, RECORD_CURSOR, owner, last, 0)
                    return total
                events = cursor.batch(s, RECORD_CURSOR, settle_s=settings.webhook_settle_s,
                                      limit=batch)
                if not events:
                    return total
                for event in events:
                    for sub_id, delivery_id in record_event(s, event):
                        kick(s, sub_id, delivery_id)
                if not cursor.advance(s, RECORD_CURSOR, owner, events[-1], len(events)):
                    s.rollback()  # our lease was taken over: the new reader does it
                    return total
            total += len(events)
            if not cursor.take_lease(database, RECORD_CURSOR, owner):
                return total
    finally:
        cursor.release_lease(database, RECORD_CURSOR, owner)
    return total


def send(settings: Settings, *, url: str, secret: str, delivery_id: uuid.UUID,
         event_type: str, payload: dict[str, Any],
         client: httpx.Client | None = None) -> Outcome:
    """POST one signed request; 2xx is success. Redirects are not followed."""
    body = body_of(payload)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "X-Amity-Event": event_type, "X-Amity-Delivery": str(delivery_id),
               **signing.sign(secret, body, int(now().timestamp()))}
    started = time.monotonic()
    parts = urlsplit(url)
    if not service.private_allowed(settings) and parts.hostname:
        reason = service.refused_target(parts.hostname, parts.port or 443)
        if reason:
            return Outcome(False, None, 0, f"Refused: {reason}", None)
    own = client is None
    c = client or httpx.Client(timeout=settings.webhook_timeout_s, follow_redirects=False)
    try:
        with c.stream("POST", url, content=body, headers=headers) as r:
            chunks: list[bytes] = []
            size = 0
            for chunk in r.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= EXCERPT * 4:
                    break
            excerpt = b"".join(chunks).decode("utf-8", "replace")[:EXCERPT]
            ms = int((time.monotonic() - started) * 1000)
            ok = 200 <= r.status_code < 300
            error = None if ok else (f"HTTP {r.status_code}" + (
                f" (redirect to {r.headers.get('location', '?')[:200]}, not followed)"
                if 300 <= r.status_code < 400 else ""))
            return Outcome(ok, r.status_code, ms, error, excerpt)
    except httpx.HTTPError as exc:
        ms = int((time.monotonic() - started) * 1000)
        return Outcome(False, None, ms, f"{type(exc).__name__}: {exc}"[:1000], None)
    finally:
        if own:
            c.close()


def ping(db: Session, *, sub: WebhookSubscription, settings: Settings,
         actor: User) -> WebhookDelivery:
    """Send a ``webhook.ping`` now (in the request) and log it; failures of a ping do not
    count toward disabling the subscription."""
    delivery_id = uuid.uuid4()
    at = now()
    payload = {"id": str(delivery_id), "type": "webhook.ping", "occurred_at": at.isoformat(),
               "data": {"webhook_id": str(sub.id)}}
    out = send(settings, url=sub.url, secret=sub.secret, delivery_id=delivery_id,
               event_type="webhook.ping", payload=payload)
    d = WebhookDelivery(id=delivery_id, subscription_id=sub.id, kind=PING, seq=None,
                        event_id=None, event_type="webhook.ping", payload=payload,
                        status=DELIVERED if out.ok else FAILED, attempts=1, created_at=at,
                        delivered_at=now() if out.ok else None, last_attempt_at=at,
                        status_code=out.status_code, duration_ms=out.duration_ms,
                        error=out.error, response_excerpt=out.excerpt)
    db.add(d)
    db.flush()
    audit.record(db, actor_id=actor.id, action="ping", entity_type=service.ENTITY,
                 entity_id=sub.id, changes={"ok": [None, out.ok]})
    return d


# ---- the sender ------------------------------------------------------------------------

def _lease_s(settings: Settings) -> float:
    return max(60.0, settings.webhook_timeout_s * 3)


def acquire(database: Database, sub_id: uuid.UUID, owner: str,
            lease_s: float) -> datetime | None:
    """Take (or extend) the subscription's sender lease; its end, or None when another
    sender holds it (``holder_until`` says until when)."""
    at = now()
    with database.transaction() as s:
        got = s.execute(update(WebhookSubscription).where(
            WebhookSubscription.id == sub_id,
            or_(WebhookSubscription.sender_owner.is_(None),
                WebhookSubscription.sender_until < at,
                WebhookSubscription.sender_owner == owner))
            .values(sender_owner=owner, sender_until=at + timedelta(seconds=lease_s),
                    updated_at=WebhookSubscription.updated_at,
                    version=WebhookSubscription.version)
            .returning(WebhookSubscription.sender_until)
            .execution_options(synchronize_session=False)).scalar()
    return got


def holder_until(database: Database, sub_id: uuid.UUID) -> datetime | None:
    with database.transaction(write=False) as s:
        return s.scalar(select(WebhookSubscription.sender_until)
                        .where(WebhookSubscription.id == sub_id))


def release(database: Database, sub_id: uuid.UUID, owner: str) -> None:
    with database.transaction() as s:
        s.execute(update(WebhookSubscription).where(
            WebhookSubscription.id == sub_id, WebhookSubscription.sender_owner == owner)
            .values(sender_owner=None, sender_until=None,
                    updated_at=WebhookSubscription.updated_at,
                    version=WebhookSubscription.version)
            .execution_options(synchronize_session=False))


def _head(s: Session, sub_id: uuid.UUID) -> WebhookDelivery | None:
    return s.scalar(select(WebhookDelivery).where(
        WebhookDelivery.subscription_id == sub_id, WebhookDelivery.status == PENDING,
        WebhookDelivery.kind == EVENT).order_by(WebhookDelivery.seq).limit(1))


def has_due(database: Database, sub_id: uuid.UUID) -> bool:
    with database.transaction(write=False) as s:
        sub = s.get(WebhookSubscription, sub_id)
        if sub is None or not sub.enabled or sub.deleted_at is not None:
            return False
        head = _head(s, sub_id)
        return head is not None and (head.next_attempt_at is None
                                     or head.next_attempt_at <= now())


@dataclass(frozen=True)
class Retry:
    at: datetime
    key: str  # identifies this wait: a second sender job for it is not queued


def run_sender(database: Database, settings: Settings, sub_id: uuid.UUID, owner: str,
               heartbeat: Callable[[], None] = lambda: None) -> Retry | None:
    """Deliver the subscription's due deliveries in order. Returns when a sender must run
    again (a retry's time, or the end of another sender's lease), or None."""
    lease_s = _lease_s(settings)
    misses = 0
    while True:
        if acquire(database, sub_id, owner, lease_s) is None:
            until = holder_until(database, sub_id)
            if until is None:  # released meanwhile (or no such subscription): try again
                misses += 1
                if misses > 3:
                    return None
                continue
            return Retry(until + timedelta(seconds=1), f"lease:{until.isoformat()}")
        try:
            retry = _drain(database, settings, sub_id, owner, lease_s, heartbeat)
        finally:
            release(database, sub_id, owner)
        if retry is not None:
            return retry
        # a delivery recorded while we held the lease had its own sender bow out: look again
        if not has_due(database, sub_id):
            return None


def _drain(database: Database, settings: Settings, sub_id: uuid.UUID, owner: str,
           lease_s: float, heartbeat: Callable[[], None]) -> Retry | None:
    with httpx.Client(timeout=settings.webhook_timeout_s, follow_redirects=False) as client:
        while True:
            heartbeat()
            with database.transaction(write=False) as s:
                sub = s.get(WebhookSubscription, sub_id)
                if sub is None or not sub.enabled or sub.deleted_at is not None:
                    return None
                head = _head(s, sub_id)
                if head is None:
                    return None
                if head.next_attempt_at is not None and head.next_attempt_at > now():
                    return Retry(head.next_attempt_at, f"retry:{head.id}:{head.attempts}")
                url, secret = sub.url, sub.secret
                d_id, d_type, payload = head.id, head.event_type, dict(head.payload)
            if acquire(database, sub_id, owner, lease_s) is None:
                return None  # lease lost (we stalled): the new holder carries on
            out = send(settings, url=url, secret=secret, delivery_id=d_id, event_type=d_type,
                       payload=payload, client=client)
            retry = _record(database, settings, sub_id, d_id, out)
            if retry is not None:
                return retry


def _record(database: Database, settings: Settings, sub_id: uuid.UUID,
            delivery_id: uuid.UUID, out: Outcome) -> Retry | None:
    at = now()
    with database.transaction() as s:
        d = s.get(WebhookDelivery, delivery_id)
        sub = s.get(WebhookSubscription, sub_id)
        if d is None or sub is None:
            return None
        d.attempts += 1
        d.last_attempt_at, d.status_code, d.duration_ms = at, out.status_code, out.duration_ms
        d.error, d.response_excerpt = out.error, out.excerpt
        if out.ok:
            d.status, d.delivered_at, d.next_attempt_at = DELIVERED, at, None
            s.execute(update(WebhookSubscription).where(WebhookSubscription.id == sub_id)
                      .values(consecutive_failures=0, failing_since=None, last_success_at=at,
                              updated_at=WebhookSubscription.updated_at,
                              version=WebhookSubscription.version)
                      .execution_options(synchronize_session=False))
            return None
        d.next_attempt_at = at + backoff(d.attempts, settings)
        failures = sub.consecutive_failures + 1
        since = sub.failing_since or at
        values: dict[str, Any] = {"consecutive_failures": failures, "failing_since": since,
                                  "last_failure_at": at}
        disable = (failures >= settings.webhook_max_failures
                   and (at - since).total_seconds() >= settings.webhook_disable_after_s)
        if disable:
            reason = (f"Disabled after {failures} failed deliveries in a row since "
                      f"{since.isoformat(timespec='seconds')}; last error: {out.error}")[:500]
            values.update(enabled=False, disabled_reason=reason, disabled_at=at)
        s.execute(update(WebhookSubscription).where(WebhookSubscription.id == sub_id)
                  .values(updated_at=WebhookSubscription.updated_at,
                          version=WebhookSubscription.version + (1 if disable else 0),
                          **values)
                  .execution_options(synchronize_session=False))
        if disable:
            _alert(s, sub, values["disabled_reason"])
            return None
        return Retry(d.next_attempt_at, f"retry:{d.id}:{d.attempts}")


def purge_log(database: Database, *, older_than: datetime, batch: int = 1000) -> int:
    """Delete delivered deliveries and pings made before ``older_than``; pending ones stay."""
    total = 0
    while True:
        with database.transaction() as s:
            ids = list(s.scalars(select(WebhookDelivery.id).where(
                WebhookDelivery.status != PENDING, WebhookDelivery.created_at < older_than)
                .limit(batch)))
            if ids:
                s.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)),
                          execution_options={"synchronize_session": False})
        total += len(ids)
        if len(ids) < batch:
            return total


def backoff(attempts: int, settings: Settings, rand: float | None = None) -> timedelta:
    """base * 2^(attempts-1), at most the maximum, drawn between half and all of it."""
    full = min(settings.webhook_backoff_max_s,
               settings.webhook_backoff_base_s * 2 ** max(0, min(attempts - 1, 30)))
    r = random.random() if rand is None else rand
    return timedelta(seconds=full / 2 + full / 2 * r)


def _alert(s: Session, sub: WebhookSubscription, reason: str) -> None:
    audit.record(s, actor_id=None, action="disable", entity_type=service.ENTITY,
                 entity_id=sub.id, changes={"enabled": [True, False],
                                            "disabled_reason": [None, reason]})
    admins = s.scalars(select(User.id).where(User.is_admin.is_(True),
                                             User.is_active.is_(True))).all()
    at = now()
    rows = [{"id": uuid.uuid4(), "user_id": uid, "kind": "webhook",
             "title": f"Webhook disabled: {sub.url}"[:300], "body": reason,
             "entity_type": service.ENTITY, "entity_id": sub.id,
             "dedupe_key": f"webhook-disabled:{sub.id}:{at.isoformat()}:{uid}"[:240],
             "created_at": at, "read_at": None} for uid in admins]
    if rows:
        dialect = s.get_bind().dialect.name
        ins = postgresql.insert(Notification) if dialect == "postgresql" \
            else sqlite.insert(Notification)
        s.execute(ins.on_conflict_do_nothing(index_elements=["dedupe_key"]), rows)


