"""Bulk actions on the contact list: review what will change (and what may not), then apply;
and exports of the ticked rows, of every contact matching the list's filters, or (GET
/contacts/export) of the list as it is shown. Exports hold only what the user may export."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.api.deps import AppSettings, DbSession
from amity.auth.access import Permission, scoped
from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core.errors import DomainError, ValidationFailed
from amity.views import bulk
from amity.views.schemas import ViewParams
from amity.web import flash
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.exporting import export_response
from amity.web.routes.contact_list import (
    _params,
    filters_of,
    matching,
    params_from_query,
    query_string,
)
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)

TITLES = {"tag": "Add the tag “{tag}”", "owner": "Make {owner} the owner",
          "delete": "Delete contacts"}
BUTTONS = {"tag": "Add the tag", "owner": "Assign the owner", "delete": "Delete them"}
Ids = Annotated[list[uuid.UUID], Form(max_length=bulk.MAX_BULK + 1)]
Field = Annotated[str, Form(max_length=4000)]
Text = Annotated[str, Query(max_length=200)]
Many = Annotated[list[str], Query(max_length=20)]
EXPORT_FORMATS = ("csv", "xlsx", "vcard")


def _format(value: str) -> str:
    if value in EXPORT_FORMATS:
        return value
    raise ValidationFailed("export.format", "Choose CSV, Excel or vCard", "format")


def _action(value: str) -> bulk.Action | Literal["export"]:
    if value == "export":
        return "export"
    if value == "tag":
        return "tag"
    if value == "owner":
        return "owner"
    if value == "delete":
        return "delete"
    raise ValidationFailed("bulk.action", "Choose an action", "action")


def _owner(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value.strip() else None
    except ValueError as exc:
        raise ValidationFailed("bulk.owner", "Choose an owner from the list", "owner_id") from exc


def _list_filters(db: Session, user: User, p: ViewParams) -> dict[str, Any]:
    """The export filters (stored as JSON by a queued export) of the list as shown: its
    filters, or for a text search the contacts the search finds."""
    if p.q.strip():
        found, _ = matching(db, user, p, cursor=None, limit=bulk.MAX_BULK)
        return {"ids": [str(c.id) for c in found], "deleted": "exclude"}
    f = filters_of(p)
    out: dict[str, Any] = {"lifecycle_stage": f.lifecycle_stage, "tags": f.tags,
                           "deleted": "exclude"}
    for key in ("owner_id", "company_id"):
        if getattr(f, key):
            out[key] = str(getattr(f, key))
    for key in ("created_after", "created_before"):
        if getattr(f, key):
            out[key] = getattr(f, key).isoformat()
    return out


def _selection(db: Session, user: User, ids: list[uuid.UUID], all_matching: bool,
               query: str) -> list[Contact]:
    """The ticked contacts the user can see, or every contact matching the list's filters."""
    if all_matching:
        items, _ = matching(db, user, params_from_query(query), cursor=None,
                            limit=bulk.MAX_BULK + 1)
        return items
    if not ids:
        raise ValidationFailed("bulk.empty", "Tick the contacts to change, or choose all "
                               "matching contacts", "ids")
    return list(db.scalars(scoped(db, select(Contact), user, Contact, Permission.CONTACTS_VIEW)
                           .where(Contact.id.in_(ids), Contact.deleted_at.is_(None))
                           .order_by(Contact.sort_name, Contact.id)))


@router.get("/contacts/export")
def export_list(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                format: Text = "csv", q: Text = "", stage: Many = [],  # noqa: B006
                owner: Text = "", tag: Text = "", company: Text = "",
                created_from: Text = "", created_to: Text = "") -> Response:
    """The contact list as shown (its search and filters) as a file."""
    p = _params(q, stage, owner, tag, company, created_from, created_to, "", [])
    return export_response(request, db, user, settings, entity="contacts",
                           fmt=_format(format), filters=_list_filters(db, user, p))


@router.post("/contacts/bulk", dependencies=[CsrfChecked])
def review(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
           action: Field = "", tag: Field = "", owner_id: Field = "", query: Field = "",
           all_matching: Field = "", format: Field = "csv",
           ids: Ids = []) -> Response:  # noqa: B006
    kind = _action(action)
    if kind == "export":
        if all_matching == "1":
            filters = _list_filters(db, user, params_from_query(query))
        elif ids:
            filters = {"ids": [str(i) for i in ids], "deleted": "exclude"}
        else:
            raise ValidationFailed("bulk.empty", "Tick the contacts to export, or choose all "
                                   "matching contacts", "ids")
        return export_response(request, db, user, settings, entity="contacts",
                               fmt=_format(format), filters=filters)
    owner = _owner(owner_id)
    if kind == "tag" and not tag.strip():
        raise ValidationFailed("bulk.tag_required", "Give the tag to add", "tag")
    plan = bulk.plan(db, actor=user, action=kind,
                     contacts_=_selection(db, user, ids, all_matching == "1", query))
    chosen = db.get(User, owner) if owner else None
    owner_name = chosen.name if chosen else "nobody"
    return render(request, "contacts/bulk_confirm.html", {
        "plan": plan, "query": query, "tag": tag.strip(), "owner_id": owner_id,
        "title": TITLES[kind].format(tag=tag.strip(), owner=owner_name),
        "button": BUTTONS[kind]})


@router.post("/contacts/bulk/apply", dependencies=[CsrfChecked])
def apply(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
          action: Field = "", tag: Field = "", owner_id: Field = "", query: Field = "",
          ids: Ids = []) -> Response:  # noqa: B006
    kind = _action(action)
    if kind == "export":
        raise ValidationFailed("bulk.action", "Exports are not applied: choose Export and "
                               "press the button on the list", "action")
    plan = bulk.plan(db, actor=user, action=kind,
                     contacts_=_selection(db, user, ids, False, query))
    back = RedirectResponse("/contacts?" + query_string(params_from_query(query)),
                            status_code=303)
    try:
        result = bulk.apply(db, actor=user, plan_=plan, tag=tag, owner_id=_owner(owner_id),
                            region=settings.default_region)
    except (ValidationError, DomainError) as exc:
        db.rollback()  # all or nothing: a refused tag or owner leaves every contact as it was
        message = exc.message if isinstance(exc, DomainError) else exc.errors()[0]["msg"]
        return flash.flash(request, back, f"Nothing was changed: {message}", "error")
    done = {"tag": "Tagged", "owner": "Assigned", "delete": "Deleted"}[kind]
    message = f"{done} {result.changed} contact{'' if result.changed == 1 else 's'}."
    if result.unchanged:
        message += f" {result.unchanged} already had it."
    if result.refused:
        message += (f" {len(result.refused)} you may not change "
                    f"{'was' if len(result.refused) == 1 else 'were'} left as "
                    f"{'it was' if len(result.refused) == 1 else 'they were'}: "
                    + ", ".join(result.refused[:5]) + ("…" if len(result.refused) > 5 else ""))
    return flash.flash(request, back, message, "ok")
