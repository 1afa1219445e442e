"""/tickets: support tickets, their queues, comments, attachments and history."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute
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
from amity.api.errors import problem
from amity.api.idempotency import idempotent
from amity.api.v1.contacts import AuditRead
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
from amity.commerce.models import Order
from amity.commerce.queries import order_scope
from amity.companies.models import Company
from amity.config import Settings
from amity.contacts.models import Contact
from amity.contacts.schemas import DeletedFilter
from amity.core.audit import history_of
from amity.core.clock import now
from amity.core.errors import NotFound, ValidationFailed
from amity.core.pagination import Sort, keyset, page_of
from amity.core.schemas import PageOut
from amity.deals.models import Deal
from amity.tickets import queries, service
from amity.tickets.attachments import AttachmentStore, add_attachment, stored_file
from amity.tickets.models import Ticket, TicketAttachment, TicketComment
from amity.tickets.schemas import (
    Assign,
    AttachmentRead,
    Channel,
    CommentCreate,
    CommentRead,
    Priority,
    Queue,
    QueueCounts,
    ServiceSummary,
    Status,
    TicketCreate,
    TicketRead,
    TicketUpdate,
)
from amity.tickets.survey import SurveyConfig

router = APIRouter(tags=["tickets"])
TicketSort = Annotated[str, Query(pattern=r"^-?(created_at|updated_at|number)$")]
_COMMENTS = Sort("created_at", TicketComment.created_at)
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file


def survey_config(settings: Settings) -> SurveyConfig:
    return SurveyConfig(secret=settings.secret_key, base_url=settings.base_url,
                        valid_days=settings.survey_valid_days)


def attachment_store(settings: Settings) -> AttachmentStore:
    return AttachmentStore(root=Path(settings.attachment_dir),
                           max_bytes=settings.attachment_max_bytes,
                           allowed_types=tuple(t.lower() for t in settings.attachment_types))


def _load(db: DbSession, user: User, ticket_id: uuid.UUID, perm: Permission,
          include_deleted: bool = False) -> Ticket:
    return access_record(db, user, Ticket, ticket_id, perm, entity="ticket",
                         include_deleted=include_deleted)


def _out(db: DbSession, user: User, tickets: list[Ticket]) -> list[TicketRead]:
    return fields.redact(db, user, "ticket", [TicketRead.model_validate(t) for t in tickets])


def _check_references(db: DbSession, user: User, body: TicketCreate | TicketUpdate) -> None:
    """Customer and order named in input must be records this user may see."""
    sent = body.model_fields_set
    for key, model, perm, code, message in (
            ("contact_id", Contact, Permission.CONTACTS_VIEW, "contact.not_found",
             "No such contact"),
            ("company_id", Company, Permission.COMPANIES_VIEW, "company.not_found",
             "No such company"),
            ("order_id", Order, Permission.ORDERS_VIEW, "order.not_found", "No such order")):
        if key in sent:
            check_reference(db, user, model, getattr(body, key), perm, field=key, code=code,
                            message=message)


def _visible_tickets(db: DbSession, user: User) -> queries.Scope:
    return lambda stmt: scoped(db, stmt, user, Ticket, Permission.TICKETS_VIEW)


@router.get("/tickets", response_model=PageOut[TicketRead], summary="List tickets or a queue")
def list_tickets(
    db: DbSession, user: CurrentUser, settings: AppSettings,
    queue: Annotated[Queue | None, Query(description=(
        "mine: assigned to me; team: my teams'; unassigned; breaching_soon: past the SLA "
        "warning; breached: an SLA target missed (open tickets only)"))] = None,
    status: Annotated[list[Status] | None, Query()] = None,
    priority: Annotated[list[Priority] | None, Query()] = None,
    channel: Channel | None = None,
    category: Annotated[str | None, Query(max_length=120)] = None,
    contact_id: uuid.UUID | None = None, company_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None, unassigned: bool = False,
    team_id: uuid.UUID | None = None, owner_id: uuid.UUID | None = None,
    tag: Annotated[str | None, Query(max_length=80)] = None,
    q: Annotated[str | None, Query(max_length=200,
                                   description="Words of the subject, or a reference")] = None,
    created_after: datetime | None = None, created_before: datetime | None = None,
    deleted: DeletedFilter = "exclude", sort: TicketSort = "-created_at",
    cursor: Cursor = None, limit: Limit = None,
) -> dict[str, Any]:
    filters = queries.TicketFilters(
        status=list(status or []), priority=list(priority or []), channel=channel,
        category=category, contact_id=contact_id, company_id=company_id,
        assignee_id=assignee_id, unassigned=unassigned, team_id=team_id, owner_id=owner_id,
        tag=tag, q=q, created_after=created_after, created_before=created_before, queue=queue,
        deleted=deleted)
    base = scoped(db, select(Ticket), user, Ticket, Permission.TICKETS_VIEW)
    page = queries.list_tickets(db, base, filters=filters, user_id=user.id, at=now(),
                                sort=sort, cursor=cursor,
                                limit=limit or settings.page_size_default)
    return {"items": _out(db, user, page.items), "next_cursor": page.next_cursor}


@router.get("/tickets/queues", response_model=QueueCounts,
            summary="How many open tickets each queue holds")
def queue_counts(db: DbSession, user: CurrentUser) -> dict[str, int]:
    base = scoped(db, select(Ticket), user, Ticket, Permission.TICKETS_VIEW)
    return queries.queue_counts(db, base, user_id=user.id, at=now())


@router.post("/tickets", status_code=201, response_model=TicketRead)
def create_ticket(body: TicketCreate, db: DbSession, user: CurrentUser,
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.TICKETS_CREATE)
    fields.check_write(db, user, "ticket", body, Permission.TICKETS_CREATE)
    _check_references(db, user, body)
    return idempotent(db, user, idempotency_key, "/tickets", body,
                      lambda: service.create_ticket(db, data=body, actor=user), TicketRead)


@router.get("/tickets/{ticket_id}", response_model=TicketRead,
            summary="One ticket, with the customer's value and recent purchases")
def get_ticket(ticket_id: uuid.UUID, response: Response, db: DbSession, user: CurrentUser,
               include_deleted: bool = False) -> TicketRead:
    t = _load(db, user, ticket_id, Permission.TICKETS_VIEW, include_deleted)
    response.headers["ETag"] = etag(t.version)
    deals = (None if scope_for(user, Permission.DEALS_VIEW) == "none"
             else (lambda stmt: scoped(db, stmt, user, Deal, Permission.DEALS_VIEW)))
    customer = queries.customer_value(db, t, today=now().date(),
                                      visible_orders=order_scope(db, user), visible_deals=deals,
                                      visible_tickets=_visible_tickets(db, user))
    return _out(db, user, [t])[0].model_copy(update={"customer": customer})


@router.patch("/tickets/{ticket_id}", response_model=TicketRead,
              summary="Change a ticket; status moves along the allowed transitions")
def update_ticket(ticket_id: uuid.UUID, body: TicketUpdate, response: Response,
                  db: DbSession, user: CurrentUser, settings: AppSettings,
                  if_match: IfMatch = None) -> TicketRead:
    t = _load(db, user, ticket_id, Permission.TICKETS_EDIT)
    fields.check_write(db, user, "ticket", body, Permission.TICKETS_EDIT)
    _check_references(db, user, body)
    t = service.update_ticket(db, ticket=t, data=body, actor=user,
                              expected_version=parse_if_match(if_match),
                              survey=survey_config(settings))
    db.flush()
    response.headers["ETag"] = etag(t.version)
    return _out(db, user, [t])[0]


@router.delete("/tickets/{ticket_id}", status_code=204, summary="Soft-delete (restorable)")
def delete_ticket(ticket_id: uuid.UUID, db: DbSession, user: CurrentUser,
                  if_match: IfMatch = None) -> Response:
    t = _load(db, user, ticket_id, Permission.TICKETS_DELETE)
    service.delete_ticket(db, ticket=t, actor=user, expected_version=parse_if_match(if_match))
    return Response(status_code=204)


@router.post("/tickets/{ticket_id}/restore", response_model=TicketRead)
def restore_ticket(ticket_id: uuid.UUID, db: DbSession, user: CurrentUser) -> TicketRead:
    t = _load(db, user, ticket_id, Permission.TICKETS_DELETE, include_deleted=True)
    return _out(db, user, [service.restore_ticket(db, ticket=t, actor=user)])[0]


@router.post("/tickets/{ticket_id}/assign", response_model=TicketRead,
             summary="Assign to an agent and/or team, or let the team's routing choose")
def assign_ticket(ticket_id: uuid.UUID, body: Assign, response: Response, db: DbSession,
                  user: CurrentUser) -> TicketRead:
    t = _load(db, user, ticket_id, Permission.TICKETS_EDIT)
    t = service.assign_ticket(db, ticket=t, data=body, actor=user)
    db.flush()
    response.headers["ETag"] = etag(t.version)
    return _out(db, user, [t])[0]


@router.get("/tickets/{ticket_id}/history", response_model=list[AuditRead],
            summary="The audit trail of one ticket, newest first")
def ticket_history(ticket_id: uuid.UUID, db: DbSession, user: CurrentUser,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AuditRead]:
    t = _load(db, user, ticket_id, Permission.TICKETS_VIEW, include_deleted=True)
    entries = history_of(db, entity_type="ticket", entity_id=t.id, limit=limit)
    return fields.redact_history(db, user, "ticket",
                                 [AuditRead.model_validate(e) for e in entries])


@router.get("/tickets/{ticket_id}/comments", response_model=PageOut[CommentRead],
            summary="Replies and internal notes, oldest first")
def list_comments(ticket_id: uuid.UUID, db: DbSession, user: CurrentUser,
                  settings: AppSettings, public_only: bool = False, cursor: Cursor = None,
                  limit: Limit = None) -> dict[str, Any]:
    t = _load(db, user, ticket_id, Permission.TICKETS_VIEW)
    size = limit or settings.page_size_default
    stmt = select(TicketComment).where(TicketComment.ticket_id == t.id)
    if public_only:
        stmt = stmt.where(TicketComment.public.is_(True))
    rows = list(db.scalars(keyset(stmt, _COMMENTS, TicketComment.id, cursor, size)))
    page = page_of(rows, _COMMENTS, size, key=lambda c: c.created_at)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/tickets/{ticket_id}/comments", status_code=201, response_model=CommentRead,
             summary="A public reply or an internal note")
def add_comment(ticket_id: uuid.UUID, body: CommentCreate, db: DbSession, user: CurrentUser,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    t = _load(db, user, ticket_id, Permission.TICKETS_EDIT)
    if body.contact_id is not None:
        check_reference(db, user, Contact, body.contact_id, Permission.CONTACTS_VIEW,
                        field="contact_id", code="contact.not_found", message="No such contact")
    return idempotent(db, user, idempotency_key, f"/tickets/{t.id}/comments", body,
                      lambda: service.add_comment(db, ticket=t, data=body, actor=user),
                      CommentRead)


class UploadRoute(APIRoute):
    """Refuse an upload by its Content-Length before the body is read (413), or one without a
    length (411): the form parser would otherwise spool any amount to disk first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = request.app.state.settings.attachment_max_bytes + MULTIPART_OVERHEAD
            length = request.headers.get("content-length", "")
            if not length.isdigit():
                return problem(411, "length.required", "Send the upload with a Content-Length")
            if int(length) > limit:
                return problem(413, "attachment.too_large", "A file is at most "
                               f"{request.app.state.settings.attachment_max_bytes:,} bytes",
                               "file")
            return await handler(request)

        return limited


