"""/webhooks: outbound webhook subscriptions, their delivery log, test pings, redelivery.

Administrators only (``settings.edit`` in scope ``all``): a subscription receives events about
every record. The secret is returned on create and on rotate, never otherwise.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from amity.api.deps import (
    AppSettings,
    CurrentUser,
    Cursor,
    DbSession,
    IfMatch,
    Limit,
    etag,
    parse_if_match,
)
from amity.auth.access import Permission, scope_for
from amity.auth.models import User
from amity.core.errors import Forbidden
from amity.core.schemas import PageOut
from amity.jobs.webhooks import kick_sender
from amity.webhooks import delivery, service
from amity.webhooks.models import WebhookDelivery, WebhookSubscription
from amity.webhooks.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def require_webhook_admin(user: User) -> None:
    if scope_for(user, Permission.SETTINGS_MANAGE) != "all":
        raise Forbidden("Managing webhooks needs 'settings.edit' over all records")


@router.get("", response_model=list[WebhookRead], summary="Webhook subscriptions")
def list_webhooks(db: DbSession, user: CurrentUser) -> list[WebhookSubscription]:
    require_webhook_admin(user)
    return service.list_subscriptions(db)


@router.post("", status_code=201, response_model=WebhookWithSecret,
             summary="Subscribe a URL to events (the secret is shown only in this answer)")
def create_webhook(body: WebhookCreate, response: Response, db: DbSession, user: CurrentUser,
                   settings: AppSettings) -> WebhookSubscription:
    require_webhook_admin(user)
    sub = service.create_subscription(db, url=body.url, event_types=body.event_types,
                                      description=body.description, enabled=body.enabled,
                                      settings=settings, actor=user)
    response.headers["ETag"] = etag(sub.version)
    return sub


@router.get("/{webhook_id}", response_model=WebhookRead)
def get_webhook(webhook_id: uuid.UUID, response: Response, db: DbSession,
                user: CurrentUser) -> WebhookSubscription:
    require_webhook_admin(user)
    sub = service.live_subscription(db, webhook_id)
    response.headers["ETag"] = etag(sub.version)
    return sub


@router.patch("/{webhook_id}", response_model=WebhookRead,
              summary="Change a subscription; enabled=true re-enables a disabled one")
def update_webhook(webhook_id: uuid.UUID, body: WebhookUpdate, response: Response,
                   db: DbSession, user: CurrentUser, settings: AppSettings,
                   if_match: IfMatch = None) -> WebhookSubscription:
    require_webhook_admin(user)
    sub = service.live_subscription(db, webhook_id)
    version = body.version if body.version is not None else parse_if_match(if_match)
    values = {k: v for k, v in body.model_dump(exclude_unset=True, exclude={"version"}).items()
              if v is not None}
    sub, reenabled = service.update_subscription(db, sub=sub, values=values, settings=settings,
                                                 actor=user, expected_version=version)
    if reenabled:
        kick_sender(db, sub.id, f"enabled:{sub.version}")
    response.headers["ETag"] = etag(sub.version)
    return sub


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require_webhook_admin(user)
    service.delete_subscription(db, sub=service.live_subscription(db, webhook_id), actor=user)
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookWithSecret,
             summary="Replace the signing secret (the new one is shown only in this answer)")
def rotate_webhook_secret(webhook_id: uuid.UUID, db: DbSession,
                          user: CurrentUser) -> WebhookSubscription:
    require_webhook_admin(user)
    return service.rotate_secret(db, sub=service.live_subscription(db, webhook_id), actor=user)


@router.post("/{webhook_id}/test", response_model=DeliveryRead,
             summary="Send a signed webhook.ping now and return its outcome")
def test_webhook(webhook_id: uuid.UUID, db: DbSession, user: CurrentUser,
                 settings: AppSettings) -> WebhookDelivery:
    require_webhook_admin(user)
    sub = service.live_subscription(db, webhook_id)
    return delivery.ping(db, sub=sub, settings=settings, actor=user)


@router.get("/{webhook_id}/deliveries", response_model=PageOut[DeliveryRead],
            summary="The delivery log, newest first")
def list_webhook_deliveries(
        webhook_id: uuid.UUID, db: DbSession, user: CurrentUser, settings: AppSettings,
        status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
        cursor: Cursor = None, limit: Limit = None) -> dict[str, Any]:
    require_webhook_admin(user)
    sub = service.live_subscription(db, webhook_id)
    page = service.list_deliveries(db, sub=sub, status=status, cursor=cursor,
                                   limit=limit or settings.page_size_default)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/deliveries/{delivery_id}/redeliver", response_model=DeliveryRead,
             summary="Send a delivery again (same id), after the ones before it")
def redeliver_webhook_delivery(delivery_id: uuid.UUID, db: DbSession,
                               user: CurrentUser) -> WebhookDelivery:
    require_webhook_admin(user)
    d = service.redeliver(db, delivery=service.live_delivery(db, delivery_id), actor=user)
    kick_sender(db, d.subscription_id, f"redeliver:{d.id}:{d.attempts}:{uuid.uuid4().hex[:8]}")
    return d
