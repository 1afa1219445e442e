"""/calendar: the signed-in user's secret feed URL and importing invitations (.ics); and the
feed itself, ``GET /calendar/{token}.ics``, outside /api/v1 (calendar apps send no bearer
token: the secret URL is the credential; an unknown token is a 404)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from amity.activities import calendar
from amity.activities.schemas import (
    CalendarFeedCreated,
    CalendarFeedRead,
    CalendarImport,
    CalendarImported,
)
from amity.activities.visibility import may_write_something
from amity.api.deps import AppSettings, CurrentUser, DbSession
from amity.api.errors import PROBLEM_RESPONSES
from amity.auth.access import Permission, scoped
from amity.contacts.models import Contact
from amity.core.errors import DomainError, Forbidden, NotFound, ValidationFailed

router = APIRouter(prefix="/calendar", tags=["calendar"])
feed_router = APIRouter(tags=["calendar"])
MAX_ICS_BYTES = 1_000_000


class PayloadTooLarge(DomainError):
    status = 413


@router.get("/feed", response_model=CalendarFeedRead, summary="Whether you have a feed URL")
def get_feed(db: DbSession, user: CurrentUser) -> CalendarFeedRead:
    feed = calendar.feed_of(db, user=user)
    return CalendarFeedRead(exists=feed is not None,
                            created_at=feed.created_at if feed else None)


@router.post("/feed", status_code=201, response_model=CalendarFeedCreated,
             summary="A new secret feed URL (the previous one stops working)")
def create_feed(db: DbSession, user: CurrentUser, settings: AppSettings) -> CalendarFeedCreated:
    feed, token = calendar.create_feed(db, user=user)
    url = f"{settings.base_url.rstrip('/')}/calendar/{token}.ics"
    return CalendarFeedCreated(url=url, token=token, created_at=feed.created_at)


@router.delete("/feed", status_code=204, summary="Turn your feed URL off")
def delete_feed(db: DbSession, user: CurrentUser) -> Response:
    calendar.delete_feed(db, user=user)
    return Response(status_code=204)


_IMPORT_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": CalendarImport.model_json_schema()},
    "text/calendar": {"schema": {"type": "string", "maxLength": MAX_ICS_BYTES}}}}}


async def _ics_body(request: Request) -> str:
    """The invitation's text, read with a size limit (raw text/calendar, or JSON {"ics"})."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_ICS_BYTES:
            raise PayloadTooLarge("ics.too_large", f"An invitation is at most {MAX_ICS_BYTES} "
                                  "bytes", "ics")
    return _ics_text(raw, request.headers.get("content-type", ""))


@router.post("/import", status_code=201, response_model=CalendarImported,
             openapi_extra=_IMPORT_BODY,
             summary="Create meetings from an invitation (.ics): raw text/calendar or JSON",
             responses={200: {"model": CalendarImported,
                              "description": "Every event was imported before"},
                        413: {**PROBLEM_RESPONSES[422], "description": "Larger than 1 MB"}})
def import_invitation(db: DbSession, user: CurrentUser,
                      text: Annotated[str, Depends(_ics_body)]) -> JSONResponse:
    if not may_write_something(user):
        raise Forbidden("Read-only users cannot import meetings")
    created, existing = calendar.import_ics(
        db, text=text, actor=user,
        visible_contacts=lambda stmt: scoped(db, stmt, user, Contact, Permission.CONTACTS_VIEW))
    out = CalendarImported(created=[i.id for i in created], existing=[i.id for i in existing])
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if created else 200)


def _ics_text(raw: bytes, content_type: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("ics.encoding", "The invitation must be UTF-8", "ics") from exc
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            return CalendarImport.model_validate(json.loads(text)).ics
        except (ValueError, ValidationError) as exc:
            raise ValidationFailed("ics.invalid", "Send {\"ics\": \"BEGIN:VCALENDAR...\"} or "
                                   "the .ics text as text/calendar", "ics") from exc
    if not text.strip():
        raise ValidationFailed("ics.invalid", "The invitation is empty", "ics")
    return text


@feed_router.get("/calendar/{token}.ics", include_in_schema=False)
def calendar_feed(token: str, db: DbSession) -> Response:
    user = calendar.user_for_feed(db, token)
    if user is None:
        raise NotFound("calendar", "No calendar at this address")
    return Response(calendar.feed_ics(db, user=user), media_type="text/calendar",
                    headers={"Cache-Control": "private, max-age=300"})
