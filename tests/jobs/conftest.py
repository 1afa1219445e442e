"""Fixtures for the job runtime: fast settings, a controlled clock, a recording job kind."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.config import Settings
from amity.core.clock import set_clock
from amity.core.db import Database
from amity.jobs import registry
from amity.jobs.context import JobContext
from amity.jobs.models import Job


@dataclass
class Clock:
    at: datetime = field(default_factory=lambda: datetime(2030, 1, 7, 9, 0, tzinfo=UTC))

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    set_clock(lambda: c.at)
    yield c
    set_clock(None)


@pytest.fixture
def jobs_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"jobs_lease_s": 30.0, "jobs_backoff_base_s": 5.0,
                                       "jobs_backoff_max_s": 3600.0,
                                       "jobs_poll_interval_s": 0.05,
                                       "jobs_dispatch_interval_s": 0.05})


@dataclass
class Recorder:
    """Test job kinds: ``t.ok`` records its payload, ``t.fail`` raises, ``t.write`` adds a
    job row of its own (a database change that must commit with the done mark)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    contexts: list[JobContext] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fail_times: int = 0


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()

    @registry.job("t.ok")
    def ok(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
        with rec.lock:
            rec.calls.append(payload)
            rec.contexts.append(ctx)

    @registry.job("t.fail", max_attempts=3)
    def fail(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
        with rec.lock:
            rec.calls.append(payload)
        if rec.fail_times < 0 or len(rec.calls) <= rec.fail_times:
            raise RuntimeError(f"boom {ctx.attempt}")

    @registry.job("t.permanent")
    def permanent(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
        raise registry.PermanentError("cannot ever work")

    @registry.job("t.write")
    def write(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
        from amity.jobs.queue import enqueue

        enqueue(db, "t.ok", {"from": payload["n"]}, idempotency_key=f"child-{payload['n']}")
        if payload.get("explode"):
            raise RuntimeError("after writing")

    yield rec
    registry.unregister("t.ok", "t.fail", "t.permanent", "t.write")


def jobs(database: Database, **where: Any) -> list[Job]:
    with database.transaction(write=False) as s:
        stmt = select(Job).order_by(Job.created_at, Job.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(Job, key) == value)
        return list(s.scalars(stmt))


def one(database: Database, job_id: Any) -> Job:
    with database.transaction(write=False) as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


class Inbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes

        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    import socket

    from aiosmtpd.controller import Controller

    box = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's start() cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def smtp_settings(settings: Settings, inbox: Inbox) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": inbox.port,
                                       "smtp_starttls": False,
                                       "base_url": "https://crm.example.com"})
