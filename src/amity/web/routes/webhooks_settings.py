"""Settings > Webhooks: each subscription with its health, its delivery log, a test ping,
re-enabling a disabled subscription and redelivering one delivery. Administrators only
(``settings.edit`` in scope ``all``), like the API; the work is done by the same services."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from amity.api.deps import AppSettings, DbSession
from amity.auth.access import Permission, scope_for
from amity.auth.models import User
from amity.core.errors import Forbidden
from amity.jobs.webhooks import kick_sender
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render, templates
from amity.webhooks import delivery, service

router = APIRouter(prefix="/settings/webhooks", route_class=WebRoute)


def can_manage_webhooks(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.SETTINGS_MANAGE) == "all"


templates.env.globals["can_manage_webhooks"] = can_manage_webhooks


def _require(user: User) -> None:
    if not can_manage_webhooks(user):
        raise Forbidden("Managing webhooks needs 'settings.edit' over all records")


@router.get("")
def webhooks_page(request: Request, db: DbSession, user: WebUser) -> Response:
    _require(user)
    return render(request, "settings/webhooks.html",
                  {"tab": "webhooks", "subs": service.list_subscriptions(db)})


@router.get("/{webhook_id}")
def webhook_page(webhook_id: uuid.UUID, request: Request, db: DbSession,
                 user: WebUser, cursor: str | None = None) -> Response:
    _require(user)
    sub = service.live_subscription(db, webhook_id)
    page = service.list_deliveries(db, sub=sub, status=None, cursor=cursor, limit=50)
    return render(request, "settings/webhook.html",
                  {"tab": "webhooks", "sub": sub, "deliveries": page.items,
                   "next_cursor": page.next_cursor})


@router.post("/{webhook_id}/test", dependencies=[CsrfChecked])
def send_ping(webhook_id: uuid.UUID, db: DbSession, user: WebUser,
              settings: AppSettings) -> Response:
    _require(user)
    delivery.ping(db, sub=service.live_subscription(db, webhook_id), settings=settings,
                  actor=user)
    return RedirectResponse(f"/settings/webhooks/{webhook_id}", status_code=303)


@router.post("/{webhook_id}/enable", dependencies=[CsrfChecked])
def enable(webhook_id: uuid.UUID, db: DbSession, user: WebUser,
           settings: AppSettings) -> Response:
    _require(user)
    sub, reenabled = service.update_subscription(
        db, sub=service.live_subscription(db, webhook_id), values={"enabled": True},
        settings=settings, actor=user)
    if reenabled:
        kick_sender(db, sub.id, f"enabled:{sub.version}")
    return RedirectResponse(f"/settings/webhooks/{webhook_id}", status_code=303)


@router.post("/deliveries/{delivery_id}/redeliver", dependencies=[CsrfChecked])
def redeliver(delivery_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    _require(user)
    d = service.redeliver(db, delivery=service.live_delivery(db, delivery_id), actor=user)
    kick_sender(db, d.subscription_id, f"redeliver:{d.id}:{d.attempts}:{uuid.uuid4().hex[:8]}")
    return RedirectResponse(f"/settings/webhooks/{d.subscription_id}", status_code=303)
