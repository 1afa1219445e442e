"""Outside actions happen once per job even when the job runs again."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from amity.config import Settings
from amity.core.db import Database
from amity.jobs import effects, queue, registry
from amity.jobs.context import JobContext
from amity.jobs.models import JobEffect
from amity.jobs.worker import run_until_idle
from tests.factories import count
from tests.jobs.conftest import Clock, jobs, one


def test_once_runs_the_action_then_skips_it(database: Database) -> None:
    sent: list[str] = []
    assert effects.once(database, "mail:1", lambda: sent.append("a")) is True
    assert effects.once(database, "mail:1", lambda: sent.append("b")) is False
    assert effects.once(database, "mail:2", lambda: sent.append("c")) is True
    assert sent == ["a", "c"]
    assert effects.is_done(database, "mail:1") and not effects.is_done(database, "mail:3")
    with pytest.raises(ValueError):
        effects.once(database, "", lambda: None)


def test_a_failed_action_is_not_recorded(database: Database) -> None:
    def refuse() -> None:
        raise OSError("connection refused")

    with pytest.raises(OSError):
        effects.once(database, "hook:1", refuse)
    assert count(database, JobEffect) == 0


@pytest.fixture
def flaky() -> Any:
    state: dict[str, Any] = {"sent": [], "runs": 0}

    @registry.job("t.send_then_crash", max_attempts=5)
    def send_then_crash(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
        state["runs"] += 1
        queue.enqueue(db, "t.marker", {}, idempotency_key=f"marker-{ctx.attempt}")
        ctx.once("notify", lambda: state["sent"].append(payload["to"]))
        if ctx.attempt < 3:
            raise ConnectionError("the network dropped after sending")

    @registry.job("t.marker")
    def marker(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
        pass

    yield state
    registry.unregister("t.send_then_crash", "t.marker")


def test_a_retried_job_does_not_repeat_its_effect(database: Database, jobs_settings: Settings,
                                                  clock: Clock, flaky: Any) -> None:
    with database.transaction() as s:
        job = queue.enqueue(s, "t.send_then_crash", {"to": "ada@example.com"})
    for _ in range(4):
        run_until_idle(database, jobs_settings)
        clock.advance(minutes=5)
    assert flaky["runs"] == 3 and flaky["sent"] == ["ada@example.com"]
    assert (one(database, job.id).status, one(database, job.id).attempts) == ("done", 3)
    with database.transaction(write=False) as s:
        [effect] = s.query(JobEffect).all()
    assert (effect.key, effect.job_id) == (f"{job.id}:notify", job.id)
    # once() committed the handler's work before acting: each attempt's marker job is kept
    assert sorted(j.idempotency_key for j in jobs(database, kind="t.marker")) == [
        "marker-1", "marker-2", "marker-3"]
