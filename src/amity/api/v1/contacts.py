"""/contacts: people, their notes, history and 360 view."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from amity.api.deps import (
    AppSettings,
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
from amity.auth import fields
from amity.auth.access import (
    Permission,
    access_record,
    check_reference,
    require,
    scope_for,
    scoped,
)
from amity.auth.models import User
from amity.commerce.queries import order_scope
from amity.companies.models import Company
from amity.contacts import queries, service
from amity.contacts.models import Contact
from amity.contacts.schemas import (
    BulkCreated,
    Contact360,
    ContactBulkCreate,
    ContactCreate,
    ContactRead,
    ContactUpdate,
    DeletedFilter,
    SortKey,
    Stage,
)
from amity.contacts.view360 import contact_360
from amity.core.audit import history_of
from amity.core.contactinfo import normalise_phone
from amity.core.errors import ValidationFailed
from amity.core.schemas import Output, PageOut
from amity.notes import service as notes
from amity.notes.schemas import NoteCreate, NoteRead
from amity.tickets.models import Ticket

router = APIRouter(prefix="/contacts", tags=["contacts"])


def _load(db: DbSession, user: CurrentUser, contact_id: uuid.UUID, perm: Permission,
          include_deleted: bool = False) -> Contact:
    return access_record(db, user, Contact, contact_id, perm, entity="contact",
                         include_deleted=include_deleted)


def _out(db: DbSession, user: User, contact: Contact) -> ContactRead:
    """The contact as this user may see it (sensitive fields removed: ``auth.fields``)."""
    return fields.redact_one(db, user, "contact", ContactRead.model_validate(contact))


def _check_references(db: DbSession, user: User, data: ContactCreate | ContactUpdate,
                      prefix: str = "") -> None:
    """Company and referrer must be records this user can see (else: as if unknown)."""
    sent = data.model_fields_set
    if "company_id" in sent:
        check_reference(db, user, Company, data.company_id, Permission.COMPANIES_VIEW,
                        field=f"{prefix}company_id", code="company.not_found",
                        message="No such company")
    if "referred_by_id" in sent:
        check_reference(db, user, Contact, data.referred_by_id, Permission.CONTACTS_VIEW,
                        field=f"{prefix}referred_by_id", code="contact.not_found",
                        message="No such referring contact")


def _custom_filters(request: Request) -> dict[str, str]:
    return {k[3:]: v for k, v in request.query_params.items() if k.startswith("cf.")}


@router.get("", response_model=PageOut[ContactRead], summary="List or search contacts")
def list_contacts(
    request: Request, db: DbSession, user: CurrentUser, settings: AppSettings,
    q: Annotated[str | None, Query(max_length=200, description=(
        "Search names, emails, phones and company names; tolerant of typos. Results are "
        "ranked best first and not paged (the best `limit` matches)."))] = None,
    lifecycle_stage: Annotated[list[Stage] | None, Query()] = None,
    owner_id: uuid.UUID | None = None,
    unowned: bool = False,
    company_id: uuid.UUID | None = None,
    source: Annotated[str | None, Query(max_length=120)] = None,
    tag: Annotated[list[str] | None, Query(description="Repeat for contacts with every tag")]
    = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    referred_by_id: uuid.UUID | None = None,
    do_not_contact: bool | None = None,
    created_after: datetime | None = None, created_before: datetime | None = None,
    updated_after: datetime | None = None, updated_before: datetime | None = None,
    deleted: DeletedFilter = "exclude",
    sort: SortKey = "-created_at",
    cursor: Cursor = None, limit: Limit = None,
) -> dict[str, Any]:
    """Filters combine with AND. Custom fields filter as `cf.<key>=<value>`."""
    times = {"created_after": created_after, "created_before": created_before,
             "updated_after": updated_after, "updated_before": updated_before}
    for name, value in times.items():
        if value is not None and value.tzinfo is None:
            raise ValidationFailed("datetime.naive", "Give times with a time zone, e.g. "
                                   "2026-01-31T00:00:00Z", name)
    filters = queries.ContactFilters(
        lifecycle_stage=list(lifecycle_stage or []), owner_id=owner_id, unowned=unowned,
        company_id=company_id, source=source, tags=tag or [], email=email,
        phone_e164=normalise_phone(phone, settings.default_region) if phone else None,
        referred_by_id=referred_by_id, do_not_contact=do_not_contact,
        created_after=created_after, created_before=created_before,
        updated_after=updated_after, updated_before=updated_before,
        custom=_custom_filters(request), deleted=deleted)
    size = limit or settings.page_size_default
    base = scoped(db, select(Contact), user, Contact, Permission.CONTACTS_VIEW)
    if q and q.strip():
        found = queries.search_contacts(db, base, q=q, filters=filters, limit=size)
        return {"items": _redacted(db, user, found), "next_cursor": None}
    page = queries.list_contacts(db, base, filters=filters, sort=sort, cursor=cursor, limit=size)
    return {"items": _redacted(db, user, page.items), "next_cursor": page.next_cursor}


def _redacted(db: DbSession, user: User, items: list[Contact]) -> list[ContactRead]:
    return fields.redact(db, user, "contact", [ContactRead.model_validate(c) for c in items])


@router.post("", status_code=201, response_model=ContactRead, summary="Create a contact")
def create_contact(body: ContactCreate, db: DbSession, user: CurrentUser,
                   settings: AppSettings, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.CONTACTS_CREATE)
    fields.check_write(db, user, "contact", body, Permission.CONTACTS_CREATE)
    _check_references(db, user, body)
    return idempotent(db, user, idempotency_key, "/contacts", body,
                      lambda: service.create_contact(db, data=body, actor=user,
                                                     region=settings.default_region),
                      ContactRead)


@router.post("/bulk", status_code=201, response_model=BulkCreated,
             summary="Create up to 1,000 contacts at once (all or nothing)")
def create_contacts_bulk(body: ContactBulkCreate, db: DbSession, user: CurrentUser,
                         settings: AppSettings,
                         idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.CONTACTS_CREATE)
    fields.check_write_many(db, user, "contact", body.items, Permission.CONTACTS_CREATE)
    for i, item in enumerate(body.items):
        _check_references(db, user, item, prefix=f"items.{i}.")

    def run() -> BulkCreated:
        made = service.create_contacts_bulk(db, items=body.items, actor=user,
                                            region=settings.default_region)
        return BulkCreated(created=len(made), ids=[c.id for c in made])

    return idempotent(db, user, idempotency_key, "/contacts/bulk", body, run, BulkCreated)


@router.get("/{contact_id}", response_model=ContactRead)
def get_contact(contact_id: uuid.UUID, response: Response, db: DbSession,
                user: CurrentUser, include_deleted: bool = False) -> ContactRead:
    c = _load(db, user, contact_id, Permission.CONTACTS_VIEW, include_deleted)
    response.headers["ETag"] = etag(c.version)
    return _out(db, user, c)


@router.patch("/{contact_id}", response_model=ContactRead,
              responses={412: {"description": "The version sent is not the current one"}})
def update_contact(contact_id: uuid.UUID, body: ContactUpdate, response: Response,
                   db: DbSession, user: CurrentUser, settings: AppSettings,
                   if_match: IfMatch = None) -> ContactRead:
    c = _load(db, user, contact_id, Permission.CONTACTS_EDIT)
    fields.check_write(db, user, "contact", body, Permission.CONTACTS_EDIT)
    _check_references(db, user, body)
    c = service.update_contact(db, contact=c, data=body, actor=user,
                               expected_version=parse_if_match(if_match),
                               region=settings.default_region)
    db.flush()
    response.headers["ETag"] = etag(c.version)
    return _out(db, user, c)


@router.delete("/{contact_id}", status_code=204, summary="Soft-delete (restorable)")
def delete_contact(contact_id: uuid.UUID, db: DbSession, user: CurrentUser,
                   if_match: IfMatch = None) -> Response:
    c = _load(db, user, contact_id, Permission.CONTACTS_DELETE)
    service.delete_contact(db, contact=c, actor=user, expected_version=parse_if_match(if_match))
    return Response(status_code=204)


@router.post("/{contact_id}/restore", response_model=ContactRead)
def restore_contact(contact_id: uuid.UUID, db: DbSession, user: CurrentUser) -> ContactRead:
    c = _load(db, user, contact_id, Permission.CONTACTS_DELETE, include_deleted=True)
    return _out(db, user, service.restore_contact(db, contact=c, actor=user))


@router.get("/{contact_id}/360", response_model=Contact360,
            summary="Everything about one person in one call")
def get_contact_360(contact_id: uuid.UUID, db: DbSession, user: CurrentUser,
                    timeline_limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Contact360:
    c = _load(db, user, contact_id, Permission.CONTACTS_VIEW)
    view = contact_360(db, c, timeline_limit=timeline_limit,
                       visible_contacts=lambda stmt: scoped(db, stmt, user, Contact,
                                                            Permission.CONTACTS_VIEW),
                       visible_orders=order_scope(db, user), reader=user,
                       visible_tickets=None if scope_for(user, Permission.TICKETS_VIEW) == "none"
                       else lambda stmt: scoped(db, stmt, user, Ticket,
                                                Permission.TICKETS_VIEW))
    return view.model_copy(update={"contact": fields.redact_one(db, user, "contact",
                                                                 view.contact)})


@router.get("/{contact_id}/notes", response_model=PageOut[NoteRead])
def list_contact_notes(contact_id: uuid.UUID, db: DbSession, user: CurrentUser,
                       settings: AppSettings, cursor: Cursor = None,
                       limit: Limit = None) -> dict[str, Any]:
    c = _load(db, user, contact_id, Permission.CONTACTS_VIEW)
    page = notes.list_notes(db, entity_type="contact", entity_id=c.id, cursor=cursor,
                            limit=limit or settings.page_size_default)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/{contact_id}/notes", status_code=201, response_model=NoteRead)
def add_contact_note(contact_id: uuid.UUID, body: NoteCreate, db: DbSession,
                     user: CurrentUser, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    c = _load(db, user, contact_id, Permission.CONTACTS_EDIT)
    return idempotent(db, user, idempotency_key, f"/contacts/{c.id}/notes", body,
                      lambda: notes.add_note(db, entity_type="contact", entity_id=c.id,
                                             data=body, actor=user), NoteRead)


class AuditRead(Output):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    action: str
    changes: dict[str, Any]


@router.get("/{contact_id}/history", response_model=list[AuditRead],
            summary="The audit trail of one contact, newest first")
def contact_history(contact_id: uuid.UUID, db: DbSession, user: CurrentUser,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AuditRead]:
    c = _load(db, user, contact_id, Permission.CONTACTS_VIEW, include_deleted=True)
    entries = history_of(db, entity_type="contact", entity_id=c.id, limit=limit)
    return fields.redact_history(db, user, "contact",
                                 [AuditRead.model_validate(e) for e in entries])
