"""Running jobs: done with the handler's changes, retries with backoff, dead letters, leases."""

from __future__ import annotations

import time
from datetime import timedelta

from amity.config import Settings
from amity.core.db import Database
from amity.jobs import queue, store
from amity.jobs.context import LeaseLost
from amity.jobs.models import Job
from amity.jobs.worker import Worker, execute, run_until_idle
from tests.jobs.conftest import Clock, Recorder, jobs, one


def _enqueue(database: Database, kind: str, payload: dict | None = None, **kw) -> Job:
    with database.transaction() as s:
        return queue.enqueue(s, kind, payload or {}, **kw)


def test_a_job_runs_once_and_is_done(database: Database, jobs_settings: Settings,
                                     recorder: Recorder, clock: Clock) -> None:
    job = _enqueue(database, "t.ok", {"contact_id": "c-1"})
    assert run_until_idle(database, jobs_settings) == 1
    assert recorder.calls == [{"contact_id": "c-1"}]
    ctx = recorder.contexts[0]
    assert (ctx.job_id, ctx.attempt, ctx.max_attempts) == (job.id, 1, 10)
    row = one(database, job.id)
    assert (row.status, row.attempts, row.finished_at, row.locked_by, row.lease_until) == (
        "done", 1, clock.at, None, None)
    assert run_until_idle(database, jobs_settings) == 0  # nothing runs twice


def test_handler_changes_commit_with_done_or_not_at_all(database: Database,
                                                        jobs_settings: Settings,
                                                        recorder: Recorder, clock) -> None:
    good = _enqueue(database, "t.write", {"n": 1})
    bad = _enqueue(database, "t.write", {"n": 2, "explode": True})
    run_until_idle(database, jobs_settings)
    children = {j.idempotency_key: j.status for j in jobs(database, kind="t.ok")}
    assert children == {"child-1": "done"}  # the failed handler's job was rolled back
    assert one(database, good.id).status == "done"
    assert one(database, bad.id).status == "failed"


def test_failures_retry_with_backoff_then_succeed(database: Database, jobs_settings: Settings,
                                                  recorder: Recorder, clock: Clock,
                                                  monkeypatch) -> None:
    monkeypatch.setattr("random.random", lambda: 1.0)  # no jitter: the full wait
    recorder.fail_times = 2
    job = _enqueue(database, "t.fail", {"n": 1})
    run_until_idle(database, jobs_settings)
    row = one(database, job.id)
    assert (row.status, row.attempts, row.run_at) == ("failed", 1,
                                                      clock.at + timedelta(seconds=5))
    assert row.last_error.startswith("RuntimeError: boom 1")
    assert "Traceback" in row.last_error
    clock.advance(seconds=4.9)
    assert run_until_idle(database, jobs_settings) == 0  # not due yet
    clock.advance(seconds=0.1)
    run_until_idle(database, jobs_settings)
    row = one(database, job.id)  # second failure: 5 * 2 = 10 s
    assert (row.status, row.attempts, row.run_at) == ("failed", 2,
                                                      clock.at + timedelta(seconds=10))
    clock.advance(seconds=10)
    run_until_idle(database, jobs_settings)
    row = one(database, job.id)
    assert (row.status, row.attempts) == ("done", 3)
    assert row.last_error.startswith("RuntimeError: boom 2")  # kept for the record


def test_out_of_attempts_the_job_is_dead_with_its_error(database: Database,
                                                        jobs_settings: Settings,
                                                        recorder: Recorder, clock: Clock,
                                                        caplog) -> None:
    recorder.fail_times = -1  # always
    job = _enqueue(database, "t.fail")
    for _ in range(5):
        run_until_idle(database, jobs_settings)
        clock.advance(hours=2)
    row = one(database, job.id)
    assert (row.status, row.attempts, row.finished_at is not None) == ("dead", 3, True)
    assert row.last_error.startswith("RuntimeError: boom 3")
    assert len(recorder.calls) == 3
    assert any("is dead after attempt 3/3" in r.getMessage() for r in caplog.records)


def test_permanent_errors_and_unknown_kinds_die_at_once(database: Database,
                                                        jobs_settings: Settings,
                                                        recorder: Recorder, clock) -> None:
    job = _enqueue(database, "t.permanent")
    with database.transaction() as s:  # a kind no process knows any more
        s.add(Job(kind="t.retired", payload={}, status="queued", run_at=clock.at,
                  max_attempts=5))
    run_until_idle(database, jobs_settings)
    assert (one(database, job.id).status, one(database, job.id).attempts) == ("dead", 1)
    assert "cannot ever work" in one(database, job.id).last_error
    [retired] = jobs(database, kind="t.retired")
    assert retired.status == "dead" and "no handler" in retired.last_error


