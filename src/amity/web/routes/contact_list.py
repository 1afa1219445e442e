"""The contact list: filters, sort, column choice, saved views and bulk actions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity import views
from amity.api.deps import AppSettings, DbSession
from amity.auth.access import Permission, scope_for, scoped
from amity.auth.models import Team, User
from amity.companies.models import Company
from amity.contacts import queries
from amity.contacts.models import LIFECYCLE_STAGES, Contact
from amity.core.errors import DomainError, ValidationFailed
from amity.views.schemas import CONTACT_COLUMNS, ViewParams
from amity.web import flash
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import is_htmx, render, templates

router = APIRouter(route_class=WebRoute)

COLUMN_LABELS = {"company": "Company", "stage": "Stage", "reach": "Email / phone",
                 "tags": "Tags", "owner": "Owner", "created": "Added"}
SORT_LABELS = {"name": "Name A to Z", "-name": "Name Z to A", "-created_at": "Newest",
               "created_at": "Oldest", "-updated_at": "Recently changed",
               "updated_at": "Least recently changed"}
Many = Annotated[list[str], Query(max_length=20)]
Text = Annotated[str, Query(max_length=200)]


def _params(q: str, stage: list[str], owner: str, tag: str, company: str, created_from: str,
            created_to: str, sort: str, cols: list[str]) -> ViewParams:
    """The list's query string as validated params (a 422 page names the bad field)."""
    raw: dict[str, Any] = {"q": q, "lifecycle_stage": [s for s in stage if s], "tag": tag,
                           "owner_id": owner or None, "company_id": company or None,
                           "created_from": created_from or None,
                           "created_to": created_to or None, "sort": sort or "name"}
    if cols:
        raw["columns"] = [c for c in cols if c]
    try:
        return ViewParams.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "filters"
        raise ValidationFailed("filter.invalid", f"{where}: {err['msg']}", where) from exc


def params_from_query(query: str) -> ViewParams:
    """Params from a list query string carried by a form (saving a view, a bulk action)."""
    raw = parse_qs(query)

    def one(key: str) -> str:
        return raw.get(key, [""])[0]

    return _params(one("q"), raw.get("stage", []), one("owner"), one("tag"), one("company"),
                   one("created_from"), one("created_to"), one("sort"), raw.get("cols", []))


def filters_of(p: ViewParams) -> queries.ContactFilters:
    def at(d: Any) -> datetime:
        return datetime.combine(d, time.min, tzinfo=UTC)

    return queries.ContactFilters(
        lifecycle_stage=list(p.lifecycle_stage), owner_id=p.owner_id,
        company_id=p.company_id, tags=[p.tag] if p.tag else [],
        created_after=at(p.created_from) if p.created_from else None,
        created_before=at(p.created_to) + timedelta(days=1) if p.created_to else None)


def query_string(p: ViewParams, **extra: str) -> str:
    """``p`` as the list's query string (what a saved view's link and Load more carry)."""
    pairs: list[tuple[str, str]] = []
    if p.q:
        pairs.append(("q", p.q))
    pairs += [("stage", s) for s in p.lifecycle_stage]
    for key, value in (("owner", p.owner_id), ("tag", p.tag), ("company", p.company_id),
                       ("created_from", p.created_from), ("created_to", p.created_to)):
        if value:
            pairs.append((key, str(value)))
    if p.sort != "name":
        pairs.append(("sort", p.sort))
    if list(p.columns) != list(ViewParams().columns):
        pairs += [("cols", c) for c in p.columns]
    pairs += [(k, v) for k, v in extra.items() if v]
    return urlencode(pairs)


def _view_query(params: dict[str, Any]) -> str:
    try:
        return query_string(ViewParams.model_validate(params))
    except ValidationError:  # a view saved before a filter was renamed: show it unfiltered
        return ""


templates.env.filters["view_query"] = _view_query


def _owners(db: Session) -> list[User]:
    return list(db.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))


def matching(db: Session, user: User, p: ViewParams, *, cursor: str | None,
             limit: int) -> tuple[list[Contact], str | None]:
    base = scoped(db, select(Contact), user, Contact, Permission.CONTACTS_VIEW)
    if p.q.strip():
        return queries.search_contacts(db, base, q=p.q, filters=filters_of(p), limit=limit), None
    page = queries.list_contacts(db, base, filters=filters_of(p), sort=p.sort, cursor=cursor,
                                 limit=limit)
    return page.items, page.next_cursor


