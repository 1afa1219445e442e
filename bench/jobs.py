"""Job runtime throughput and event-to-action latency, with real ``amity worker`` processes.

    python bench/jobs.py --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_jobs

Drops and recreates the database and migrates it. Throughput: for 1, 2 and 4 worker processes
(``--concurrency`` runner threads each), starts the workers, warms them up with 200 jobs, then
enqueues ``--jobs`` trivial jobs in one transaction and reports jobs per second from that
commit to the last ``finished_at``. Latency: with 2 worker processes running (default poll
and dispatch intervals), publishes ``--events`` events one by one, 20-80 ms apart, each with
one subscriber, and reports the median and p95 of (subscriber job finished_at - event
occurred_at). See bench/README.md.

The worker processes import this file as the module ``jobs`` (AMITY_JOBS_MODULES) to get the
benchmark's job kinds.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amity.core.events import DomainEvent, EventRecord
from amity.jobs import JobContext, job, on_event
from amity.jobs.models import Job

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@job("bench.noop")
def noop(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """Nothing: what the queue itself costs."""


@on_event("bench.ping", name="bench.pong")
def pong(event: EventRecord, db: Session, ctx: JobContext) -> None:
    """Reacts to a ping: the time from the event to here is the latency measured."""


@dataclass(frozen=True)
class Ping(DomainEvent):
    type = "bench.ping"
    ping_id: uuid.UUID


def start_workers(url: str, n: int, concurrency: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "AMITY_DATABASE_URL": url, "AMITY_JOBS_MODULES": "jobs",
           "AMITY_LOG_LEVEL": "warning",
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    return [subprocess.Popen([sys.executable, "-m", "amity.cli", "worker", "--concurrency",
                              str(concurrency)], env=env, cwd=ROOT) for _ in range(n)]


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(30)


def enqueue_noops(database: Any, n: int, tag: str) -> float:
    from amity.jobs import queue

    with database.transaction() as s:
        for i in range(n):
            queue.enqueue(s, "bench.noop", {"i": i, "tag": tag})
        s.flush()
    return time.time()


def wait_done(database: Any, kind: str, n: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.transaction(write=False) as s:
            done = s.scalar(select(func.count()).select_from(Job).where(
                Job.kind == kind, Job.status == "done"))
        if done == n:
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out: {done}/{n} {kind} jobs done")


def throughput(database: Any, url: str, processes: int, concurrency: int, n: int) -> float:
    from sqlalchemy import delete

    # Only the benchmark's own rows: deleting every job (as this did) removed the scheduler's
    # jobs under the running workers, whose "done" then found no row and was logged as "taken
    # over by another worker" at start-up.
    with database.transaction() as s:
        s.execute(delete(Job).where(Job.kind == "bench.noop"))
    procs = start_workers(url, processes, concurrency)
    try:
        enqueue_noops(database, 200, "warm-up")
        wait_done(database, "bench.noop", 200)
        with database.transaction() as s:
            s.execute(delete(Job).where(Job.kind == "bench.noop"))
        committed = enqueue_noops(database, n, "run")
        wait_done(database, "bench.noop", n)
        with database.transaction(write=False) as s:
            last = s.scalar(select(func.max(Job.finished_at)).where(Job.kind == "bench.noop"))
        return n / (last.timestamp() - committed)
    finally:
        stop_workers(procs)


def latency(database: Any, url: str, events: int, concurrency: int) -> list[float]:
    from amity.core import events as domain_events

    procs = start_workers(url, 2, concurrency)
    try:
        time.sleep(3)  # start-up
        for _ in range(events):
            with database.transaction() as s:
                domain_events.publish(s, Ping(uuid.uuid4()))
            time.sleep(random.uniform(0.02, 0.08))
        wait_done(database, "event:bench.pong", events)
        with database.transaction(write=False) as s:
            occurred = dict(s.execute(select(EventRecord.id, EventRecord.occurred_at)).all())
            finished = s.execute(select(Job.payload, Job.finished_at)
                                 .where(Job.kind == "event:bench.pong")).all()
        rows = [(occurred[uuid.UUID(p["event_id"])], done) for p, done in finished]
        return [(done - at).total_seconds() for at, done in rows]
    finally:
        stop_workers(procs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/amity_bench_jobs")
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()

    sys.path.insert(0, str(HERE))
    from contacts_api import recreate_database

    from amity.core.db import Database, make_engine
    from amity.db import upgrade

    url = args.database_url
    recreate_database(url)
    upgrade(url)
    database = Database(make_engine(url, pool_size=2))
    print(f"throughput: {args.jobs} trivial jobs, --concurrency {args.concurrency}")
    for n in (int(p) for p in args.processes.split(",")):
        rate = throughput(database, url, n, args.concurrency, args.jobs)
        print(f"  {n} worker process(es): {rate:,.0f} jobs/s")
    lat = sorted(latency(database, url, args.events, args.concurrency))
    p95 = lat[int(0.95 * (len(lat) - 1))]
    print(f"event -> subscriber job done, {len(lat)} events, 2 workers: median "
          f"{statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"max {lat[-1] * 1000:.0f} ms")
    database.dispose()


if __name__ == "__main__":
    main()
