"""Cursors over the events outbox, each in (occurred_at, id) order with a lease.

The broker publisher (``broker``) and the webhook recorder (``delivery.record_pending``) each
read the outbox with a cursor of their own (a ``broker_cursors`` row), independent of the
job dispatcher's ``published_at``. One reader per cursor at a time holds its lease, and moves
it fenced on that lease. Only events older than a settling delay are read: an event whose
transaction commits a little later than it was stamped cannot slip behind the cursor.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.core.clock import now
from amity.core.db import Database
from amity.core.errors import NotFound
from amity.core.events import EventRecord
from amity.webhooks.models import BrokerCursor

LEASE_S = 60.0


def ensure(database: Database, name: str) -> None:
    ins = (postgresql.insert(BrokerCursor) if database.dialect == "postgresql"
           else sqlite.insert(BrokerCursor))
    with database.transaction() as s:
        s.execute(ins.values(name=name, published=0, updated_at=now())
                  .on_conflict_do_nothing(index_elements=["name"]))


def after(t: datetime | None, event_id: uuid.UUID | None) -> Any:
    """Events strictly after the position (t, id); every event when there is none."""
    if t is None or event_id is None:
        return true()
    return or_(EventRecord.occurred_at > t,
               and_(EventRecord.occurred_at == t, EventRecord.id > event_id))


def take_lease(database: Database, name: str, owner: str, lease_s: float = LEASE_S) -> bool:
    """Become the one reader of cursor ``name`` (or stay it) for ``lease_s`` seconds."""
    ensure(database, name)
    at = now()
    with database.transaction() as s:
        got = s.execute(update(BrokerCursor).where(
            BrokerCursor.name == name,
            or_(BrokerCursor.lease_owner.is_(None), BrokerCursor.lease_until < at,
                BrokerCursor.lease_owner == owner))
            .values(lease_owner=owner, lease_until=at + timedelta(seconds=lease_s))
            .returning(BrokerCursor.name)).scalar()
    return got is not None


def release_lease(database: Database, name: str, owner: str) -> None:
    with database.transaction() as s:
        s.execute(update(BrokerCursor).where(BrokerCursor.name == name,
                                             BrokerCursor.lease_owner == owner)
                  .values(lease_owner=None, lease_until=None))


def batch(s: Session, name: str, *, settle_s: float, limit: int) -> list[EventRecord]:
    """The next settled events after the cursor, in order."""
    cur = s.get(BrokerCursor, name)
    assert cur is not None
    horizon = now() - timedelta(seconds=settle_s)
    return list(s.scalars(select(EventRecord)
                          .where(after(cur.last_occurred_at, cur.last_event_id),
                                 EventRecord.occurred_at <= horizon)
                          .order_by(EventRecord.occurred_at, EventRecord.id).limit(limit)))


def last_settled(s: Session, *, settle_s: float) -> EventRecord | None:
    horizon = now() - timedelta(seconds=settle_s)
    return s.scalar(select(EventRecord).where(EventRecord.occurred_at <= horizon)
                    .order_by(EventRecord.occurred_at.desc(), EventRecord.id.desc()).limit(1))


def advance(s: Session, name: str, owner: str, last: EventRecord, n: int) -> bool:
    """Move the cursor past ``last`` in the caller's transaction, if ``owner`` still holds
    the lease."""
    got = s.execute(update(BrokerCursor).where(BrokerCursor.name == name,
                                               BrokerCursor.lease_owner == owner)
                    .values(last_occurred_at=last.occurred_at, last_event_id=last.id,
                            published=BrokerCursor.published + n,
                            last_published_at=now(), last_error=None, updated_at=now())
                    .returning(BrokerCursor.name)).scalar()
    return got is not None


def note_error(database: Database, name: str, error: str) -> None:
    ensure(database, name)
    with database.transaction() as s:
        s.execute(update(BrokerCursor).where(BrokerCursor.name == name)
                  .values(last_error=error[:2000], last_error_at=now(), updated_at=now()))


def pending(s: Session, name: str) -> int:
    cur = s.get(BrokerCursor, name)
    if cur is None:
        return int(s.scalar(select(func.count()).select_from(EventRecord)) or 0)
    return int(s.scalar(select(func.count()).select_from(EventRecord)
                        .where(after(cur.last_occurred_at, cur.last_event_id))) or 0)


def rewind(database: Database, name: str, event_id: uuid.UUID) -> int:
    """Move the cursor back so that this event and every later one are read again; returns
    how many events that is."""
    ensure(database, name)
    with database.transaction() as s:
        event = s.get(EventRecord, event_id)
        if event is None:
            raise NotFound("event")
        before = s.execute(select(EventRecord.occurred_at, EventRecord.id)
                           .where(or_(EventRecord.occurred_at < event.occurred_at,
                                      and_(EventRecord.occurred_at == event.occurred_at,
                                           EventRecord.id < event.id)))
                           .order_by(EventRecord.occurred_at.desc(), EventRecord.id.desc())
                           .limit(1)).first()
        t, eid = (before[0], before[1]) if before else (None, None)
        s.execute(update(BrokerCursor).where(BrokerCursor.name == name)
                  .values(last_occurred_at=t, last_event_id=eid, updated_at=now()))
        return int(s.scalar(select(func.count()).select_from(EventRecord)
                            .where(after(t, eid))) or 0)
