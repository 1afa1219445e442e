"""Webhook subscriptions: create, change, rotate the secret, delete; the delivery log.

Every write is audit-logged (the secret itself is masked there: its key is named "secret").
Targets are checked here: http or https only, no credentials in the URL, and outside
development and test no private, loopback or link-local address unless
``webhook_allow_private`` is on (checked again before each request, see ``delivery``).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.config import Settings
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import Conflict, DomainError, NotFound, PreconditionFailed
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.webhooks.models import (
    DELIVERED,
    PENDING,
    PING,
    WebhookDelivery,
    WebhookSubscription,
)

ENTITY = "webhook"
FIELDS = ("url", "description", "event_types", "enabled")
PATTERN = re.compile(r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$")
MAX_PATTERNS = 50


class InvalidWebhook(DomainError):
    status = 422

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(f"webhook.{code}", message, field)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def matches(pattern: str, event_type: str) -> bool:
    """'*', an exact type ('ticket.sla_breached') or a prefix ('deal.*': deal.won, ...)."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


def check_patterns(patterns: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(p.strip() for p in patterns))
    if not cleaned:
        raise InvalidWebhook("no_event_types", "Give at least one event type or pattern",
                             "event_types")
    if len(cleaned) > MAX_PATTERNS:
        raise InvalidWebhook("too_many_event_types", f"At most {MAX_PATTERNS} event types",
                             "event_types")
    for p in cleaned:
        if len(p) > 80 or not PATTERN.match(p):
            raise InvalidWebhook("bad_event_type", f"'{p[:80]}' is not an event type such as "
                                 "'deal.won', a prefix such as 'deal.*', or '*'", "event_types")
    return cleaned


def private_allowed(settings: Settings) -> bool:
    return settings.webhook_allow_private or settings.environment != "production"


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def refused_target(host: str, port: int) -> str | None:
    """Why a host may not be called when private targets are refused (None: it may)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return f"the host '{host}' cannot be resolved"
    for info in infos:
        address = str(info[4][0])
        if _is_private(address):
            return f"'{host}' resolves to a private or loopback address ({address})"
    return None


def check_url(url: str, settings: Settings) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidWebhook("bad_scheme", "The URL must start with http:// or https://", "url")
    if not parts.hostname:
        raise InvalidWebhook("bad_url", "The URL has no host", "url")
    if parts.username or parts.password:
        raise InvalidWebhook("bad_url", "Put no user name or password in the URL", "url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise InvalidWebhook("bad_url", "The URL's port is not a number from 1 to 65535",
                             "url") from exc
    if not private_allowed(settings):
        reason = refused_target(parts.hostname, port)
        if reason:
            raise InvalidWebhook("private_target", f"Refused: {reason}", "url")
    return url


def _snapshot(sub: WebhookSubscription) -> dict[str, Any]:
    return {k: getattr(sub, k) for k in FIELDS}


def create_subscription(db: Session, *, url: str, event_types: list[str], description: str,
                        enabled: bool, settings: Settings, actor: User) -> WebhookSubscription:
    """A new subscription with a fresh secret (the caller shows it once)."""
    sub = WebhookSubscription(id=uuid.uuid4(), url=check_url(url, settings),
                              event_types=check_patterns(event_types),
                              description=description, enabled=enabled, secret=new_secret(),
                              consecutive_failures=0, next_seq=0)
    db.add(sub)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type=ENTITY, entity_id=sub.id,
                 changes=audit.diff({}, _snapshot(sub)))
    return sub


def update_subscription(db: Session, *, sub: WebhookSubscription, values: dict[str, Any],
                        settings: Settings, actor: User,
                        expected_version: int | None = None) -> tuple[WebhookSubscription, bool]:
    """Change fields; returns (subscription, re-enabled). Enabling a disabled subscription
    clears its failure count and reason: its pending deliveries go out again, in order."""
    if expected_version is not None and expected_version != sub.version:
        raise PreconditionFailed()
    if "url" in values:
        values["url"] = check_url(values["url"], settings)
    if "event_types" in values:
        values["event_types"] = check_patterns(values["event_types"])
    before = _snapshot(sub)
    reenabled = bool(values.get("enabled")) and not sub.enabled
    for key, value in values.items():
        setattr(sub, key, value)
    if reenabled:
        sub.disabled_reason, sub.disabled_at = None, None
        sub.consecutive_failures, sub.failing_since = 0, None
    changes = audit.diff(before, _snapshot(sub))
    if changes:
        sub.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type=ENTITY,
                     entity_id=sub.id, changes=changes)
    return sub, reenabled


def rotate_secret(db: Session, *, sub: WebhookSubscription, actor: User) -> WebhookSubscription:
    """A new secret, in force for the next request; the old one stops working at once."""
    sub.secret = new_secret()
    sub.updated_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="rotate_secret", entity_type=ENTITY,
                 entity_id=sub.id, changes={"secret": ["***", "***"]})
    return sub


def delete_subscription(db: Session, *, sub: WebhookSubscription, actor: User) -> None:
    """Stops all deliveries at once; the delivery log is kept with the (deleted) row."""
    sub.deleted_at = now()
    sub.enabled = False
    db.flush()
    audit.record(db, actor_id=actor.id, action="delete", entity_type=ENTITY, entity_id=sub.id)


def live_subscription(db: Session, sub_id: uuid.UUID) -> WebhookSubscription:
    sub = db.get(WebhookSubscription, sub_id)
    if sub is None or sub.deleted_at is not None:
        raise NotFound("webhook")
    return sub


def list_subscriptions(db: Session) -> list[WebhookSubscription]:
    return list(db.scalars(select(WebhookSubscription)
                           .where(WebhookSubscription.deleted_at.is_(None))
                           .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
                           .limit(500)))


_NEWEST = Sort("created_at", WebhookDelivery.created_at, descending=True)


def list_deliveries(db: Session, *, sub: WebhookSubscription, status: str | None,
                    cursor: str | None, limit: int) -> Page[WebhookDelivery]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    rows = list(db.scalars(keyset(stmt, _NEWEST, WebhookDelivery.id, cursor, limit)))
    return page_of(rows, _NEWEST, limit, key=lambda d: d.created_at)


def live_delivery(db: Session, delivery_id: uuid.UUID) -> WebhookDelivery:
    d = db.get(WebhookDelivery, delivery_id)
    if d is None or live_subscription_or_none(db, d.subscription_id) is None:
        raise NotFound("webhook_delivery")
    return d


def live_subscription_or_none(db: Session, sub_id: uuid.UUID) -> WebhookSubscription | None:
    sub = db.get(WebhookSubscription, sub_id)
    return None if sub is None or sub.deleted_at is not None else sub


def redeliver(db: Session, *, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """Send a delivery again, with the same id (receivers that keep ids will skip it), as
    soon as the deliveries before it have gone out. A ping cannot be redelivered."""
    if delivery.kind == PING:
        raise Conflict("webhook.ping_redeliver", "A test ping is not redelivered; send a new one")
    if delivery.status == DELIVERED:
        delivery.status = PENDING
    delivery.next_attempt_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="redeliver", entity_type=ENTITY,
                 entity_id=delivery.subscription_id,
                 changes={"delivery_id": [None, str(delivery.id)]})
    return delivery
