"""Workers: claim due jobs, run them, retry or bury them, renew leases, dispatch, schedule.

A ``Worker`` is a set of threads in one process: ``concurrency`` runners (each claims one job
at a time and runs it), a heartbeat (renews the leases of the jobs in hand every third of a
lease) and a housekeeper (event dispatch, the scheduler's tick, returning expired leases to
the queue). ``amity worker`` runs one per process; ``amity serve`` runs one inside the web
process. Any number of them may share a database.

A job's handler runs in its own session; the ``done`` mark is written in that same
transaction, fenced on the lease, so a handler's database changes and its completion commit
together. An exception rolls the handler back and schedules a retry with exponential backoff
(``queue.backoff``), or marks the job ``dead`` after ``max_attempts`` (or a ``PermanentError``),
keeping the error.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable

from amity.config import Settings
from amity.core.db import Database
from amity.jobs import dispatch, queue, registry, store
from amity.jobs.context import JobContext, LeaseLost
from amity.jobs.metrics import count_failure
from amity.jobs.schedule import SCHEDULES, Schedule, Scheduler

log = logging.getLogger("amity.jobs")


def worker_name() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


def execute(database: Database, settings: Settings, claim: store.Claim, worker: str,
            renew: Callable[[], bool] | None = None) -> str:
    """Run one claimed job to its next status: done, failed, dead, or lost (taken over)."""
    spec = registry.kind_of(claim.kind)
    session = database.session(write=True)
    ctx = JobContext(job_id=claim.id, kind=claim.kind, attempt=claim.attempt,
                     max_attempts=claim.max_attempts, worker=worker, database=database,
                     settings=settings, db=session,
                     renew=renew or (lambda: bool(store.renew(database, worker, [claim.id],
                                                              settings.jobs_lease_s))))
    try:
        if spec is None:
            raise registry.PermanentError(f"no handler is registered for job kind "
                                          f"{claim.kind!r}")
        spec.fn(claim.payload, session, ctx)
        if not store.mark_done(session, claim, worker):
            raise LeaseLost(f"job {claim.id} was taken over by another worker")
        session.commit()
        return store.DONE
    except LeaseLost as exc:
        session.rollback()
        log.warning("%s", exc)
        return "lost"
    except Exception as exc:
        session.rollback()
        return _failed(database, settings, claim, worker, exc)
    finally:
        session.close()


def _failed(database: Database, settings: Settings, claim: store.Claim, worker: str,
            exc: Exception) -> str:
    dead = isinstance(exc, registry.PermanentError) or claim.attempt >= claim.max_attempts
    wait = queue.backoff(claim.attempt, base_s=settings.jobs_backoff_base_s,
                         max_s=settings.jobs_backoff_max_s)
    outcome = store.mark_failed(database, claim, worker, error=store.error_text(exc),
                                dead=dead, retry_in=wait)
    if outcome in (store.DEAD, store.FAILED):
        count_failure(claim.kind, outcome)
    if outcome == store.DEAD:
        log.error("job %s (%s) is dead after attempt %d/%d: %s", claim.id, claim.kind,
                  claim.attempt, claim.max_attempts, exc)
    elif outcome == store.FAILED:
        log.warning("job %s (%s) attempt %d/%d failed, retrying in %.0f s: %s", claim.id,
                    claim.kind, claim.attempt, claim.max_attempts, wait.total_seconds(), exc)
    return outcome or "lost"


def run_until_idle(database: Database, settings: Settings, *, worker: str = "inline",
                   max_jobs: int = 100_000, events: bool = True) -> int:
    """Dispatch events and run due jobs in this thread until none is due; returns how many
    ran. For tests, scripts and ``amity worker --burst``."""
    registry.load_handlers(settings.jobs_modules)
    ran = 0
    while ran < max_jobs:
        if events:
            while dispatch.dispatch_events(database)[0]:
                pass
        claims = store.claim(database, worker, limit=1, lease_s=settings.jobs_lease_s)
        if not claims:
            return ran
        for c in claims:
            execute(database, settings, c, worker)
            ran += 1
    return ran


class Worker:
    """Runner, heartbeat and housekeeping threads sharing one database."""

    def __init__(self, database: Database, settings: Settings, *, concurrency: int = 1,
                 name: str | None = None, housekeeping: bool = True,
                 schedules: tuple[Schedule, ...] = SCHEDULES) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.database, self.settings = database, settings
        self.concurrency, self.name = concurrency, name or worker_name()
        self.housekeeping = housekeeping
        self.scheduler = Scheduler(database, schedules)
        self.processed = 0
        self._stop = threading.Event()
        self._runners_done = threading.Event()
        self._wakes = [threading.Event() for _ in range(concurrency)]
        self._inflight: dict[uuid.UUID, store.Claim] = {}
        self._lost: set[uuid.UUID] = set()
        self._lock = threading.Lock()
        self._runners: list[threading.Thread] = []
        self._others: list[threading.Thread] = []

    # lifecycle
    def start(self) -> None:
        registry.load_handlers(self.settings.jobs_modules)
        self._runners = [threading.Thread(target=self._run, args=(i,), daemon=True,
                                          name=f"amity-job-{i}")
                         for i in range(self.concurrency)]
        self._others = [threading.Thread(target=self._heartbeat, daemon=True,
                                         name="amity-job-heartbeat")]
        if self.housekeeping:
            self._others.append(threading.Thread(target=self._housekeep, daemon=True,
                                                 name="amity-job-housekeeping"))
        for t in self._runners + self._others:
            t.start()
        log.info("worker %s started: %d runner(s)", self.name, self.concurrency)

    def stop_soon(self) -> None:
        """Stop claiming (safe in a signal handler); ``stop`` then waits for the jobs."""
        self._stop.set()
        self.wake()

    def stop(self, *, timeout: float | None = None) -> None:
        """Stop claiming; wait for the jobs in hand to finish (their leases kept alive)."""
        self.stop_soon()
        for t in self._runners:
            t.join(timeout)
        self._runners_done.set()
        for t in self._others:
            t.join(timeout)
        log.info("worker %s stopped after %d job(s)", self.name, self.processed)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wake(self) -> None:
        for e in self._wakes:
            e.set()

    def wait(self) -> None:
        """Block until ``stop`` is called (from a signal handler, say)."""
        while not self._stop.wait(0.5):
            pass

    # threads
    def _run(self, index: int) -> None:
        wake = self._wakes[index]
        poll = self.settings.jobs_poll_interval_s
        while not self._stop.is_set():
            wake.clear()
            try:
                claims = self._claim()
            except Exception:
                log.exception("claiming jobs failed; trying again shortly")
                claims = []
            if not claims:
                wake.wait(poll * random.uniform(0.8, 1.2))
                continue
            for c in claims:
                self._execute(c)

    def _claim(self) -> list[store.Claim]:
        if self.database.dialect == "sqlite" and not store.has_waiting(self.database):
            return []  # spares SQLite's single write lock while idle
        return store.claim(self.database, self.name, limit=1,
                           lease_s=self.settings.jobs_lease_s)

    def _execute(self, claim: store.Claim) -> None:
        with self._lock:
            self._inflight[claim.id] = claim
        try:
            execute(self.database, self.settings, claim, self.name,
                    renew=lambda: self._renew_one(claim.id))
        except Exception:  # the database went away while finishing: the lease will expire
            log.exception("job %s (%s) could not be finished", claim.id, claim.kind)
        finally:
            with self._lock:
                self._inflight.pop(claim.id, None)
                self._lost.discard(claim.id)
                self.processed += 1

    def _renew_one(self, job_id: uuid.UUID) -> bool:
        with self._lock:
            if job_id in self._lost:
                return False
        held = store.renew(self.database, self.name, [job_id], self.settings.jobs_lease_s)
        return job_id in held

    def _heartbeat(self) -> None:
        every = self.settings.jobs_lease_s / 3
        while not self._runners_done.wait(every):
            with self._lock:
                ids = list(self._inflight)
            if not ids:
                continue
            try:
                held = store.renew(self.database, self.name, ids, self.settings.jobs_lease_s)
            except Exception:
                log.exception("renewing leases failed")
                continue
            with self._lock:
                self._lost |= {i for i in ids if i in self._inflight and i not in held}

    def _housekeep(self) -> None:
        reap_every = min(self.settings.jobs_lease_s / 2, 10.0)
        next_tick = next_reap = 0.0
        while not self._stop.is_set():
            try:
                more = self._dispatch()
                clock = time.monotonic()
                if clock >= next_tick:
                    next_tick = clock + 1.0
                    if self.scheduler.tick():
                        self.wake()
                if clock >= next_reap:
                    next_reap = clock + reap_every
                    if store.reap_expired(self.database):
                        self.wake()
            except Exception:
                log.exception("job housekeeping failed; trying again shortly")
                more = False
            if not more:
                self._stop.wait(self.settings.jobs_dispatch_interval_s)

    def _dispatch(self) -> bool:
        """One batch of events; True when there may be more right away."""
        if self.database.dialect == "sqlite" and not dispatch.has_pending(self.database):
            return False
        events, jobs = dispatch.dispatch_events(self.database)
        if jobs:
            self.wake()
        return events >= dispatch.BATCH
