"""/interactions: calls, emails, meetings and every other channel; /notifications: the
signed-in user's reminders. Custom fields marked sensitive are left out of every interaction
sent to a user who may not see them, and such a user may not write them (auth.fields)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from amity.activities import interactions as service
from amity.activities import queries, reminders
from amity.activities.models import Interaction
from amity.activities.schemas import (
    Channel,
    Direction,
    InteractionCreate,
    InteractionRead,
    InteractionUpdate,
    MarkedRead,
    NotificationRead,
    NotificationsRead,
)
from amity.activities.visibility import check_interaction, within
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
from amity.auth.access import FieldForbidden, Permission, check_owner, check_reference, require
from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.errors import Conflict, Forbidden, NotFound
from amity.core.schemas import PageOut
from amity.deals.models import Deal

router = APIRouter(tags=["interactions"])
DeletedFilter = Literal["exclude", "only", "include"]


def _load(db: DbSession, user: User, interaction_id: uuid.UUID, *, write: bool,
          include_deleted: bool = False) -> Interaction:
    i = db.get(Interaction, interaction_id)
    if i is None:
        raise NotFound("interaction")
    check_interaction(db, user, i, write=write)
    if i.deleted_at is not None and not include_deleted:
        raise NotFound("interaction")
    return i


def _out(db: DbSession, user: User, items: list[Interaction]) -> list[InteractionRead]:
    return fields.redact(db, user, "interaction",
                         [InteractionRead.model_validate(i) for i in items])


def _check_input(db: DbSession, user: User, body: InteractionCreate | InteractionUpdate) -> None:
    """Records named must be visible (else 422 as if unknown); the user must be allowed to
    edit one of the contacts (or, with none, the company or deal; with none of those, to
    own the record); sensitive custom fields only by those who may see them (403)."""
    fields.check_sensitive_write(db, user, "interaction", body)
    sent = body.model_fields_set
    contact_ids = [p.contact_id for p in body.participants or [] if p.contact_id]
    for n, p in enumerate(body.participants or []):
        check_reference(db, user, Contact, p.contact_id, Permission.CONTACTS_VIEW,
                        field=f"participants.{n}.contact_id", code="contact.not_found",
                        message="No such contact")
    for field, model, perm in (("company_id", Company, Permission.COMPANIES_VIEW),
                               ("deal_id", Deal, Permission.DEALS_VIEW)):
        if field in sent:
            check_reference(db, user, model, getattr(body, field), perm, field=field,
                            code=f"{field[:-3]}.not_found", message=f"No such {field[:-3]}")
    if "owner_id" in sent and body.owner_id is not None:
        check_owner(db, user, body.owner_id, Permission.CONTACTS_EDIT)
    if "participants" in sent and contact_ids:
        owners = db.scalars(select(Contact.owner_id).where(Contact.id.in_(contact_ids)))
        if not any(within(db, user, o, Permission.CONTACTS_EDIT) for o in owners):
            raise FieldForbidden("participants", "You need the 'contacts.edit' permission on "
                                 "one of the contacts taking part")


@router.post("/interactions", status_code=201, response_model=InteractionRead,
             summary="Record an interaction (200 with the first one for a known external id)",
             responses={200: {"model": InteractionRead,
                              "description": "Recorded before (same external id)"}})
def create_interaction(body: InteractionCreate, db: DbSession, user: CurrentUser,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
    if body.external_source and body.external_id:
        known = service.find_external(db, body.external_source, body.external_id)
        if known is not None:
            try:
                check_interaction(db, user, known, write=False)
            except NotFound as exc:
                raise Conflict("interaction.exists", "An interaction with this external id "
                               "was recorded already", "external_id") from exc
            out = _out(db, user, [known])[0].model_dump(mode="json")
            return JSONResponse(out, headers={"ETag": etag(known.version)})
    _check_input(db, user, body)
    if not any(p.contact_id for p in body.participants or []):
        require(user, Permission.CONTACTS_EDIT)  # and, below, edit on its company or deal

    def run() -> Interaction:
        i, made = service.record_interaction(db, data=body, actor=user)
        if not made:  # recorded meanwhile under the same external id
            raise Conflict("interaction.exists", "An interaction with this external id was "
                           "recorded at the same time; retry", "external_id")
        check_interaction(db, user, i, write=True)
        return i

    return idempotent(db, user, idempotency_key, "/interactions", body, run, InteractionRead)


@router.get("/interactions", response_model=PageOut[InteractionRead],
            summary="Interactions the user may see, newest first")
def list_interactions(
    db: DbSession, user: CurrentUser, settings: AppSettings,
    contact_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None,
    company_id: uuid.UUID | None = None, deal_id: uuid.UUID | None = None,
    ticket_id: uuid.UUID | None = None, owner_id: uuid.UUID | None = None,
    channel: Annotated[list[Channel] | None, Query()] = None,
    direction: Direction | None = None,
    thread_key: Annotated[str | None, Query(max_length=255)] = None,
    occurred_after: datetime | None = None, occurred_before: datetime | None = None,
    deleted: DeletedFilter = "exclude",
    sort: Literal["-occurred_at", "occurred_at"] = "-occurred_at",
    cursor: Cursor = None, limit: Limit = None,
) -> dict[str, Any]:
    filters = queries.InteractionFilters(
        contact_id=contact_id, user_id=user_id, company_id=company_id, deal_id=deal_id,
        ticket_id=ticket_id, owner_id=owner_id, channels=list(channel or []),
        direction=direction, thread_key=thread_key, occurred_after=occurred_after,
        occurred_before=occurred_before, deleted=deleted)
    page = queries.list_interactions(db, user, filters=filters, sort=sort, cursor=cursor,
                                     limit=limit or settings.page_size_default)
    return {"items": _out(db, user, list(page.items)), "next_cursor": page.next_cursor}


@router.get("/interactions/{interaction_id}", response_model=InteractionRead)
def get_interaction(interaction_id: uuid.UUID, response: Response, db: DbSession,
                    user: CurrentUser, include_deleted: bool = False) -> InteractionRead:
    i = _load(db, user, interaction_id, write=False, include_deleted=include_deleted)
    response.headers["ETag"] = etag(i.version)
    return _out(db, user, [i])[0]


@router.patch("/interactions/{interaction_id}", response_model=InteractionRead)
def update_interaction(interaction_id: uuid.UUID, body: InteractionUpdate, response: Response,
                       db: DbSession, user: CurrentUser,
                       if_match: IfMatch = None) -> InteractionRead:
    i = _load(db, user, interaction_id, write=True)
    _check_input(db, user, body)
    i = service.update_interaction(db, interaction=i, data=body, actor=user,
                                   expected_version=parse_if_match(if_match))
    db.flush()
    check_interaction(db, user, i, write=True)  # may not move it out of one's own reach
    response.headers["ETag"] = etag(i.version)
    return _out(db, user, [i])[0]


@router.delete("/interactions/{interaction_id}", status_code=204,
               summary="Soft-delete (restorable)")
def delete_interaction(interaction_id: uuid.UUID, db: DbSession, user: CurrentUser,
                       if_match: IfMatch = None) -> Response:
    i = _load(db, user, interaction_id, write=True)
    service.delete_interaction(db, interaction=i, actor=user,
                               expected_version=parse_if_match(if_match))
    return Response(status_code=204)


@router.post("/interactions/{interaction_id}/restore", response_model=InteractionRead)
def restore_interaction(interaction_id: uuid.UUID, db: DbSession,
                        user: CurrentUser) -> InteractionRead:
    i = _load(db, user, interaction_id, write=True, include_deleted=True)
    return _out(db, user, [service.restore_interaction(db, interaction=i, actor=user)])[0]


@router.get("/notifications", response_model=PageOut[NotificationRead], tags=["notifications"],
            summary="Your notifications, newest first")
def list_notifications(db: DbSession, user: CurrentUser, settings: AppSettings,
                       unread: bool | None = None, cursor: Cursor = None,
                       limit: Limit = None) -> dict[str, Any]:
    page = reminders.list_notifications(db, user, unread=unread, cursor=cursor,
                                        limit=limit or settings.page_size_default)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/notifications/read", response_model=MarkedRead, tags=["notifications"],
             summary="Mark some (ids) or all of your notifications read")
def mark_notifications_read(body: NotificationsRead, db: DbSession,
                            user: CurrentUser) -> MarkedRead:
    if not user.is_active:
        raise Forbidden()
    return MarkedRead(marked=reminders.mark_read(db, user, ids=body.ids, everything=body.all))
