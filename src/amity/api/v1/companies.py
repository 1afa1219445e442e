"""/companies: organisations, their notes and history."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
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
from amity.api.v1.contacts import AuditRead
from amity.auth import fields
from amity.auth.access import Permission, access_record, check_reference, require, scoped
from amity.auth.models import User
from amity.companies import service
from amity.companies.models import Company
from amity.companies.schemas import CompanyCreate, CompanyRead, CompanyUpdate
from amity.contacts.schemas import DeletedFilter
from amity.core.audit import history_of
from amity.core.errors import PreconditionFailed
from amity.core.schemas import PageOut
from amity.notes import service as notes
from amity.notes.schemas import NoteCreate, NoteRead

router = APIRouter(prefix="/companies", tags=["companies"])
CompanySort = Annotated[str, Query(pattern=r"^-?(name|created_at|updated_at)$")]


def _load(db: DbSession, user: CurrentUser, company_id: uuid.UUID, perm: Permission,
          include_deleted: bool = False) -> Company:
    return access_record(db, user, Company, company_id, perm, entity="company",
                         include_deleted=include_deleted)


def _out(db: DbSession, user: User, companies: list[Company]) -> list[CompanyRead]:
    """Companies as this user may see them (sensitive custom fields removed)."""
    return fields.redact(db, user, "company", [CompanyRead.model_validate(c) for c in companies])


def _check_parent(db: DbSession, user: User, body: CompanyCreate | CompanyUpdate) -> None:
    if "parent_id" in body.model_fields_set:
        check_reference(db, user, Company, body.parent_id, Permission.COMPANIES_VIEW,
                        field="parent_id", code="company.not_found",
                        message="No such parent company")


@router.get("", response_model=PageOut[CompanyRead])
def list_companies(db: DbSession, user: CurrentUser, settings: AppSettings,
                   q: Annotated[str | None, Query(max_length=200)] = None,
                   industry: Annotated[str | None, Query(max_length=120)] = None,
                   owner_id: uuid.UUID | None = None,
                   tag: Annotated[str | None, Query(max_length=80)] = None,
                   deleted: DeletedFilter = "exclude", sort: CompanySort = "name",
                   cursor: Cursor = None, limit: Limit = None) -> dict[str, Any]:
    base = scoped(db, select(Company), user, Company, Permission.COMPANIES_VIEW)
    page = service.list_companies(db, base, q=q, industry=industry, owner_id=owner_id, tag=tag,
                                  deleted=deleted, sort=sort, cursor=cursor,
                                  limit=limit or settings.page_size_default)
    return {"items": _out(db, user, page.items), "next_cursor": page.next_cursor}


@router.post("", status_code=201, response_model=CompanyRead)
def create_company(body: CompanyCreate, db: DbSession, user: CurrentUser, settings: AppSettings,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.COMPANIES_CREATE)
    fields.check_write(db, user, "company", body, Permission.COMPANIES_CREATE)
    _check_parent(db, user, body)
    return idempotent(db, user, idempotency_key, "/companies", body,
                      lambda: service.create_company(db, data=body, actor=user,
                                                     region=settings.default_region),
                      CompanyRead)


@router.get("/{company_id}", response_model=CompanyRead)
def get_company(company_id: uuid.UUID, response: Response, db: DbSession, user: CurrentUser,
                include_deleted: bool = False) -> CompanyRead:
    c = _load(db, user, company_id, Permission.COMPANIES_VIEW, include_deleted)
    response.headers["ETag"] = etag(c.version)
    return _out(db, user, [c])[0]


@router.patch("/{company_id}", response_model=CompanyRead)
def update_company(company_id: uuid.UUID, body: CompanyUpdate, response: Response,
                   db: DbSession, user: CurrentUser, settings: AppSettings,
                   if_match: IfMatch = None) -> CompanyRead:
    c = _load(db, user, company_id, Permission.COMPANIES_EDIT)
    fields.check_write(db, user, "company", body, Permission.COMPANIES_EDIT)
    _check_parent(db, user, body)
    c = service.update_company(db, company=c, data=body, actor=user,
                               expected_version=parse_if_match(if_match),
                               region=settings.default_region)
    db.flush()
    response.headers["ETag"] = etag(c.version)
    return _out(db, user, [c])[0]


@router.delete("/{company_id}", status_code=204)
def delete_company(company_id: uuid.UUID, db: DbSession, user: CurrentUser,
                   if_match: IfMatch = None) -> Response:
    c = _load(db, user, company_id, Permission.COMPANIES_DELETE)
    expected = parse_if_match(if_match)
    if expected is not None and expected != c.version:
        raise PreconditionFailed()
    service.delete_company(db, company=c, actor=user)
    return Response(status_code=204)


@router.post("/{company_id}/restore", response_model=CompanyRead)
def restore_company(company_id: uuid.UUID, db: DbSession, user: CurrentUser) -> CompanyRead:
    c = _load(db, user, company_id, Permission.COMPANIES_DELETE, include_deleted=True)
    return _out(db, user, [service.restore_company(db, company=c, actor=user)])[0]


@router.get("/{company_id}/notes", response_model=PageOut[NoteRead])
def list_company_notes(company_id: uuid.UUID, db: DbSession, user: CurrentUser,
                       settings: AppSettings, cursor: Cursor = None,
                       limit: Limit = None) -> dict[str, Any]:
    c = _load(db, user, company_id, Permission.COMPANIES_VIEW)
    page = notes.list_notes(db, entity_type="company", entity_id=c.id, cursor=cursor,
                            limit=limit or settings.page_size_default)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/{company_id}/notes", status_code=201, response_model=NoteRead)
def add_company_note(company_id: uuid.UUID, body: NoteCreate, db: DbSession, user: CurrentUser,
                     idempotency_key: IdempotencyKey = None) -> JSONResponse:
    c = _load(db, user, company_id, Permission.COMPANIES_EDIT)
    return idempotent(db, user, idempotency_key, f"/companies/{c.id}/notes", body,
                      lambda: notes.add_note(db, entity_type="company", entity_id=c.id,
                                             data=body, actor=user), NoteRead)


@router.get("/{company_id}/history", response_model=list[AuditRead])
def company_history(company_id: uuid.UUID, db: DbSession, user: CurrentUser,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AuditRead]:
    c = _load(db, user, company_id, Permission.COMPANIES_VIEW, include_deleted=True)
    entries = history_of(db, entity_type="company", entity_id=c.id, limit=limit)
    return fields.redact_history(db, user, "company",
                                 [AuditRead.model_validate(e) for e in entries])
