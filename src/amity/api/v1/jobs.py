"""/jobs: the background job queue, for administrators: list, one job, retry, queue stats.

Access: ``settings.edit`` in scope ``all`` (administrators by default), like the audit log:
payloads and errors concern records across the whole system.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from amity.api.deps import (
    AppSettings,
    CurrentUser,
    Cursor,
    DbSession,
    IdempotencyKey,
    Limit,
)
from amity.api.idempotency import idempotent
from amity.auth.access import Permission, scope_for
from amity.auth.models import User
from amity.core.errors import Forbidden
from amity.core.schemas import Output, PageOut
from amity.jobs import admin
from amity.jobs.models import Job

router = APIRouter(prefix="/jobs", tags=["jobs"])


def require_queue_admin(user: User) -> None:
    if scope_for(user, Permission.SETTINGS_MANAGE) != "all":
        raise Forbidden("The job queue needs the 'settings.edit' permission for all records "
                        "(administrators)")


class JobRead(Output):
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    status: str
    priority: int
    run_at: datetime
    attempts: int
    max_attempts: int
    idempotency_key: str | None
    locked_by: str | None
    lease_until: datetime | None
    last_error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class QueueStatsRead(Output):
    counts: dict[str, int]
    oldest_due_at: datetime | None
    oldest_due_age_s: float | None
    at: datetime


Status = Annotated[str | None, Query(max_length=10, description="queued, running, failed, "
                                     "done or dead")]


@router.get("", response_model=PageOut[JobRead], summary="Jobs, newest first")
def list_jobs(db: DbSession, user: CurrentUser, settings: AppSettings, status: Status = None,
              kind: Annotated[str | None, Query(max_length=160)] = None,
              cursor: Cursor = None, limit: Limit = None) -> dict[str, Any]:
    require_queue_admin(user)
    page = admin.list_jobs(db, status=status, kind=kind, cursor=cursor,
                           limit=limit or settings.page_size_default)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/stats", response_model=QueueStatsRead, summary="Jobs per status, oldest wait")
def queue_stats(db: DbSession, user: CurrentUser) -> admin.QueueStats:
    """``oldest_due_age_s``: how long the longest-waiting due job has waited (null if none)."""
    require_queue_admin(user)
    return admin.queue_stats(db)


@router.get("/{job_id}", response_model=JobRead, summary="One job")
def get_job(job_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Job:
    require_queue_admin(user)
    return admin.get_job(db, job_id)


class _NoBody(BaseModel):
    pass


@router.post("/{job_id}/retry", response_model=JobRead,
             summary="Run a dead or failed job again now")
def retry_job(job_id: uuid.UUID, db: DbSession, user: CurrentUser,
              idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A fresh set of attempts; 409 for a job that is queued, running or done. With an
    ``Idempotency-Key``, a repeated call gets the first answer instead of a 409."""
    require_queue_admin(user)
    job = admin.get_job(db, job_id)
    return idempotent(db, user, idempotency_key, f"/jobs/{job_id}/retry", _NoBody(),
                      lambda: admin.retry_job(db, job=job, actor_id=user.id), JobRead,
                      status=200)
