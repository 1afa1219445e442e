"""Notifications: the bell in the top bar (its unread count is one indexed COUNT, loaded after
the page so no other page pays for it), /notifications with mark-read and mark-all-read."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from amity.activities import reminders
from amity.activities.models import Notification
from amity.api.deps import AppSettings, DbSession
from amity.core.errors import NotFound
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import is_htmx, render, templates

router = APIRouter(route_class=WebRoute)
LINKS = {"task": "/tasks/{}", "contact": "/contacts/{}", "deal": "/deals/{}"}


def _link(entity_type: str | None, entity_id: uuid.UUID | None) -> str | None:
    pattern = LINKS.get(entity_type or "")
    return pattern.format(entity_id) if pattern and entity_id else None


templates.env.globals["notification_link"] = _link


@router.get("/notifications/bell")
def bell(request: Request, db: DbSession, user: WebUser) -> Response:
    unread = db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0
    return render(request, "notifications/_bell.html", {"unread": unread, "loaded": True})


@router.get("/notifications")
def notification_list(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                      show: Annotated[str, Query(max_length=10)] = "all",
                      cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    page = reminders.list_notifications(db, user, unread=True if show == "unread" else None,
                                        cursor=cursor, limit=settings.page_size_default)
    more = (f"/notifications?{urlencode({'show': show, 'cursor': page.next_cursor})}"
            if page.next_cursor else None)
    ctx = {"items": page.items, "more_url": more, "show": show, "more": cursor is not None}
    return render(request, "notifications/_rows.html" if is_htmx(request) and cursor
                  else "notifications/index.html", ctx)


@router.post("/notifications/{notification_id}/read", dependencies=[CsrfChecked])
def mark_one_read(request: Request, notification_id: uuid.UUID, db: DbSession,
                  user: WebUser) -> Response:
    """Only the user's own notification is marked (another's id changes nothing: 404)."""
    n = db.get(Notification, notification_id)
    if n is None or n.user_id != user.id:
        raise NotFound("notification", "There is no such notification.")
    reminders.mark_read(db, user, ids=[n.id], everything=False)
    db.refresh(n)
    if not is_htmx(request):
        return RedirectResponse("/notifications", status_code=303)
    return render(request, "notifications/_item.html", {"n": n},
                  headers={"HX-Trigger": "notifications-changed"})


@router.post("/notifications/read-all", dependencies=[CsrfChecked])
def mark_all_read(db: DbSession, user: WebUser) -> Response:
    reminders.mark_read(db, user, ids=None, everything=True)
    return RedirectResponse("/notifications", status_code=303)
