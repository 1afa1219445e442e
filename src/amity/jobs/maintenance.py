"""Housekeeping jobs: forget expired idempotency keys, old done jobs and their traces."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from amity.core.clock import now
from amity.core.idempotency import IdempotencyRecord
from amity.jobs import schedule, store
from amity.jobs.context import JobContext
from amity.jobs.models import Job, JobEffect
from amity.jobs.registry import job

PURGE = "maintenance.purge"


@job(PURGE, max_attempts=3)
def purge(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """Idempotency records past their TTL; done jobs, effects and schedule slots past the
    retention (effects stay while their job is kept, so a manual retry still skips them)."""
    at = now()
    cutoff = at - timedelta(days=ctx.settings.jobs_retention_days)
    db.execute(delete(IdempotencyRecord).where(
        IdempotencyRecord.created_at < at - timedelta(hours=ctx.settings.idempotency_ttl_hours)),
        execution_options={"synchronize_session": False})
    db.commit()
    store.purge_done(ctx.database, older_than=cutoff)
    schedule.purge_runs(ctx.database, older_than=cutoff)
    schedule.purge_frequent(ctx.database, older_than=at - schedule.FREQUENT_KEEP)
    db.execute(delete(JobEffect).where(
        JobEffect.done_at < cutoff,
        ~exists(select(Job.id).where(Job.id == JobEffect.job_id))),
        execution_options={"synchronize_session": False})
