"""The scheduler: slots, one run per slot with several workers, and the purge it schedules."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from amity.config import Settings
from amity.core.db import Database
from amity.core.idempotency import IdempotencyRecord
from amity.jobs import effects, schedule
from amity.jobs.models import Job, JobEffect, ScheduleRun
from amity.jobs.schedule import SCHEDULES, Schedule, Scheduler
from amity.jobs.worker import run_until_idle
from tests.factories import count
from tests.jobs.conftest import Clock, jobs

AT = datetime(2030, 1, 7, 9, 17, 30, tzinfo=UTC)


@pytest.mark.parametrize(("sched", "at", "slot"), [
    (Schedule("h", "k", every=timedelta(hours=1)), AT, datetime(2030, 1, 7, 9, 0, tzinfo=UTC)),
    (Schedule("q", "k", every=timedelta(minutes=15)), AT,
     datetime(2030, 1, 7, 9, 15, tzinfo=UTC)),
    # slots count from the epoch: 2030-01-07 09:17:30 is 21,921 days + 33,450 s =
    # 1,894,007,850 s = 11 * 172,182,531 + 9, so an 11 s slot began 9 s earlier
    (Schedule("s", "k", every=timedelta(seconds=11)), AT,
     datetime(2030, 1, 7, 9, 17, 21, tzinfo=UTC)),
    (Schedule("d", "k", daily_at=time(3, 30)), AT, datetime(2030, 1, 7, 3, 30, tzinfo=UTC)),
    (Schedule("d", "k", daily_at=time(23, 0)), AT, datetime(2030, 1, 6, 23, 0, tzinfo=UTC)),
    (Schedule("d", "k", daily_at=time(9, 17, 30)), AT, AT),
])
def test_slots_hand_computed(sched: Schedule, at: datetime, slot: datetime) -> None:
    assert sched.slot(at) == slot


def test_a_schedule_needs_exactly_one_rule() -> None:
    with pytest.raises(ValueError):
        Schedule("x", "k")
    with pytest.raises(ValueError):
        Schedule("x", "k", every=timedelta(hours=1), daily_at=time(1))
    with pytest.raises(ValueError):
        Schedule("x", "k", every=timedelta(milliseconds=10))


def test_the_purge_is_in_the_cron_table() -> None:
    [purge] = [s for s in SCHEDULES if s.kind == "maintenance.purge"]
    assert purge.every == timedelta(hours=1)


def test_several_workers_run_each_slot_once(database: Database, recorder, clock: Clock) -> None:
    clock.at = AT
    table = (Schedule("every-10-min", "t.ok", every=timedelta(minutes=10), payload={"s": 1}),
             Schedule("nightly", "t.ok", daily_at=time(2, 0), payload={"s": 2}))
    workers = [Scheduler(database, table) for _ in range(4)]
    gate = threading.Barrier(len(workers))
    started: list[list[str]] = []

    def tick(w: Scheduler) -> None:
        gate.wait()
        started.append(w.tick())

    threads = [threading.Thread(target=tick, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(n for names in started for n in names) == ["every-10-min", "nightly"]
    with database.transaction(write=False) as s:
        runs = sorted((r.name, r.slot) for r in s.scalars(select(ScheduleRun)))
    assert runs == [("every-10-min", datetime(2030, 1, 7, 9, 10, tzinfo=UTC)),
                    ("nightly", datetime(2030, 1, 7, 2, 0, tzinfo=UTC))]
    assert sorted(j.payload["s"] for j in jobs(database, kind="t.ok")) == [1, 2]
    clock.advance(minutes=3)  # 09:20:30: the next 10-minute slot
    assert [w.tick() for w in workers] == [["every-10-min"], [], [], []]
    clock.advance(minutes=1)
    assert [w.tick() for w in workers] == [[], [], [], []]
    assert count(database, Job) == 3 and count(database, ScheduleRun) == 3


def test_an_idle_tick_costs_no_query(database: Database, recorder, clock: Clock,
                                     queries) -> None:
    clock.at = AT
    w = Scheduler(database, (Schedule("h", "t.ok", every=timedelta(hours=1)),))
    assert w.tick() == ["h"]
    queries.reset()
    clock.advance(minutes=30)
    assert w.tick() == [] and queries.count == 0


def test_purge_forgets_old_done_jobs_and_expired_idempotency_keys(
        database: Database, jobs_settings: Settings, clock: Clock) -> None:
    import uuid

    now = clock.at
    old, fresh = now - timedelta(days=8), now - timedelta(days=6)
    with database.transaction() as s:
        for at, status in ((old, "done"), (fresh, "done"), (old, "dead")):
            s.add(Job(kind="t.any", payload={}, status=status, run_at=at, created_at=at,
                      finished_at=at, max_attempts=1, attempts=1))
        kept_dead = Job(kind="t.any", payload={}, status="dead", run_at=old, created_at=old,
                        finished_at=old, max_attempts=1, attempts=1)
        s.add(kept_dead)
        user = uuid.uuid4()
        s.add(IdempotencyRecord(user_id=user, key="old", request_hash="h", status=201,
                                body={}, created_at=now - timedelta(hours=25)))
        s.add(IdempotencyRecord(user_id=user, key="new", request_hash="h", status=201,
                                body={}, created_at=now - timedelta(hours=23)))
        s.add(ScheduleRun(name="x", slot=old))
    effects.record(database, "kept-with-its-job", kept_dead.id)
    effects.record(database, "orphan", uuid.uuid4())
    with database.transaction() as s:
        s.query(JobEffect).update({JobEffect.done_at: old})
    assert schedule.run_slot(database, SCHEDULES[0], SCHEDULES[0].slot(now))
    run_until_idle(database, jobs_settings)
    left = sorted((j.status, j.finished_at == fresh) for j in jobs(database)
                  if j.kind == "t.any")
    assert left == [("dead", False), ("dead", False), ("done", True)]
    with database.transaction(write=False) as s:
        assert [r.key for r in s.scalars(select(IdempotencyRecord))] == ["new"]
        assert [e.key for e in s.scalars(select(JobEffect))] == ["kept-with-its-job"]
        assert [r.name for r in s.scalars(select(ScheduleRun))] == ["maintenance.purge"]


def test_frequent_schedules_done_rows_are_kept_an_hour(
        database: Database, jobs_settings: Settings, clock: Clock) -> None:
    now = clock.at
    two_hours, half_hour = now - timedelta(hours=2), now - timedelta(minutes=30)
    with database.transaction() as s:
        for kind, at, status in (("webhooks.record", two_hours, "done"),
                                 ("webhooks.record", half_hour, "done"),
                                 ("webhooks.record", two_hours, "dead"),
                                 ("maintenance.purge", two_hours, "done"),  # hourly: kept
                                 ("t.any", two_hours, "done")):
            s.add(Job(kind=kind, payload={}, status=status, run_at=at, created_at=at,
                      finished_at=at, max_attempts=1, attempts=1))
        s.add(ScheduleRun(name="webhooks.record", slot=two_hours))
        s.add(ScheduleRun(name="webhooks.record", slot=half_hour))
        s.add(ScheduleRun(name="maintenance.purge", slot=two_hours))
    assert schedule.purge_frequent(database, older_than=now - schedule.FREQUENT_KEEP) == 1
    left = sorted((j.kind, j.status, j.finished_at == half_hour) for j in jobs(database))
    assert left == [("maintenance.purge", "done", False), ("t.any", "done", False),
                    ("webhooks.record", "dead", False), ("webhooks.record", "done", True)]
    with database.transaction(write=False) as s:
        assert sorted((r.name, r.slot == half_hour) for r in s.scalars(select(ScheduleRun))) \
            == [("maintenance.purge", False), ("webhooks.record", True)]
