"""The queue's state changes, each one short statement: claim, finish, fail, renew, reap.

Claims take the first waiting jobs in (priority, run_at) order. On PostgreSQL the candidate
rows are locked with ``FOR UPDATE SKIP LOCKED``, so any number of workers on any machines
claim different jobs without waiting on each other; on SQLite the claim is one ``BEGIN
IMMEDIATE`` write transaction, which the database serialises. Every change after the claim is
fenced on (locked_by, attempts): a worker whose lease expired and whose job was claimed again
can no longer mark it done or failed.
"""

from __future__ import annotations

import traceback
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Table,
    and_,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from amity.core.clock import now
from amity.core.db import Database
from amity.jobs.models import (
    _RUNNING_SQL,
    _WAITING_SQL,
    DEAD,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    Job,
)

MAX_ERROR = 4000
# The hot path runs statements built once, with parameters, on the table (not the ORM):
# building a statement costs about as much Python as sending it.
JOBS = cast(Table, Job.__table__)
C = JOBS.c
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")


def no_flush_wait(s: Session) -> None:
    """On PostgreSQL, commit this transaction without waiting for the WAL flush.

    Used for the queue's own bookkeeping (claims, completions, failures, dispatch): if the
    database crashes, the last fraction of a second of these may be forgotten, which only
    sends those jobs round again (they are idempotent; the lease fence stops a stale worker),
    and each job saves two disk flushes. Keys of outside effects are always flushed.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.execute(_ASYNC_COMMIT)


@dataclass(frozen=True)
class Claim:
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


def _p(name: str, column: Any) -> Any:
    return bindparam(f"p_{name}", type_=column.type)


# Fenced on (id, running, locked_by, attempts): only the worker that holds the job.
_FENCE = and_(C.id == _p("id", C.id), C.status == RUNNING, C.locked_by == _p("worker", C.locked_by),
              C.attempts == _p("attempt", C.attempts))
_DUE = select(C.id).where(_WAITING_SQL, C.run_at <= _p("at", C.run_at))


def _claim_stmt(skip_locked: bool) -> Any:
    pick = _DUE.order_by(C.priority, C.run_at).limit(bindparam("p_n"))
    if skip_locked:
        pick = pick.with_for_update(skip_locked=True)
    return (update(JOBS).where(C.id.in_(pick.scalar_subquery()))
            .values(status=RUNNING, attempts=C.attempts + 1,
                    locked_by=_p("worker", C.locked_by),
                    lease_until=_p("lease", C.lease_until), started_at=_p("at", C.started_at))
            .returning(C.id, C.kind, C.payload, C.attempts, C.max_attempts, C.priority,
                       C.run_at))


_CLAIM = {"postgresql": _claim_stmt(True), "sqlite": _claim_stmt(False)}
_DONE = update(JOBS).where(_FENCE).values(status=DONE, finished_at=_p("at", C.finished_at),
                                          locked_by=None, lease_until=None)
_RETRY = update(JOBS).where(_FENCE).values(status=FAILED, run_at=_p("run_at", C.run_at),
                                           last_error=_p("error", C.last_error),
                                           locked_by=None, lease_until=None)
_DEAD = update(JOBS).where(_FENCE).values(status=DEAD, finished_at=_p("at", C.finished_at),
                                          last_error=_p("error", C.last_error),
                                          locked_by=None, lease_until=None)


def _fenced(claim: Claim, worker: str) -> dict[str, Any]:
    return {"p_id": claim.id, "p_worker": worker, "p_attempt": claim.attempt}


def has_waiting(database: Database) -> bool:
    """A cheap read: is any job due? (spares SQLite a write lock when the queue is idle)."""
    with database.transaction(write=False) as s:
        return s.execute(_DUE.limit(1), {"p_at": now()}).first() is not None


def claim(database: Database, worker: str, *, limit: int = 1, lease_s: float) -> list[Claim]:
    """Take up to ``limit`` due jobs for ``worker`` and hold them for ``lease_s`` seconds."""
    at = now()
    params = {"p_at": at, "p_n": limit, "p_worker": worker,
              "p_lease": at + timedelta(seconds=lease_s)}
    with database.transaction() as s:
        no_flush_wait(s)
        rows = s.execute(_CLAIM[database.dialect], params).all()
    rows = sorted(rows, key=lambda r: (r[5], r[6]))  # RETURNING keeps no order
    return [Claim(r[0], r[1], r[2] or {}, r[3], r[4]) for r in rows]


def mark_done(db: Session, claim: Claim, worker: str) -> bool:
    """In the handler's own transaction: done only if this worker still holds the job."""
    no_flush_wait(db)
    result: CursorResult[Any] = db.execute(  # type: ignore[assignment]
        _DONE, {**_fenced(claim, worker), "p_at": now()})
    return result.rowcount == 1


