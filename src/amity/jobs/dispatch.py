"""The event dispatcher: from the ``events`` outbox to one job per event and subscriber.

Services write events in the transaction of the change (``core.events.publish``). Workers call
``dispatch_events``: it takes the oldest unprocessed events (``published_at`` empty) in
occurrence order, enqueues for each subscriber whose pattern matches one job keyed
``<event id>:<subscriber>``, and marks the events processed, all in one transaction. On
PostgreSQL the events are claimed ``FOR UPDATE SKIP LOCKED``, so several dispatchers share the
outbox without taking the same event; on SQLite the write transaction serialises them. If the
process dies before the commit, nothing happened and the next dispatcher takes the events
again; if a job with the key exists already, it is not added twice.

Dynamic subscribers (``on_event(..., chooser=...)``) are asked once per batch which types they
want now (workflows: the event types an enabled workflow starts on, one indexed query).

The subscriber jobs run no earlier than their event occurred and are ordered after earlier
events' jobs (``run_at`` is the event's time), though with several workers jobs of different
events may run side by side: a subscriber that needs strict order checks its record's state.
"""

from __future__ import annotations

from sqlalchemy import select, update

from amity.core.clock import now
from amity.core.db import Database
from amity.core.events import EventRecord
from amity.jobs import queue, registry, store

BATCH = 500


def has_pending(database: Database) -> bool:
    with database.transaction(write=False) as s:
        return s.scalar(select(EventRecord.id).where(EventRecord.published_at.is_(None))
                        .limit(1)) is not None


def dispatch_events(database: Database, *, batch: int = BATCH) -> tuple[int, int]:
    """Process one batch of unprocessed events; returns (events processed, jobs enqueued)."""
    pick = (select(EventRecord.id, EventRecord.type, EventRecord.occurred_at)
            .where(EventRecord.published_at.is_(None))
            .order_by(EventRecord.occurred_at, EventRecord.id).limit(batch))
    if database.dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    with database.transaction() as s:
        store.no_flush_wait(s)  # lost in a crash: dispatched again, the keys prevent twins
        events = s.execute(pick).all()
        if not events:
            return 0, 0
        at = now()
        # run_at = the event's time: subscriber jobs queue behind earlier events' jobs.
        dynamic = [(sub, set(sub.chooser(s))) for sub in registry.dynamic_subscribers()
                   if sub.chooser is not None]
        jobs = [(sub.kind, {"event_id": str(event_id), "event_type": event_type},
                 f"{event_id}:{sub.name}", min(occurred_at, at))
                for event_id, event_type, occurred_at in events
                for sub in [*registry.subscribers_for(event_type),
                            *(d for d, types in dynamic if event_type in types)]]
        queue.enqueue_many(s, jobs)
        s.execute(update(EventRecord).where(EventRecord.id.in_([e[0] for e in events]))
                  .values(published_at=at),
                  execution_options={"synchronize_session": False})
    return len(events), len(jobs)
