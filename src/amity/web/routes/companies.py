"""Company pages: the filtered, sorted list (cards on phones) and the company page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from amity.api.deps import AppSettings, DbSession
from amity.auth import fields
from amity.auth.access import Permission, access_record, require, scope_for, scoped
from amity.auth.models import User
from amity.commerce.models import Order
from amity.companies import service
from amity.companies.models import Company
from amity.companies.overview import company_overview
from amity.companies.schemas import CompanyRead, CompanyUpdate
from amity.contacts.models import Contact
from amity.core.errors import ValidationFailed
from amity.deals.models import Deal
from amity.tickets.models import REFERENCE_PREFIX, Ticket
from amity.web import record_fields
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import is_htmx, render, templates

router = APIRouter(route_class=WebRoute)

CompanySort = Literal["name", "-name", "-created_at", "created_at", "-updated_at", "updated_at"]
SORT_LABELS = {"name": "Name A to Z", "-name": "Name Z to A", "-created_at": "Newest",
               "created_at": "Oldest", "-updated_at": "Recently changed",
               "updated_at": "Least recently changed"}


def can_view_companies(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.COMPANIES_VIEW) != "none"


# base.html shows the Companies link only to those who may open the list
templates.env.globals["can_view_companies"] = can_view_companies


def _scope(db: Session, user: User, model: type[Any],
           permission: Permission) -> Callable[[Select[Any]], Select[Any]] | None:
    if scope_for(user, permission) == "none":
        return None
    return lambda stmt: scoped(db, stmt, user, model, permission)


def _uuid(value: str, field: str) -> uuid.UUID | None:
    """An id from a filter form, where "" means any (a select's first option)."""
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError as exc:
        raise ValidationFailed("filter.invalid", f"{field} must be a user id", field) from exc


def _owners(db: Session) -> list[User]:
    return list(db.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))


@router.get("/companies")
def company_list(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                 q: Annotated[str, Query(max_length=200)] = "",
                 industry: Annotated[str, Query(max_length=120)] = "",
                 owner: Annotated[str, Query(max_length=40)] = "",
                 tag: Annotated[str, Query(max_length=80)] = "",
                 sort: CompanySort = "name",
                 cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    base = scoped(db, select(Company), user, Company, Permission.COMPANIES_VIEW)
    owner_id = _uuid(owner, "owner")
    page = service.list_companies(db, base, q=q.strip() or None,
                                  industry=industry.strip() or None, owner_id=owner_id,
                                  tag=tag.strip() or None, deleted="exclude", sort=sort,
                                  cursor=cursor, limit=settings.page_size_default)
    owners = _owners(db)
    filters = {"q": q, "industry": industry, "owner": str(owner_id) if owner_id else "",
               "tag": tag, "sort": sort}
    ctx = {"companies": page.items, "next_cursor": page.next_cursor, "filters": filters,
           "more": cursor is not None, "owners": owners,
           "owner_names": {u.id: u.name for u in owners}, "sort_labels": SORT_LABELS,
           "filtered": any(filters[k] for k in ("q", "industry", "owner", "tag"))}
    fragment = is_htmx(request) and request.headers.get("HX-Target") != "main"
    return render(request, "companies/_rows.html" if fragment else "companies/list.html", ctx)


@router.get("/companies/{company_id}")
def company_page(request: Request, company_id: uuid.UUID, db: DbSession,
                 user: WebUser) -> Response:
    require(user, Permission.COMPANIES_VIEW)
    company = access_record(db, user, Company, company_id, Permission.COMPANIES_VIEW,
                            entity="company")
    return _company_page(request, db, user, company)


def _company_page(request: Request, db: Session, user: User, company: Company, *,
                  status_code: int = 200, cf_errors: dict[str, str] | None = None,
                  cf_posted: FormData | None = None) -> Response:
    view = company_overview(
        db, company, contacts=_scope(db, user, Contact, Permission.CONTACTS_VIEW),
        deals=_scope(db, user, Deal, Permission.DEALS_VIEW),
        orders=_scope(db, user, Order, Permission.ORDERS_VIEW),
        tickets=_scope(db, user, Ticket, Permission.TICKETS_VIEW),
        companies=lambda stmt: scoped(db, stmt, user, Company, Permission.COMPANIES_VIEW))
    shown = fields.redact_one(db, user, "company", CompanyRead.model_validate(company))
    owner = db.get(User, company.owner_id) if company.owner_id else None
    values = shown.custom_fields
    return render(request, "companies/detail.html",
                  {"view": view, "c": shown, "owner": owner, "ticket_prefix": REFERENCE_PREFIX,
                   **record_fields.context(
                       db, user, "company", values, action=f"/companies/{company.id}/details",
                       version=shown.version,
                       can_edit=scope_for(user, Permission.COMPANIES_EDIT) != "none",
                       errors=cf_errors, posted=cf_posted)},
                  status_code=status_code)


@router.post("/companies/{company_id}/details", dependencies=[CsrfChecked])
def edit_company_details(request: Request, company_id: uuid.UUID, db: DbSession,
                         user: WebUser, settings: AppSettings,
                         posted: Annotated[FormData, Depends(record_fields.posted_form)]
                         ) -> Response:
    """Save the custom fields shown in the Edit details form (through ``update_company``)."""
    company = access_record(db, user, Company, company_id, Permission.COMPANIES_EDIT,
                            entity="company")
    refused = record_fields.save(
        db, user, "company", company, posted, schema=CompanyUpdate,
        permission=Permission.COMPANIES_EDIT,
        update=lambda data: service.update_company(db, company=company, data=data, actor=user,
                                              region=settings.default_region))
    if refused is not None:
        return _company_page(request, db, user, company, status_code=refused.status,
                             cf_errors=refused.errors, cf_posted=refused.posted)
    return RedirectResponse(f"/companies/{company.id}#details", status_code=303)
