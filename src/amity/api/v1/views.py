"""/views: saved list views (filters, sort, columns), private or shared with a team or everyone."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from amity import views
from amity.api.deps import (
    CurrentUser,
    DbSession,
    IdempotencyKey,
    IfMatch,
    etag,
    parse_if_match,
)
from amity.api.idempotency import idempotent
from amity.core.errors import PreconditionFailed
from amity.views import ViewCreate, ViewRead, ViewUpdate

router = APIRouter(prefix="/views", tags=["views"])


@router.get("", response_model=list[ViewRead])
def list_views(db: DbSession, user: CurrentUser,
               entity: Literal["contacts", "companies"] = "contacts") -> list[ViewRead]:
    """The caller's own views and those shared with everyone or one of their teams."""
    return [ViewRead.model_validate(v) for v in views.visible_views(db, user, entity)]


@router.post("", status_code=201, response_model=ViewRead)
def create_view(body: ViewCreate, db: DbSession, user: CurrentUser,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return idempotent(db, user, idempotency_key, "/views", body,
                      lambda: views.create_view(db, data=body, actor=user), ViewRead)


@router.get("/{view_id}", response_model=ViewRead)
def get_view(view_id: uuid.UUID, response: Response, db: DbSession,
             user: CurrentUser) -> ViewRead:
    v = views.access_view(db, user, view_id)
    response.headers["ETag"] = etag(v.version)
    return ViewRead.model_validate(v)


@router.patch("/{view_id}", response_model=ViewRead)
def update_view(view_id: uuid.UUID, body: ViewUpdate, response: Response, db: DbSession,
                user: CurrentUser, if_match: IfMatch = None) -> ViewRead:
    v = views.access_view(db, user, view_id, change=True)
    v = views.update_view(db, view=v, data=body, actor=user,
                          expected_version=parse_if_match(if_match))
    db.flush()
    response.headers["ETag"] = etag(v.version)
    return ViewRead.model_validate(v)


@router.delete("/{view_id}", status_code=204)
def delete_view(view_id: uuid.UUID, db: DbSession, user: CurrentUser,
                if_match: IfMatch = None) -> Response:
    v = views.access_view(db, user, view_id, change=True)
    expected = parse_if_match(if_match)
    if expected is not None and expected != v.version:
        raise PreconditionFailed()
    views.delete_view(db, view=v, actor=user)
    return Response(status_code=204)
