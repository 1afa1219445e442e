"""/audit: the whole audit log for administrators, with the API's filters; a list that reads on
a phone. Read only: no route edits or deletes an entry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from amity.api.deps import AppSettings, DbSession
from amity.api.v1.audit import require_audit_reader
from amity.auth.models import User
from amity.core import audit
from amity.core.errors import ValidationFailed
from amity.web.auth import WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)


def _uuid(value: str, field: str) -> uuid.UUID | None:
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError as exc:
        raise ValidationFailed("uuid.invalid", f"{field} must be an id", field) from exc


def _time(value: str, field: str) -> datetime | None:
    """A date or time from the form; a time without zone is read as UTC."""
    if not value.strip():
        return None
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationFailed("datetime.invalid", f"{field} must be a date", field) from exc
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@router.get("/audit")
def audit_page(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
               actor_id: Annotated[str, Query(max_length=64)] = "",
               entity_type: Annotated[str, Query(max_length=40)] = "",
               entity_id: Annotated[str, Query(max_length=64)] = "",
               action: Annotated[str, Query(max_length=40)] = "",
               at_from: Annotated[str, Query(max_length=40)] = "",
               at_to: Annotated[str, Query(max_length=40)] = "",
               cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    require_audit_reader(user)
    form = {"actor_id": actor_id, "entity_type": entity_type, "entity_id": entity_id,
            "action": action, "at_from": at_from, "at_to": at_to}
    filters = audit.AuditFilters(
        actor_id=_uuid(actor_id, "actor_id"), entity_type=entity_type.strip() or None,
        entity_id=_uuid(entity_id, "entity_id"), action=action.strip() or None,
        at_from=_time(at_from, "at_from"), at_to=_time(at_to, "at_to"))
    page = audit.list_entries(db, filters=filters, cursor=cursor,
                              limit=settings.page_size_default)
    actors = {e.actor_id for e in page.items if e.actor_id}
    people = ({u.id: u for u in db.scalars(select(User).where(User.id.in_(actors)))}
              if actors else {})
    more = None
    if page.next_cursor:
        more = "/audit?" + urlencode({**{k: v for k, v in form.items() if v},
                                      "cursor": page.next_cursor})
    return render(request, "audit/list.html", {"entries": page.items, "people": people,
                                               "form": form, "more": more})
