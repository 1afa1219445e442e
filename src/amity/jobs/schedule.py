"""The one cron table (``SCHEDULES``) and the tick that enqueues each slot once.

A schedule runs every ``every`` (slots aligned on the Unix epoch, so every worker agrees on
them) or daily at ``daily_at`` (UTC). Every worker ticks; the first to reach a slot inserts
``schedule_runs(name, slot)`` and enqueues the job in the same transaction; the unique key
turns everyone else's insert into a no-op. Slots missed while no worker ran are not caught up:
only the current slot runs (the jobs here are all "bring things up to date" work).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from amity.core.clock import now
from amity.core.db import Database
from amity.jobs import queue
from amity.jobs.models import Job, ScheduleRun

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    name: str
    kind: str
    every: timedelta | None = None
    daily_at: time | None = None  # UTC
    payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"schedule {self.name}: give either every or daily_at")
        if self.every is not None and self.every < timedelta(seconds=1):
            raise ValueError(f"schedule {self.name}: every must be at least a second")

    def slot(self, at: datetime) -> datetime:
        """The start of the slot ``at`` falls in."""
        if self.every is not None:
            step = self.every.total_seconds()
            n = int((at - EPOCH).total_seconds() // step)
            return EPOCH + timedelta(seconds=n * step)
        assert self.daily_at is not None
        today = datetime.combine(at.astimezone(UTC).date(), self.daily_at, tzinfo=UTC)
        return today if at >= today else today - timedelta(days=1)


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("maintenance.purge", "maintenance.purge", every=timedelta(hours=1)),
    Schedule("activities.reminders", "activities.scan_reminders", every=timedelta(minutes=1)),
    Schedule("activities.important_dates", "activities.important_dates",
             every=timedelta(hours=1)),
    Schedule("tickets.sla", "tickets.check_sla", every=timedelta(minutes=1)),
    Schedule("tickets.files", "tickets.sweep_files", every=timedelta(hours=1)),
    Schedule("mail.poll", "mail.poll_all", every=timedelta(minutes=1)),
    # workflows: events reach them through the dispatcher; this scan of the events outbox (own
    # cursor) is the safety net. Dates (each workflow's own calendar day), late resumes
    Schedule("automation.events", "automation.scan_events", every=timedelta(minutes=1)),
    Schedule("automation.web", "automation.scan_web", every=timedelta(seconds=10)),
    Schedule("automation.dates", "automation.scan_dates", every=timedelta(hours=1)),
    Schedule("automation.resumes", "automation.scan_resumes", every=timedelta(minutes=15)),
    # outbound webhooks and the event stream read the events outbox with cursors of their own
    Schedule("webhooks.record", "webhooks.record", every=timedelta(seconds=3)),
    Schedule("broker.publish", "broker.publish", every=timedelta(seconds=5)),
    Schedule("webhooks.purge", "webhooks.purge", every=timedelta(hours=1)),
    Schedule("scoring.scan_web", "scoring.scan_web", every=timedelta(seconds=20)),
    Schedule("scoring.decay", "scoring.decay", every=timedelta(hours=1)),
    Schedule("sequences.run_due", "sequences.run_due", every=timedelta(minutes=1)),
    # weekly slots start on the epoch's weekday: Thursdays 00:00 UTC
    Schedule("dataquality.digest", "dataquality.digest", every=timedelta(days=7)),
    # duplicate contacts and companies over the whole database (also on demand)
    Schedule("dedupe.scan", "dedupe.scan", daily_at=time(3, 30)),
    # customers' RFM scores and segments (analytics_rfm), in the default currency
    Schedule("analytics.rfm", "analytics.refresh_rfm", daily_at=time(2, 15)),
    # the dashboard's roll-ups: days and customers touched since the last run; all of them
    # nightly (hard deletes leave no updated_at to find them by)
    Schedule("analytics.rollups", "analytics.refresh_rollups", every=timedelta(minutes=1)),
    Schedule("analytics.rollups_rebuild", "analytics.rebuild_rollups", daily_at=time(2, 5)),
    # lifetime value and churn refitted and rescored; best hours to contact
    Schedule("intelligence.refresh", "intelligence.refresh", daily_at=time(2, 45)),
    Schedule("intelligence.contact_times", "intelligence.contact_times",
             daily_at=time(3, 5)),
    # saved reports' email digests: daily ones every day, weekly ones on Mondays
    Schedule("reports.digest", "reports.digest", daily_at=time(6, 0)),
    # saved reports' stored results (reports.stored), computed again as their readers see them
    Schedule("reports.results", "reports.refresh_results", every=timedelta(minutes=10)),
    # open deals' chance of being won; the co-purchase table behind product recommendations
    Schedule("intelligence.deal_scores", "intelligence.deal_scores", daily_at=time(3, 15)),
    Schedule("intelligence.product_associations", "intelligence.product_associations",
             daily_at=time(3, 20)),
    # early-value signals: first-days behaviours against first-year value (a stored report)
    Schedule("intelligence.early_value", "intelligence.early_value", daily_at=time(3, 35)),
    # semantic search: vectors for new and changed notes and interactions
    Schedule("semantic.embed", "semantic.embed", every=timedelta(minutes=5)),
)


class Scheduler:
    """Remembers the last slot it saw per schedule so an idle tick costs no query."""

    def __init__(self, database: Database, schedules: tuple[Schedule, ...] = SCHEDULES) -> None:
        self.database = database
        self.schedules = schedules
        self._seen: dict[str, datetime] = {}

    def tick(self) -> list[str]:
        """Enqueue every schedule whose current slot nobody has run; returns their names."""
        at = now()
        started = []
        for sched in self.schedules:
            slot = sched.slot(at)
            if self._seen.get(sched.name) == slot:
                continue
            if run_slot(self.database, sched, slot):
                started.append(sched.name)
            self._seen[sched.name] = slot
        return started


def run_slot(database: Database, sched: Schedule, slot: datetime) -> bool:
    """Claim (name, slot) and enqueue its job in one transaction; False if already claimed."""
    ins = (postgresql.insert(ScheduleRun) if database.dialect == "postgresql"
           else sqlite.insert(ScheduleRun))
    with database.transaction() as s:
        run_id = s.execute(ins.values(id=uuid.uuid4(), name=sched.name, slot=slot,
                                      created_at=now())
                           .on_conflict_do_nothing(index_elements=["name", "slot"])
                           .returning(ScheduleRun.id)).scalar()
        if run_id is None:  # another worker has this slot
            return False
        job = queue.enqueue(s, sched.kind, dict(sched.payload),
                            idempotency_key=f"schedule:{sched.name}:{slot.isoformat()}")
        s.flush()
        s.execute(update(ScheduleRun).where(ScheduleRun.id == run_id).values(job_id=job.id),
                  execution_options={"synchronize_session": False})
    return True


FREQUENT = timedelta(minutes=1)  # schedules this frequent: their done rows are kept an hour
FREQUENT_KEEP = timedelta(hours=1)


def purge_frequent(database: Database, *, older_than: datetime,
                   schedules: tuple[Schedule, ...] = SCHEDULES) -> int:
    """Delete the done jobs and slots of the schedules that run every minute or more often
    (about 66,000 rows a day between them) finished before ``older_than``, rather than
    keeping them for the whole job retention: they are "bring things up to date" ticks whose
    history nobody reads. Failed and dead ones are kept like any other job."""
    frequent = [x for x in schedules if x.every is not None and x.every <= FREQUENT]
    kinds = sorted({x.kind for x in frequent})
    names = sorted({x.name for x in frequent})
    if not kinds:
        return 0
    total = 0
    while True:
        with database.transaction() as s:
            ids = list(s.scalars(select(Job.id).where(
                Job.kind.in_(kinds), Job.status == "done", Job.finished_at < older_than)
                .limit(1000)))
            if ids:
                s.execute(delete(Job).where(Job.id.in_(ids)),
                          execution_options={"synchronize_session": False})
                total += len(ids)
        if len(ids) < 1000:
            break
    with database.transaction() as s:
        s.execute(delete(ScheduleRun).where(ScheduleRun.name.in_(names),
                                            ScheduleRun.slot < older_than),
                  execution_options={"synchronize_session": False})
    return total


def purge_runs(database: Database, *, older_than: datetime) -> int:
    with database.transaction() as s:
        result = s.execute(delete(ScheduleRun).where(ScheduleRun.slot < older_than),
                           execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)