@router.get("/contacts")
def contact_list(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                 q: Text = "", stage: Many = [], owner: Text = "",  # noqa: B006
                 tag: Text = "", company: Text = "", created_from: Text = "",
                 created_to: Text = "", sort: Text = "", cols: Many = [],  # noqa: B006
                 view: Text = "",
                 cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    p = _params(q, stage, owner, tag, company, created_from, created_to, sort, cols)
    items, next_cursor = matching(db, user, p, cursor=cursor, limit=settings.page_size_default)
    owners = _owners(db)
    company_name = None
    if p.company_id:
        company_name = db.scalar(scoped(db, select(Company.name), user, Company,
                                        Permission.COMPANIES_VIEW)
                                 .where(Company.id == p.company_id))
    qs = query_string(p)
    ctx = {"contacts": items, "next_cursor": next_cursor, "q": p.q, "p": p, "qs": qs,
           "searched": bool(p.q.strip()), "more": cursor is not None,
           "filtered": bool(qs and qs != query_string(ViewParams(columns=p.columns))),
           "owners": owners, "owner_names": {u.id: u.name for u in owners},
           "columns": list(p.columns), "column_labels": COLUMN_LABELS,
           "all_columns": CONTACT_COLUMNS, "sort_labels": SORT_LABELS,
           "stages": LIFECYCLE_STAGES, "company_name": company_name,
           "more_url": "/contacts?" + query_string(p, cursor=next_cursor or ""),
           # the list as shown: its search and every filter (sort and columns do not matter)
           "export_query": query_string(ViewParams(
               q=p.q, lifecycle_stage=p.lifecycle_stage, owner_id=p.owner_id, tag=p.tag,
               company_id=p.company_id, created_from=p.created_from,
               created_to=p.created_to)),
           "can_edit": scope_for(user, Permission.CONTACTS_EDIT) != "none",
           "can_bulk": scope_for(user, Permission.CONTACTS_EDIT) != "none"
           or scope_for(user, Permission.CONTACTS_EXPORT) != "none",
           "can_delete": scope_for(user, Permission.CONTACTS_DELETE) != "none"}
    if is_htmx(request):
        # the address bar shows the list's canonical query, not every empty form field
        push = {} if cursor else {"HX-Push-Url": "/contacts" + (f"?{qs}" if qs else "")}
        return render(request, "contacts/_rows.html", ctx, headers=push)
    ctx["views"] = views.visible_views(db, user, "contacts")
    ctx["current_view"] = view
    ctx["teams"] = list(db.scalars(select(Team).order_by(Team.name)))
    return render(request, "contacts/list.html", ctx)


@router.post("/contacts/views", dependencies=[CsrfChecked])
def save_view(request: Request, db: DbSession, user: WebUser,
              name: Annotated[str, Form(max_length=200)] = "",
              visibility: Annotated[str, Form(max_length=20)] = "private",
              team_id: Annotated[str, Form(max_length=40)] = "",
              query: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """Save the list as shown (its query string) under a name."""
    p = params_from_query(query)
    try:
        data = views.ViewCreate.model_validate(
            {"name": name, "visibility": visibility, "team_id": team_id or None,
             "params": p.model_dump(mode="json")})
        saved = views.create_view(db, data=data, actor=user)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        message = exc.message if isinstance(exc, DomainError) else (
            "Give the view a name (up to 120 characters)")
        back = RedirectResponse("/contacts?" + query_string(p), status_code=303)
        return flash.flash(request, back, f"The view was not saved: {message}", "error")
    back = RedirectResponse("/contacts?" + query_string(p, view=str(saved.id)), status_code=303)
    return flash.flash(request, back, f"Saved the view “{saved.name}”.")


@router.post("/contacts/views/{view_id}/delete", dependencies=[CsrfChecked])
def remove_view(request: Request, view_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    v = views.access_view(db, user, view_id, change=True)
    name = v.name
    views.delete_view(db, view=v, actor=user)
    return flash.flash(request, RedirectResponse("/contacts", status_code=303),
                       f"Deleted the view “{name}”.")
