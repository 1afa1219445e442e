"""Job kinds the fault tests run in real ``amity worker`` processes (AMITY_JOBS_MODULES)."""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy.orm import Session

from amity.core import audit
from amity.core.mail import build_message, send_message
from amity.jobs import JobContext, job


@job("fault.sleepy_mail", max_attempts=5)
def sleepy_mail(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """Sleeps, emails once, sleeps again: a worker killed in either sleep is the test.

    The message's Message-ID comes from the job, as Amity's own senders' do, so a receiver can
    tell a resend from a new message. ``sleep_in_window`` holds the worker between the email
    and the record of it on the first attempt (the window ``effects`` documents)."""
    time.sleep(payload["sleep_before"])

    def mail() -> None:
        msg = build_message(ctx.settings, to=payload["to"], subject=f"Job {ctx.job_id}",
                            body=f"attempt {ctx.attempt} by {os.getpid()}\n")
        msg.replace_header("Message-ID", f"<job-{ctx.job_id}@amity.test>")
        send_message(ctx.settings, msg)
        if ctx.attempt == 1:
            time.sleep(payload.get("sleep_in_window", 0))

    ctx.once("mail", mail)
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