def error_text(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    head = f"{type(exc).__name__}: {exc}"
    return head if len(head) >= MAX_ERROR else (head + "\n\n" + text[-(MAX_ERROR - len(head)
                                                                         - 2):])[:MAX_ERROR]


def mark_failed(database: Database, claim: Claim, worker: str, *, error: str, dead: bool,
                retry_in: timedelta) -> str | None:
    """Record a failed attempt: retry at now + ``retry_in``, or dead. None if the job was
    taken over meanwhile."""
    at = now()
    params = {**_fenced(claim, worker), "p_error": error[:MAX_ERROR], "p_at": at,
              "p_run_at": at + retry_in}
    with database.transaction() as s:
        no_flush_wait(s)
        result: CursorResult[Any] = s.execute(  # type: ignore[assignment]
            _DEAD if dead else _RETRY, params)
    return (DEAD if dead else FAILED) if result.rowcount == 1 else None


def renew(database: Database, worker: str, ids: list[uuid.UUID], lease_s: float) -> set[uuid.UUID]:
    """Extend the leases this worker still holds; returns those ids."""
    if not ids:
        return set()
    with database.transaction() as s:
        rows = s.execute(update(JOBS).where(C.id.in_(ids), C.locked_by == worker,
                                            C.status == RUNNING)
                         .values(lease_until=now() + timedelta(seconds=lease_s))
                         .returning(C.id)).all()
    return {r[0] for r in rows}


LOST = "lease expired: the worker stopped (or stalled) while running it"


def reap_expired(database: Database) -> int:
    """Jobs whose worker stopped renewing: claimable again, or dead after their last attempt."""
    at = now()
    expired = and_(_RUNNING_SQL, Job.lease_until < at)
    with database.transaction() as s:
        ids = list(s.scalars(select(Job.id).where(expired).limit(1000)))
        if not ids:
            return 0
        common = {"locked_by": None, "lease_until": None, "last_error": LOST}
        mine = and_(Job.id.in_(ids), expired)
        s.execute(update(Job).where(mine, Job.attempts >= Job.max_attempts)
                  .values(status=DEAD, finished_at=at, **common),
                  execution_options={"synchronize_session": False})
        s.execute(update(Job).where(mine, Job.attempts < Job.max_attempts)
                  .values(status=FAILED, run_at=at, **common),
                  execution_options={"synchronize_session": False})
    return len(ids)


def requeue(db: Session, job: Job) -> None:
    """A dead or failed job runs again now, with a fresh set of attempts."""
    job.status, job.run_at, job.attempts = QUEUED, now(), 0
    job.locked_by = job.lease_until = job.finished_at = None


def purge_done(database: Database, *, older_than: datetime, batch: int = 1000) -> int:
    """Delete done jobs finished before ``older_than``, in batches; returns how many."""
    total = 0
    while True:
        with database.transaction() as s:
            ids = list(s.scalars(select(Job.id).where(Job.status == DONE,
                                                      Job.finished_at < older_than)
                                 .limit(batch)))
            if ids:
                s.execute(delete(Job).where(Job.id.in_(ids)),
                          execution_options={"synchronize_session": False})
        total += len(ids)
        if len(ids) < batch:
            return total


def counts(db: Session) -> dict[str, int]:
    rows = db.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {str(status): int(n) for status, n in rows}


def oldest_due(db: Session) -> datetime | None:
    """When the longest-waiting due job became due (None when nothing waits)."""
    value: datetime | None = db.scalar(select(func.min(Job.run_at))
                                       .where(_WAITING_SQL, Job.run_at <= now()))
    return value


__all__ = ["DEAD", "DONE", "FAILED", "QUEUED", "RUNNING", "Claim"]
