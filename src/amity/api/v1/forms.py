"""/forms: web-to-lead forms (settings) and what was submitted through them. The public side,
the hosted page and its POST, is ``/f/{key}`` (web/routes/forms.py)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from amity.activities import forms
from amity.activities.forms_models import Form
from amity.activities.forms_schemas import FormCreate, FormRead, FormUpdate, SubmissionRead
from amity.api.deps import (
    CurrentUser,
    Cursor,
    DbSession,
    IdempotencyKey,
    IfMatch,
    Limit,
    etag,
    parse_if_match,
)
from amity.api.idempotency import idempotent
from amity.auth.access import Permission, require
from amity.core.schemas import PageOut

router = APIRouter(tags=["forms"])


@router.get("/forms", response_model=list[FormRead], summary="Web-to-lead forms")
def list_forms(db: DbSession, user: CurrentUser) -> list[Form]:
    require(user, Permission.SETTINGS_VIEW)
    return forms.list_forms(db)


@router.post("/forms", status_code=201, response_model=FormRead,
             summary="Create a form (its hosted page is /f/{public_key})")
def create_form(body: FormCreate, db: DbSession, user: CurrentUser,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    return idempotent(db, user, idempotency_key, "/forms", body,
                      lambda: forms.create_form(db, values=_values(body), actor=user),
                      FormRead)


def _values(body: FormCreate | FormUpdate) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True, exclude={"version"})
    for key in ("fields", "consents"):  # stored whole, defaults included
        items = getattr(body, key)
        if key in data and items is not None:
            data[key] = [item.model_dump() for item in items]
    return data


@router.get("/forms/{form_id}", response_model=FormRead)
def get_form(form_id: uuid.UUID, response: Response, db: DbSession,
             user: CurrentUser) -> Form:
    require(user, Permission.SETTINGS_VIEW)
    form = forms.live_form(db, form_id)
    response.headers["ETag"] = etag(form.version)
    return form


@router.patch("/forms/{form_id}", response_model=FormRead,
              summary="Change a form (fields and consents are replaced whole when sent)")
def update_form(form_id: uuid.UUID, body: FormUpdate, response: Response, db: DbSession,
                user: CurrentUser, if_match: IfMatch = None) -> Form:
    require(user, Permission.SETTINGS_MANAGE)
    form = forms.live_form(db, form_id)
    version = body.version if body.version is not None else parse_if_match(if_match)
    form = forms.update_form(db, form=form, values=_values(body), actor=user,
                             expected_version=version)
    response.headers["ETag"] = etag(form.version)
    return form


@router.delete("/forms/{form_id}", status_code=204)
def delete_form(form_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    forms.delete_form(db, form=forms.live_form(db, form_id), actor=user)
    return Response(status_code=204)


@router.get("/forms/{form_id}/submissions", response_model=PageOut[SubmissionRead],
            summary="A form's submissions, newest first (raw answers, conflicts, contact)")
def list_submissions(form_id: uuid.UUID, db: DbSession, user: CurrentUser,
                     cursor: Cursor = None, limit: Limit = None) -> PageOut[SubmissionRead]:
    require(user, Permission.SETTINGS_VIEW)
    page = forms.list_submissions(db, form=forms.live_form(db, form_id), cursor=cursor,
                                  limit=limit or 50)
    return PageOut[SubmissionRead](
        items=[SubmissionRead.model_validate(s) for s in page.items],
        next_cursor=page.next_cursor)
