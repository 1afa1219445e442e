"""/data-quality: the contacts' audit (completeness per field, reachability, staleness,
invalid values, duplicate backlog, unused custom fields, average score), the worst records,
one contact's quality score (/contacts/{id}/quality) and the data stewards."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Select

from amity.api.deps import CurrentUser, DbSession, IdempotencyKey
from amity.api.idempotency import idempotent
from amity.auth.access import Permission, access_record, require, scoped
from amity.contacts.models import Contact
from amity.dataquality import queries, service
from amity.dataquality.schemas import RecordQualityOut, ReportOut, StewardOut, WorstOut
from amity.dataquality.service import StewardIn

router = APIRouter(tags=["data quality"])
StaleDays = Annotated[int, Query(ge=1, le=3650, description="No activity for this many days "
                                                           "makes a record stale")]
Segment = Annotated[str | None, Query(max_length=80, description="Only contacts with this "
                                                                 "tag")]


def _visible(db: DbSession, user: CurrentUser) -> Any:
    def visible(stmt: Select[Any]) -> Select[Any]:
        return scoped(db, stmt, user, Contact, Permission.CONTACTS_VIEW)
    return visible


@router.get("/data-quality/contacts", response_model=ReportOut,
            summary="The contacts' data-quality audit (those the reader may see)")
def contacts_report(db: DbSession, user: CurrentUser,
                    stale_days: StaleDays = queries.DEFAULT_STALE_DAYS,
                    segment_tag: Segment = None) -> Any:
    require(user, Permission.REPORTS_VIEW)
    return queries.contact_report(db, visible=_visible(db, user), stale_days=stale_days,
                                  segment_tag=segment_tag or None)


@router.get("/data-quality/contacts/worst", response_model=list[WorstOut],
            summary="The lowest-scoring contacts, worst first")
def worst_contacts(db: DbSession, user: CurrentUser,
                   stale_days: StaleDays = queries.DEFAULT_STALE_DAYS,
                   segment_tag: Segment = None,
                   limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Any:
    require(user, Permission.REPORTS_VIEW)
    rows = queries.worst_contacts(db, visible=_visible(db, user), stale_days=stale_days,
                                  segment_tag=segment_tag or None, limit=limit)
    return [WorstOut(id=c.id, name=c.sort_name or "", score=s) for c, s in rows]


@router.get("/contacts/{contact_id}/quality", response_model=RecordQualityOut,
            summary="A contact's quality score (0-100) and the checks it fails")
def contact_quality(contact_id: uuid.UUID, db: DbSession, user: CurrentUser,
                    stale_days: StaleDays = queries.DEFAULT_STALE_DAYS) -> Any:
    contact = access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW,
                            entity="contact")
    return queries.contact_quality(db, contact.id, stale_days=stale_days)


@router.get("/data-quality/stewards", response_model=list[StewardOut],
            summary="Who looks after which records (they get the weekly digest)")
def list_stewards(db: DbSession, user: CurrentUser) -> Any:
    require(user, Permission.SETTINGS_VIEW)
    return service.list_stewards(db)


@router.post("/data-quality/stewards", status_code=201, response_model=StewardOut,
             summary="Make a user the steward of the contacts (or of those with a tag)")
def assign_steward(body: StewardIn, db: DbSession, user: CurrentUser,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    return idempotent(db, user, idempotency_key, "/data-quality/stewards", body,
                      lambda: service.assign_steward(db, data=body, actor=user), StewardOut)


@router.delete("/data-quality/stewards/{steward_id}", status_code=204,
               summary="Remove a steward")
def remove_steward(steward_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    service.remove_steward(db, steward_id=steward_id, actor=user)
    return Response(status_code=204)
