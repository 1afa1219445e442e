"""Data quality in the browser: the dashboard (``/data-quality``: the contacts' audit, the
worst records, the stewards; reports.view, stewards changed with settings.edit) and the
quality panel on the contact page (``/contacts/{id}/quality-panel``, loaded by HTMX: whoever
may see the contact). The same queries and services as the API do the work."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import Select

from amity.api.deps import DbSession
from amity.auth.access import Permission, access_record, require, scope_for, scoped
from amity.auth.models import User
from amity.automation.service import builder_choices
from amity.contacts.models import Contact
from amity.core.errors import DomainError
from amity.dataquality import queries, service
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render, templates

router = APIRouter(route_class=WebRoute)


def can_view_data_quality(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.REPORTS_VIEW) != "none"


templates.env.globals["can_view_data_quality"] = can_view_data_quality
CHECK_LABELS = {"email": "an email address", "phone": "a phone number", "owner": "an owner",
                "company": "a company", "job_title": "a job title",
                "fresh": "activity in the last 180 days",
                "valid": "valid values (email, phone, birthday)"}


def _dashboard(request: Request, db: DbSession, user: User, stale_days: int,
               segment_tag: str | None, error: str | None = None,
               status: int = 200) -> Response:
    def visible(stmt: Select[Any]) -> Select[Any]:
        return scoped(db, stmt, user, Contact, Permission.CONTACTS_VIEW)

    may_view_stewards = scope_for(user, Permission.SETTINGS_VIEW) != "none"
    return render(request, "dataquality/index.html", {
        "report": queries.contact_report(db, visible=visible, stale_days=stale_days,
                                         segment_tag=segment_tag),
        "worst": queries.worst_contacts(db, visible=visible, stale_days=stale_days,
                                        segment_tag=segment_tag, limit=10),
        "stewards": service.list_stewards(db) if may_view_stewards else [],
        "users": builder_choices(db).users if may_view_stewards else [],
        "may_edit": scope_for(user, Permission.SETTINGS_MANAGE) != "none",
        "segment_tag": segment_tag or "", "error": error}, status_code=status)


@router.get("/data-quality")
def dashboard(request: Request, db: DbSession, user: WebUser,
              stale_days: Annotated[int, Query(ge=1, le=3650)] = queries.DEFAULT_STALE_DAYS,
              segment_tag: Annotated[str, Query(max_length=80)] = "") -> Response:
    require(user, Permission.REPORTS_VIEW)
    return _dashboard(request, db, user, stale_days, segment_tag.strip() or None)


@router.post("/data-quality/stewards", dependencies=[CsrfChecked])
def add_steward(request: Request, db: DbSession, user: WebUser,
                user_id: Annotated[str, Form()] = "",
                segment_tag: Annotated[str, Form(max_length=80)] = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    try:
        data = service.StewardIn.model_validate({"user_id": user_id,
                                                 "segment_tag": segment_tag or None})
        service.assign_steward(db, data=data, actor=user)
    except ValidationError:
        return _dashboard(request, db, user, queries.DEFAULT_STALE_DAYS, None,
                          "Pick a user", status=422)
    except DomainError as exc:
        db.rollback()
        return _dashboard(request, db, user, queries.DEFAULT_STALE_DAYS, None, exc.message,
                          status=exc.status)
    return RedirectResponse("/data-quality", status_code=303)


@router.post("/data-quality/stewards/{steward_id}/delete", dependencies=[CsrfChecked])
def delete_steward(steward_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    service.remove_steward(db, steward_id=steward_id, actor=user)
    return RedirectResponse("/data-quality", status_code=303)


@router.get("/contacts/{contact_id}/quality-panel")
def quality_panel(contact_id: uuid.UUID, request: Request, db: DbSession,
                  user: WebUser) -> Response:
    access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW, entity="contact")
    quality = queries.contact_quality(db, contact_id)
    return render(request, "dataquality/_panel.html",
                  {"quality": quality, "labels": CHECK_LABELS})
