"""Web events from websites (``POST /events``, authenticated by the site's public key, CORS for
the site's origins, rate-limited per key) and the sites themselves (``/sites``)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from amity.activities import webevents
from amity.activities.outreach_models import WebSite
from amity.activities.outreach_schemas import (
    IngestResult,
    SiteCreate,
    SiteRead,
    SiteUpdate,
    WebEventBatch,
    as_batch,
)
from amity.api.deps import (
    AppSettings,
    CurrentUser,
    DbSession,
    IdempotencyKey,
    IfMatch,
    etag,
    parse_if_match,
)
from amity.api.errors import PROBLEM_RESPONSES, problem
from amity.api.idempotency import idempotent
from amity.auth.access import Permission, require
from amity.core.errors import DomainError

router = APIRouter(tags=["web events"])
MAX_BODY = 256 * 1024
CORS_HEADERS = {"Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type, X-Amity-Key",
                "Access-Control-Max-Age": "600", "Vary": "Origin"}


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.rpartition("/")[2]], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


_SCHEMA = WebEventBatch.model_json_schema()
_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": _inline(_SCHEMA, _SCHEMA.get("$defs", {}))}}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {**PROBLEM_RESPONSES[422], "description": "The body is over 256 KB"},
    429: {**PROBLEM_RESPONSES[422], "description": "Over the key's events per minute "
                                                   "(Retry-After says when to retry)"}}


class BadPayload(DomainError):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__("events.malformed", message)


class PayloadTooLarge(DomainError):
    status = 413

    def __init__(self) -> None:
        super().__init__("events.too_large", f"The body is over {MAX_BODY} bytes; send at most "
                                             "100 events per request")


async def _body(request: Request) -> bytes:
    """The request body, refused (413) past MAX_BODY without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


RawBody = Annotated[bytes, Depends(_body)]


def _parse(raw: bytes) -> WebEventBatch:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPayload("The body is not valid JSON") from exc
    try:
        return WebEventBatch.model_validate(as_batch(data))
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc
        raise BadPayload(str(exc)) from exc


@router.options("/events", include_in_schema=False)
def events_preflight(origin: Annotated[str | None, Header()] = None) -> Response:
    """Preflight: answered for any origin; the POST itself checks the site's origins."""
    headers = dict(CORS_HEADERS)
    if origin:
        headers["Access-Control-Allow-Origin"] = origin
    return Response(status_code=204, headers=headers)


@router.post("/events", response_model=IngestResult, status_code=202, openapi_extra=_BODY,
             responses=_ERRORS,
             summary="Record web events (one, or a batch of up to 100)",
             description="Authenticated by the site's public key (X-Amity-Key header or "
                         "'key' in the body), not by a user. Body: one event, or "
                         "{\"events\": [...]}. 401 for a bad key, 403 for an origin the site "
                         "does not allow, 413 over 256 KB, 429 over the key's rate.")
def ingest_events(raw: RawBody, db: DbSession, settings: AppSettings,
                  x_amity_key: Annotated[str | None, Header(max_length=64)] = None,
                  origin: Annotated[str | None, Header()] = None) -> JSONResponse:
    batch = _parse(raw)
    site = webevents.site_for_key(db, x_amity_key or batch.key, origin)
    try:
        webevents.take_rate(db, site=site, n=len(batch.events))
    except webevents.RateLimited as exc:
        db.rollback()  # a refused request does not count
        return problem(429, exc.code, exc.message,
                       headers={"Retry-After": str(exc.retry_after), "Vary": "Origin"})
    linked = webevents.ingest(db, site=site, events=batch.events, secret=settings.secret_key)
    headers = {"Vary": "Origin"}
    if origin:
        headers["Access-Control-Allow-Origin"] = origin
    return JSONResponse({"accepted": len(batch.events), "linked": linked}, status_code=202,
                        headers=headers)


@router.get("/sites", response_model=list[SiteRead], summary="Sites that send web events")
def list_sites(db: DbSession, user: CurrentUser) -> list[WebSite]:
    require(user, Permission.SETTINGS_VIEW)
    return webevents.list_sites(db)


@router.post("/sites", status_code=201, response_model=SiteRead)
def create_site(body: SiteCreate, db: DbSession, user: CurrentUser,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    return idempotent(db, user, idempotency_key, "/sites", body,
                      lambda: webevents.create_site(db, values=body.model_dump(), actor=user),
                      SiteRead)


@router.get("/sites/{site_id}", response_model=SiteRead)
def get_site(site_id: uuid.UUID, response: Response, db: DbSession,
             user: CurrentUser) -> WebSite:
    require(user, Permission.SETTINGS_VIEW)
    site = webevents.live_site(db, site_id)
    response.headers["ETag"] = etag(site.version)
    return site


@router.patch("/sites/{site_id}", response_model=SiteRead)
def update_site(site_id: uuid.UUID, body: SiteUpdate, response: Response, db: DbSession,
                user: CurrentUser, if_match: IfMatch = None) -> WebSite:
    require(user, Permission.SETTINGS_MANAGE)
    site = webevents.live_site(db, site_id)
    version = body.version if body.version is not None else parse_if_match(if_match)
    values = {k: v for k, v in body.model_dump(exclude_unset=True, exclude={"version"}).items()
              if v is not None}
    site = webevents.update_site(db, site=site, values=values, actor=user,
                                 expected_version=version)
    response.headers["ETag"] = etag(site.version)
    return site


@router.delete("/sites/{site_id}", status_code=204)
def delete_site(site_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    webevents.delete_site(db, site=webevents.live_site(db, site_id), actor=user)
    return Response(status_code=204)
