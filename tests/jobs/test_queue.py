"""Enqueueing: in the caller's transaction, idempotency keys, validation, claim order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amity.core.db import Database
from amity.jobs import queue, store
from amity.jobs.models import Job
from tests.factories import count
from tests.jobs.conftest import jobs


def test_a_rolled_back_transaction_leaves_no_job(database: Database, recorder, clock) -> None:
    with pytest.raises(RuntimeError), database.transaction() as s:
        queue.enqueue(s, "t.ok", {"contact_id": "c1"})
        s.flush()  # the row was really written, then rolled back
        assert s.query(Job).count() == 1
        raise RuntimeError("the change failed")
    assert count(database, Job) == 0
    with database.transaction() as s:
        job = queue.enqueue(s, "t.ok", {"contact_id": "c1"})
    stored = jobs(database)
    assert [(j.id, j.kind, j.payload, j.status, j.attempts, j.run_at) for j in stored] == [
        (job.id, "t.ok", {"contact_id": "c1"}, "queued", 0, clock.at)]


def test_a_duplicate_idempotency_key_returns_the_existing_job(database: Database, recorder,
                                                              clock) -> None:
    with database.transaction() as s:
        first = queue.enqueue(s, "t.ok", {"n": 1}, idempotency_key="welcome:42")
        again = queue.enqueue(s, "t.ok", {"n": 2}, idempotency_key="welcome:42")
        assert again.id == first.id
    with database.transaction() as s:  # later, another transaction, even once done
        s.get(Job, first.id).status = "done"
    with database.transaction() as s:
        third = queue.enqueue(s, "t.ok", {"n": 3}, idempotency_key="welcome:42")
        assert third.id == first.id and third.payload == {"n": 1}
    assert count(database, Job) == 1


def test_bad_input_is_refused_and_adds_nothing(database: Database, recorder) -> None:
    from datetime import datetime

    with database.transaction() as s:
        with pytest.raises(ValueError, match="no handler"):
            queue.enqueue(s, "t.nobody", {})
        with pytest.raises(ValueError, match="timezone"):
            queue.enqueue(s, "t.ok", {}, run_at=datetime(2030, 1, 1))
        with pytest.raises(ValueError, match="max_attempts"):
            queue.enqueue(s, "t.ok", {}, max_attempts=0)
        with pytest.raises(ValueError, match="1 to 200"):
            queue.enqueue(s, "t.ok", {}, idempotency_key="k" * 201)
        with pytest.raises(TypeError):
            queue.enqueue(s, "t.ok", ["not", "a", "dict"])  # type: ignore[arg-type]
    assert count(database, Job) == 0


def test_claims_follow_priority_then_run_at_and_wait_for_run_at(database: Database, recorder,
                                                                clock) -> None:
    with database.transaction() as s:
        late = queue.enqueue(s, "t.ok", {"n": "late"}, run_at=clock.at + timedelta(minutes=5))
        normal_old = queue.enqueue(s, "t.ok", {"n": "normal-old"},
                                   run_at=clock.at - timedelta(seconds=2))
        normal_new = queue.enqueue(s, "t.ok", {"n": "normal-new"})
        urgent = queue.enqueue(s, "t.ok", {"n": "urgent"}, priority=-5)
    order = [c.id for c in store.claim(database, "w", limit=10, lease_s=30)]
    assert order == [urgent.id, normal_old.id, normal_new.id]  # late is not due yet
    assert store.claim(database, "w", limit=10, lease_s=30) == []
    clock.advance(minutes=5)
    [claimed] = store.claim(database, "w2", limit=10, lease_s=30)
    assert claimed.id == late.id and claimed.attempt == 1
    row = jobs(database, id=late.id)[0]
    assert (row.status, row.locked_by, row.lease_until, row.started_at) == (
        "running", "w2", clock.at + timedelta(seconds=30), clock.at)


def test_enqueue_defaults_come_from_the_registration(database: Database, recorder) -> None:
    with database.transaction() as s:
        j = queue.enqueue(s, "t.fail", {})
        k = queue.enqueue(s, "t.fail", {}, max_attempts=7, priority=3)
    assert (one_of(database, j.id).max_attempts, one_of(database, k.id).max_attempts) == (3, 7)
    assert one_of(database, k.id).priority == 3


def one_of(database: Database, job_id) -> Job:
    return jobs(database, id=job_id)[0]


@pytest.mark.parametrize(("attempts", "rand", "seconds"), [
    (1, 0.0, 2.5), (1, 1.0, 5.0),      # base 5 s: the first retry within [2.5, 5] s
    (3, 0.0, 10.0), (3, 0.5, 15.0),    # 5 * 2^2 = 20 s, jittered into [10, 20]
    (11, 1.0, 3600.0), (11, 0.0, 1800.0),  # 5 * 2^10 = 5120 s, capped at one hour
])
def test_backoff_hand_computed(attempts: int, rand: float, seconds: float) -> None:
    assert queue.backoff(attempts, base_s=5, max_s=3600, rand=rand) == timedelta(
        seconds=seconds)
