"""Job kinds the fault tests run in real ``amity worker`` processes (AMITY_JOBS_MODULES)."""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy.orm import Session

from amity.core import audit
from amity.core.mail import send_mail
from amity.jobs import JobContext, job


@job("fault.sleepy_mail", max_attempts=5)
def sleepy_mail(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """Sleeps, emails once, sleeps again: a worker killed in either sleep is the test."""
    time.sleep(payload["sleep_before"])
    ctx.once("mail", lambda: send_mail(ctx.settings, to=payload["to"],
                                       subject=f"Job {ctx.job_id}",
                                       body=f"attempt {ctx.attempt} by {os.getpid()}\n"))
    time.sleep(payload["sleep_after"])


@job("fault.count")
def count(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """Notes every run outside the database, and commits one audit row with the done mark."""
    with open(payload["log"], "a") as f:  # O_APPEND: one short line per write, whole
        f.write(f"{ctx.job_id} {ctx.attempt} {os.getpid()}\n")
    audit.record(db, actor_id=None, action="fault.ran", entity_type="job",
                 entity_id=ctx.job_id)
    if payload.get("sleep"):
        time.sleep(payload["sleep"])
