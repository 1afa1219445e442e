"""Outside actions (an email, a webhook call) done once even when their job runs again.

``once(database, key, action)`` looks the key up, runs the action if it is not there, and
records the key in its own committed transaction right after. A retry of the job (after an
error, a crash or a lost lease) finds the key and skips the action.

The window that remains, honestly: if the process dies *after* the action and *before* the
key's commit (a few milliseconds: one INSERT), the retry repeats the action. So does a second
run that started while the first was still inside the action (only when a lease expired under
a live worker: the heartbeat makes that rare). Receivers that can de-duplicate are given the
key too, so the window closes on their side: a webhook's delivery id, and an email's Message-ID
(``JobContext.message_id``: every email a job sends carries one derived from its effect key,
so a resend is the same message; tests/jobs/test_faults.py kills a worker inside the window).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from amity.core.clock import now
from amity.core.db import Database
from amity.jobs.models import JobEffect

MAX_KEY = 240


def is_done(database: Database, key: str) -> bool:
    with database.transaction(write=False) as s:
        return s.scalar(select(JobEffect.key).where(JobEffect.key == key)) is not None


def record(database: Database, key: str, job_id: uuid.UUID | None = None) -> None:
    """Remember that the action behind ``key`` happened (commits at once)."""
    with database.transaction() as s:
        ins = (postgresql.insert(JobEffect) if database.dialect == "postgresql"
               else sqlite.insert(JobEffect))
        s.execute(ins.values(key=key, job_id=job_id, done_at=now())
                  .on_conflict_do_nothing(index_elements=["key"]))


def once(database: Database, key: str, action: Callable[[], Any],
         job_id: uuid.UUID | None = None) -> bool:
    """Run ``action`` unless ``key`` was recorded before; True when it ran now."""
    if not key or len(key) > MAX_KEY:
        raise ValueError(f"an effect key has 1 to {MAX_KEY} characters")
    if is_done(database, key):
        return False
    action()
    record(database, key, job_id)
    return True
