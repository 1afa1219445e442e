"""Fault tests on PostgreSQL with three real ``amity worker`` processes.

A worker killed with SIGKILL mid-job: its job is run again by another worker once the lease
(1 s here) expires, and its email reaches a real SMTP server (aiosmtpd) exactly once. A
thousand jobs shared by three workers: each runs once, none is lost.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from amity.core.audit import AuditEntry
from amity.core.db import Database, make_engine
from amity.jobs import effects, queue
from amity.jobs.models import Job
from tests.conftest import _truncate_all
from tests.jobs import fault_handlers
from tests.jobs.conftest import Inbox

ROOT = Path(__file__).resolve().parents[2]
assert fault_handlers  # registers the fault.* kinds in this process too


@pytest.fixture
def pg(pg_database_url: str) -> Iterator[Database]:
    db = Database(make_engine(pg_database_url, pool_size=5, max_overflow=5))
    _truncate_all(db)
    yield db
    db.dispose()


class Workers:
    def __init__(self, url: str, smtp_port: int, logs: Path) -> None:
        self.logs = logs
        self.env = {**os.environ, "AMITY_DATABASE_URL": url, "AMITY_ENVIRONMENT": "test",
                    "AMITY_JOBS_LEASE_S": "1", "AMITY_JOBS_POLL_INTERVAL_S": "0.05",
                    "AMITY_JOBS_DISPATCH_INTERVAL_S": "0.05",
                    "AMITY_JOBS_MODULES": "tests.jobs.fault_handlers",
                    "AMITY_SMTP_HOST": "127.0.0.1", "AMITY_SMTP_PORT": str(smtp_port),
                    "AMITY_SMTP_STARTTLS": "false", "AMITY_LOG_LEVEL": "warning",
                    "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH",
                                                                              "")])}
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, n: int = 3, concurrency: int = 2) -> None:
        for _ in range(n):
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "amity.cli", "worker", "--concurrency",
                 str(concurrency)], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                stderr=(self.logs / f"worker-{len(self.procs)}.log").open("wb")))

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    def alive(self) -> list[int]:
        return [p.pid for p in self.procs if p.poll() is None]

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture
def workers(pg: Database, inbox: Inbox, tmp_path: Path) -> Iterator[Workers]:
    w = Workers(pg.engine.url.render_as_string(hide_password=False), inbox.port, tmp_path)
    yield w
    w.stop()
    for log in sorted(tmp_path.glob("worker-*.log")):  # shown when a test fails
        if log.read_text().strip():
            print(log.name, log.read_text()[-2000:])


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or check}")


def job_row(db: Database, job_id: Any) -> Job:
    with db.transaction(write=False) as s:
        row = s.get(Job, job_id)
        assert row is not None
        return row


@pytest.mark.parametrize("killed", ["before the email", "after the email, before done"])
def test_a_killed_worker_s_job_is_retried_and_emails_exactly_once(
        pg: Database, workers: Workers, inbox: Inbox, killed: str) -> None:
    before = killed.startswith("before")
    with pg.transaction() as s:
        job = queue.enqueue(s, "fault.sleepy_mail", {
            "to": "ada@example.com", "sleep_before": 1.5 if before else 0,
            "sleep_after": 0 if before else 1.5})
    workers.start(3)
    if before:
        wait_for(lambda: job_row(pg, job.id).status == "running", what="the job to start")
    else:
        # "after the email" is after the job recorded it: the milliseconds between the SMTP
        # server's answer and that record are the window of the next test.
        wait_for(lambda: inbox.messages and effects.is_done(pg, f"{job.id}:mail"),
                 what="the email and its record")
    holder = job_row(pg, job.id).locked_by
    assert holder is not None
    pid = int(holder.split(":")[-2])
    assert pid in workers.alive()
    workers.kill(pid)
    done = wait_for(lambda: (r := job_row(pg, job.id)).status == "done" and r, timeout=20,
                    what="another worker to finish the job")
    assert done.attempts == 2  # the killed attempt, then another worker's
    time.sleep(0.5)
    assert len(inbox.messages) == 1, [m["Subject"] for m in inbox.messages]
    assert inbox.messages[0]["Subject"] == f"Job {job.id}"
    assert len(workers.alive()) == 2


def test_a_worker_killed_between_the_email_and_its_record_resends_it_with_the_same_id(
        pg: Database, workers: Workers, inbox: Inbox) -> None:
    """The one window ``effects`` cannot close alone: the email went out, the process died
    before recording it. The retry sends it again, as the same message (same Message-ID), so
    a receiver that de-duplicates (most mail stores do) shows it once."""
    with pg.transaction() as s:
        job = queue.enqueue(s, "fault.sleepy_mail", {
            "to": "ada@example.com", "sleep_before": 0, "sleep_after": 0,
            "sleep_in_window": 30})
    workers.start(3)
    wait_for(lambda: inbox.messages, what="the email")
    assert not effects.is_done(pg, f"{job.id}:mail")
    holder = job_row(pg, job.id).locked_by
    assert holder is not None
    workers.kill(int(holder.split(":")[-2]))
    done = wait_for(lambda: (r := job_row(pg, job.id)).status == "done" and r, timeout=20,
                    what="another worker to finish the job")
    assert done.attempts == 2
    assert effects.is_done(pg, f"{job.id}:mail")
    time.sleep(0.5)
    assert len(inbox.messages) == 2
    assert {m["Message-ID"] for m in inbox.messages} == {f"<job-{job.id}@amity.test>"}


def _count_jobs(pg: Database, n: int, log: Path, sleep: float = 0.0) -> None:
    with pg.transaction() as s:
        for i in range(n):
            queue.enqueue(s, "fault.count", {"i": i, "log": str(log), "sleep": sleep})


def _done(pg: Database) -> int:
    with pg.transaction(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(Job).where(
            Job.kind == "fault.count", Job.status == "done")) or 0)


def _audit_rows(pg: Database) -> Counter[str]:
    with pg.transaction(write=False) as s:
        return Counter(str(e) for e in s.scalars(
            select(AuditEntry.entity_id).where(AuditEntry.action == "fault.ran")))


def test_a_thousand_jobs_on_three_workers_run_once_each(pg: Database, workers: Workers,
                                                        tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    _count_jobs(pg, 1000, log)
    t0 = time.monotonic()
    workers.start(3)
    wait_for(lambda: _done(pg) == 1000, timeout=90, what="1,000 jobs done")
    took = time.monotonic() - t0
    runs = [line.split() for line in log.read_text().splitlines()]
    assert len(runs) == 1000 and len({r[0] for r in runs}) == 1000  # none twice, none lost
    assert {r[1] for r in runs} == {"1"}  # every job on its first attempt
    assert len({r[2] for r in runs}) == 3, "the three workers all took a share"
    audit = _audit_rows(pg)
    assert len(audit) == 1000 and set(audit.values()) == {1}
    print(f"1,000 jobs, 3 workers: {took:.1f} s including start-up")


def test_a_thousand_jobs_survive_a_killed_worker(pg: Database, workers: Workers,
                                                 tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    _count_jobs(pg, 1000, log, sleep=0.003)
    workers.start(3)
    wait_for(lambda: _done(pg) >= 300, timeout=60, what="300 jobs done")
    victim = workers.alive()[0]
    workers.kill(victim)
    wait_for(lambda: _done(pg) == 1000, timeout=90, what="1,000 jobs done")
    audit = _audit_rows(pg)
    assert len(audit) == 1000 and set(audit.values()) == {1}  # committed exactly once each
    runs = Counter(line.split()[0] for line in log.read_text().splitlines())
    assert len(runs) == 1000
    # only the jobs in the killed worker's hands ran twice (at most its 2 runners)
    assert sum(1 for n in runs.values() if n > 1) <= 2
