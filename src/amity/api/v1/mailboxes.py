"""/mailboxes: IMAP mailboxes Amity polls into tickets or contact timelines.

Everything here needs settings.edit (a mailbox holds a login). The password is accepted on
create and change and never returned. ``POST /{id}/test`` logs in and opens the folder now;
``POST /{id}/poll`` queues a poll.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from amity.api.deps import CurrentUser, DbSession, IdempotencyKey, IfMatch, etag, parse_if_match
from amity.api.idempotency import idempotent
from amity.auth.access import Permission, require
from amity.core.errors import Conflict
from amity.jobs.mail import enqueue_poll
from amity.mail import service
from amity.mail.models import Mailbox
from amity.mail.schemas import (
    MailboxCheck,
    MailboxCreate,
    MailboxRead,
    MailboxUpdate,
    PollQueued,
)

router = APIRouter(prefix="/mailboxes", tags=["mailboxes"])


@router.get("", response_model=list[MailboxRead], summary="Configured IMAP mailboxes")
def list_mailboxes(db: DbSession, user: CurrentUser) -> list[Mailbox]:
    require(user, Permission.SETTINGS_MANAGE)
    return service.list_mailboxes(db)


@router.post("", status_code=201, response_model=MailboxRead,
             summary="Add a mailbox (409 if the name is taken; 422 for 'none' security on a "
                     "host that is not loopback)")
def create_mailbox(body: MailboxCreate, db: DbSession, user: CurrentUser,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    return idempotent(db, user, idempotency_key, "/mailboxes", body,
                      lambda: service.create_mailbox(db, data=body, actor=user), MailboxRead)


@router.get("/{mailbox_id}", response_model=MailboxRead)
def get_mailbox(mailbox_id: uuid.UUID, response: Response, db: DbSession,
                user: CurrentUser) -> Mailbox:
    require(user, Permission.SETTINGS_MANAGE)
    m = service.live_mailbox(db, mailbox_id)
    response.headers["ETag"] = etag(m.version)
    return m


@router.patch("/{mailbox_id}", response_model=MailboxRead)
def update_mailbox(mailbox_id: uuid.UUID, body: MailboxUpdate, response: Response,
                   db: DbSession, user: CurrentUser, if_match: IfMatch = None) -> Mailbox:
    require(user, Permission.SETTINGS_MANAGE)
    m = service.update_mailbox(db, mailbox=service.live_mailbox(db, mailbox_id), data=body,
                               actor=user, expected_version=parse_if_match(if_match))
    response.headers["ETag"] = etag(m.version)
    return m


@router.delete("/{mailbox_id}", status_code=204, summary="Stop polling and remove a mailbox")
def delete_mailbox(mailbox_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    service.delete_mailbox(db, mailbox=service.live_mailbox(db, mailbox_id), actor=user)
    return Response(status_code=204)


@router.post("/{mailbox_id}/test", response_model=MailboxCheck,
             summary="Log in and open the folder now (the outcome is in the body: ok, error)")
def test_mailbox(mailbox_id: uuid.UUID, db: DbSession, user: CurrentUser) -> MailboxCheck:
    require(user, Permission.SETTINGS_MANAGE)
    m = service.live_mailbox(db, mailbox_id)
    db.commit()  # nothing to write: no transaction (or SQLite write lock) during the login
    return service.check_mailbox(m)


@router.post("/{mailbox_id}/poll", status_code=202, response_model=PollQueued,
             summary="Queue a poll of the mailbox now (409 if it is disabled)")
def poll_mailbox(mailbox_id: uuid.UUID, db: DbSession, user: CurrentUser) -> PollQueued:
    require(user, Permission.SETTINGS_MANAGE)
    m = service.live_mailbox(db, mailbox_id)
    if not m.enabled:
        raise Conflict("mailbox.disabled", "The mailbox is disabled; enable it to poll it")
    job = enqueue_poll(db, m.id)
    db.flush()
    return PollQueued(job_id=job.id)