def test_an_expired_lease_is_claimed_again_and_the_old_worker_cannot_finish(
        database: Database, jobs_settings: Settings, recorder: Recorder, clock: Clock) -> None:
    job = _enqueue(database, "t.ok", {"n": 1})
    [first] = store.claim(database, "worker-a", lease_s=30)
    clock.advance(seconds=29)
    assert store.reap_expired(database) == 0  # still leased
    assert store.claim(database, "worker-b", lease_s=30) == []
    clock.advance(seconds=2)  # worker-a died: its lease ran out
    assert store.reap_expired(database) == 1
    row = one(database, job.id)
    assert (row.status, row.locked_by, row.run_at) == ("failed", None, clock.at)
    assert "lease expired" in row.last_error
    [second] = store.claim(database, "worker-b", lease_s=30)
    assert (second.id, second.attempt) == (job.id, 2)
    # worker-a wakes up and finishes: fenced out, its handler's work rolled back
    assert execute(database, jobs_settings, first, "worker-a") == "lost"
    assert one(database, job.id).locked_by == "worker-b"
    assert execute(database, jobs_settings, second, "worker-b") == "done"
    assert (one(database, job.id).status, one(database, job.id).attempts) == ("done", 2)


def test_a_lease_lost_on_the_last_attempt_makes_the_job_dead(database: Database,
                                                             jobs_settings: Settings,
                                                             recorder: Recorder,
                                                             clock: Clock) -> None:
    job = _enqueue(database, "t.ok", max_attempts=1)
    store.claim(database, "worker-a", lease_s=30)
    clock.advance(seconds=31)
    store.reap_expired(database)
    row = one(database, job.id)
    assert (row.status, row.attempts) == ("dead", 1) and "lease expired" in row.last_error


def test_heartbeat_extends_the_lease_and_reports_a_takeover(database: Database,
                                                            jobs_settings: Settings,
                                                            recorder: Recorder,
                                                            clock: Clock) -> None:
    job = _enqueue(database, "t.ok")
    [claim] = store.claim(database, "worker-a", lease_s=30)
    clock.advance(seconds=25)
    assert store.renew(database, "worker-a", [job.id], 30) == {job.id}
    assert one(database, job.id).lease_until == clock.at + timedelta(seconds=30)
    clock.advance(seconds=25)  # 50 s after the claim, yet renewed: not expired
    assert store.reap_expired(database) == 0
    assert store.renew(database, "worker-b", [job.id], 30) == set()  # not b's to renew
    clock.advance(seconds=31)
    store.reap_expired(database)
    store.claim(database, "worker-b", lease_s=30)
    from amity.jobs.context import JobContext

    session = database.session()
    try:
        ctx = JobContext(job_id=job.id, kind="t.ok", attempt=claim.attempt, max_attempts=10,
                         worker="worker-a", database=database, settings=jobs_settings,
                         db=session, renew=lambda: bool(store.renew(database, "worker-a",
                                                                    [job.id], 30)))
        try:
            ctx.heartbeat()
            raise AssertionError("LeaseLost expected")
        except LeaseLost:
            pass
    finally:
        session.close()


def test_worker_threads_run_jobs_and_stop_gracefully(database: Database,
                                                     jobs_settings: Settings,
                                                     recorder: Recorder) -> None:
    from amity.jobs import registry

    started, release = __import__("threading").Event(), __import__("threading").Event()

    @registry.job("t.slow")
    def slow(payload, db, ctx) -> None:
        started.set()
        release.wait(5)
        recorder.calls.append({"slow": True})

    try:
        w = Worker(database, jobs_settings, concurrency=2)
        w.start()
        for n in range(20):
            _enqueue(database, "t.ok", {"n": n})
        _enqueue(database, "t.slow")
        assert started.wait(10)
        deadline = time.monotonic() + 10
        while (len(recorder.calls) < 20 or not jobs(database, kind="maintenance.purge")) and (
                time.monotonic() < deadline):
            time.sleep(0.02)  # the housekeeping thread's scheduler enqueues the hourly purge
        w.stop_soon()  # SIGTERM: the slow job in hand still finishes
        release.set()
        w.stop(timeout=10)
        assert sorted(c.get("n", -1) for c in recorder.calls) == [-1, *range(20)]
        assert {j.status for j in jobs(database) if j.kind.startswith("t.")} == {"done"}
        after = _enqueue(database, "t.ok", {"n": "after stop"})
        time.sleep(0.2)
        assert one(database, after.id).status == "queued" and len(recorder.calls) == 21
    finally:
        registry.unregister("t.slow")
    assert "maintenance.purge" in {j.kind for j in jobs(database)}  # from the scheduler