def upload_attachment(ticket_id: uuid.UUID, comment_id: uuid.UUID, db: DbSession,
                      user: CurrentUser, settings: AppSettings,
                      file: Annotated[UploadFile | None, File()] = None) -> TicketAttachment:
    t = _load(db, user, ticket_id, Permission.TICKETS_EDIT)
    comment = db.get(TicketComment, comment_id)
    if comment is None or comment.ticket_id != t.id:
        raise NotFound("comment")
    if file is None:
        raise ValidationFailed("attachment.file_required", "Send the file as multipart/form-data "
                               "in a field named 'file'", "file")
    return add_attachment(db, ticket=t, comment=comment, filename=file.filename,
                          content_type=file.content_type, stream=file.file,
                          store=attachment_store(settings), actor=user)


router.add_api_route("/tickets/{ticket_id}/comments/{comment_id}/attachments",
                     upload_attachment, methods=["POST"], status_code=201,
                     response_model=AttachmentRead, route_class_override=UploadRoute,
                     summary="Attach a file to a comment (multipart/form-data, field 'file')",
                     responses={411: {"description": "No Content-Length"},
                                413: {"description": "Over the size limit"}})


@router.get("/tickets/{ticket_id}/attachments/{attachment_id}", response_class=FileResponse,
            summary="Download an attachment",
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "The file, as a download"},
                       410: {"description": "The file's content is no longer stored"}})
def download_attachment(ticket_id: uuid.UUID, attachment_id: uuid.UUID, db: DbSession,
                        user: CurrentUser, settings: AppSettings) -> FileResponse:
    t = _load(db, user, ticket_id, Permission.TICKETS_VIEW)
    att = db.get(TicketAttachment, attachment_id)
    if att is None or att.ticket_id != t.id:
        raise NotFound("attachment")
    path = stored_file(attachment_store(settings), att)
    return FileResponse(path, media_type=att.content_type, filename=att.filename,
                        content_disposition_type="attachment",
                        headers={"X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "default-src 'none'; sandbox",
                                 "Cache-Control": "private, no-store"})


@router.get("/contacts/{contact_id}/service-summary", response_model=ServiceSummary,
            tags=["tickets"], summary="A contact's tickets and satisfaction at a glance")
def contact_service_summary(contact_id: uuid.UUID, db: DbSession,
                            user: CurrentUser) -> ServiceSummary:
    require(user, Permission.TICKETS_VIEW)
    c = access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW, entity="contact")
    return queries.service_summary(db, c.id, _visible_tickets(db, user))
