"""Prometheus metrics: request latency by route template, database pool use, the job queue.

Request and pool metrics live in this process (or, when ``PROMETHEUS_MULTIPROC_DIR`` is set
before start — ``amity serve --workers N`` sets it, gunicorn must be given one — in files every
web process writes, summed at scrape time). The job queue's depth and age are read from the
database when /metrics is scraped, so every web process reports the same truth about one queue
and no worker has to be scraped.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool

from amity.core.clock import now
from amity.core.db import Database
from amity.jobs.models import DEAD, FAILED, QUEUED, RUNNING, Job

CONTENT_TYPE = CONTENT_TYPE_LATEST
BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("amity_http_requests", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("amity_http_request_duration_seconds",
                    "Time from request to the end of the response, by route template",
                    ["method", "route"], buckets=BUCKETS)
POOL_IN_USE = Gauge("amity_db_pool_in_use", "Database connections checked out of the pool",
                    ["database"], multiprocess_mode="livesum")
POOL_SIZE = Gauge("amity_db_pool_size", "Database connections the pool keeps (its size; "
                  "up to max_overflow more are opened under load)", ["database"],
                  multiprocess_mode="livesum")

_instrumented: weakref.WeakSet[Engine] = weakref.WeakSet()


def instrument_pool(engine: Engine, name: str) -> None:
    """Count this engine's checked-out connections (twice-instrumenting is a no-op)."""
    if engine in _instrumented:
        return
    _instrumented.add(engine)
    pool = engine.pool
    if isinstance(pool, QueuePool):
        POOL_SIZE.labels(name).inc(pool.size())
    in_use = POOL_IN_USE.labels(name)
    # Pool events: two mmap/int increments per checkout, far below a query's cost.
    event.listen(engine, "checkout", lambda *_: in_use.inc())
    event.listen(engine, "checkin", lambda *_: in_use.dec())


class JobQueueCollector(Collector):
    """Jobs per queue (kind) and status, and the age of the oldest in each, read at scrape.

    Done jobs are left out (they are history, purged after AMITY_JOBS_RETENTION_DAYS); ``dead``
    ones are the dead letters, kept until someone retries or deletes them.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("amity_jobs", "Jobs not done, per queue (job kind) and "
                                  "status; status=dead are dead letters",
                                  labels=["queue", "status"])
        age = GaugeMetricFamily("amity_jobs_oldest_age_seconds", "Age of the oldest job per "
                                "queue and status (since it was enqueued)",
                                labels=["queue", "status"])
        up = GaugeMetricFamily("amity_jobs_stats_up", "1 if the job queue could be read")
        rows: list[Any] = []
        try:
            with self.database.transaction(write=False) as s:
                rows = list(s.execute(
                    select(Job.kind, Job.status, func.count(), func.min(Job.created_at))
                    .where(Job.status.in_((QUEUED, RUNNING, FAILED, DEAD)))
                    .group_by(Job.kind, Job.status)))
            up.add_metric([], 1)
        except SQLAlchemyError:
            up.add_metric([], 0)
        at = now()
        for kind, status, count, oldest in rows:
            depth.add_metric([kind, status], count)
            age.add_metric([kind, status], _age(at, oldest))
        yield depth
        yield age
        yield up


def _age(at: datetime, oldest: Any) -> float:
    if isinstance(oldest, str):  # SQLite's MIN over a timestamp column returns text
        oldest = datetime.fromisoformat(oldest)
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=at.tzinfo)
    return max(0.0, float((at - oldest).total_seconds()))


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def render(app_registry: CollectorRegistry) -> bytes:
    """The exposition text: this process's (or every process's) metrics, then the queue's."""
    if multiprocess_dir():
        shared = CollectorRegistry()
        multiprocess.MultiProcessCollector(shared)  # type: ignore[no-untyped-call]
        head = generate_latest(shared)
    else:
        head = generate_latest(REGISTRY)
    return head + generate_latest(app_registry)


def app_registry(database: Database) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobQueueCollector(database))
    return registry


def mark_process_dead(pid: int) -> None:
    """For gunicorn's ``child_exit`` hook: a dead worker's live gauges stop counting."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
