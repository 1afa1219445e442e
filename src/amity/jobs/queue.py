"""Putting jobs on the queue, in the caller's transaction.

``enqueue`` adds a row to the session it is given: the job exists if and only if the change
that caused it commits, and runs after that commit. A job with an ``idempotency_key`` already
on the queue (in any status) is not added again; the existing one is returned.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.core.clock import now
from amity.jobs import registry
from amity.jobs.models import QUEUED, Job


def _check(kind: str, payload: dict[str, Any], idempotency_key: str | None) -> registry.JobKind:
    spec = registry.kind_of(kind)
    if spec is None:
        raise ValueError(f"no handler is registered for job kind {kind!r}")
    if not isinstance(payload, dict):
        raise TypeError("a job payload is a dict of ids and small values")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise ValueError("an idempotency key has 1 to 200 characters")
    return spec


def _insert_ignoring_duplicates(db: Session, rows: list[dict[str, Any]]) -> None:
    dialect = db.get_bind().dialect.name
    ins = (postgresql.insert(Job) if dialect == "postgresql" else sqlite.insert(Job))
    db.execute(ins.on_conflict_do_nothing(index_elements=["idempotency_key"]), rows)


def _row(spec: registry.JobKind, payload: dict[str, Any], run_at: datetime | None,
         idempotency_key: str | None, max_attempts: int | None,
         priority: int | None) -> dict[str, Any]:
    at = now()
    return {"id": uuid.uuid4(), "kind": spec.name, "payload": payload, "status": QUEUED,
            "priority": spec.priority if priority is None else priority,
            "run_at": run_at or at, "attempts": 0,
            "max_attempts": spec.max_attempts if max_attempts is None else max_attempts,
            "idempotency_key": idempotency_key, "created_at": at}


def enqueue(db: Session, kind: str, payload: dict[str, Any] | None = None, *,
            run_at: datetime | None = None, idempotency_key: str | None = None,
            max_attempts: int | None = None, priority: int | None = None) -> Job:
    """Add a job of ``kind`` to the current transaction (or return the one with this key).

    ``run_at`` delays it; ``priority`` (smaller first) and ``max_attempts`` default to the
    kind's registration.
    """
    payload = payload or {}
    spec = _check(kind, payload, idempotency_key)
    if max_attempts is not None and max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be timezone-aware")
    row = _row(spec, payload, run_at, idempotency_key, max_attempts, priority)
    if idempotency_key is None:
        job = Job(**row)
        db.add(job)
        return job
    existing = db.scalar(select(Job).where(Job.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    # A concurrent enqueue of the same key waits for the other transaction, then skips.
    _insert_ignoring_duplicates(db, [row])
    added = db.scalar(select(Job).where(Job.idempotency_key == idempotency_key))
    assert added is not None
    return added


def enqueue_many(db: Session,
                 jobs: Sequence[tuple[str, dict[str, Any], str, datetime | None]]) -> None:
    """Add (kind, payload, idempotency key, run_at) jobs in one statement, skipping known
    keys."""
    if not jobs:
        return
    rows = [_row(_check(kind, payload, key), payload, run_at, key, None, None)
            for kind, payload, key, run_at in jobs]
    _insert_ignoring_duplicates(db, rows)


def backoff(attempts: int, *, base_s: float, max_s: float,
            rand: float | None = None) -> timedelta:
    """The wait before retry number ``attempts``: base * 2^(attempts-1), capped, then jittered
    into [half, whole] so jobs that failed together do not all retry in the same instant."""
    full = min(max_s, base_s * 2 ** max(0, attempts - 1))
    r = random.random() if rand is None else rand
    return timedelta(seconds=full / 2 + full / 2 * r)
