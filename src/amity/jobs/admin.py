"""Reading the queue and retrying jobs, for administrators (the /api/v1/jobs endpoints)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.core import audit
from amity.core.clock import now
from amity.core.errors import Conflict, NotFound, ValidationFailed
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.jobs import store
from amity.jobs.models import DEAD, FAILED, STATUSES, Job

_CREATED = Sort("created_at", Job.created_at, descending=True)


def list_jobs(db: Session, *, status: str | None, kind: str | None, cursor: str | None,
              limit: int) -> Page[Job]:
    """Newest first, keyset-paged by (created_at, id); filters combine with AND."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed("job.status_invalid",
                               f"status must be one of {', '.join(STATUSES)}", "status")
    stmt = select(Job)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    rows = list(db.scalars(keyset(stmt, _CREATED, Job.id, cursor, limit)))
    return page_of(rows, _CREATED, limit, key=lambda j: j.created_at)


def get_job(db: Session, job_id: uuid.UUID) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound("job")
    return job


def retry_job(db: Session, *, job: Job, actor_id: uuid.UUID) -> Job:
    """Run a dead or failed job again now, with a fresh set of attempts (audited)."""
    if job.status not in (DEAD, FAILED):
        raise Conflict("job.not_retryable", f"Only dead or failed jobs can be retried; this "
                       f"one is {job.status}", "status")
    before = job.status
    store.requeue(db, job)
    audit.record(db, actor_id=actor_id, action="retry", entity_type="job", entity_id=job.id,
                 changes={"status": [before, job.status], "kind": job.kind})
    db.flush()
    return job


@dataclass(frozen=True)
class QueueStats:
    counts: dict[str, int]
    oldest_due_at: datetime | None
    oldest_due_age_s: float | None
    at: datetime


def queue_stats(db: Session) -> QueueStats:
    """Jobs per status (every status listed), and how long the longest-waiting due job has
    waited (None when nothing is due)."""
    found = store.counts(db)
    oldest = store.oldest_due(db)
    at = now()
    counts: dict[str, Any] = {s: found.get(s, 0) for s in STATUSES}
    age = max(0.0, (at - oldest).total_seconds()) if oldest is not None else None
    return QueueStats(counts=counts, oldest_due_at=oldest, oldest_due_age_s=age, at=at)
