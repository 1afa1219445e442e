"""What starts runs: a domain event (its type, filters on its data, the records it names) and
the daily scan of dates (birthdays, important dates, days since the last purchase or contact,
replacements due), each occasion keyed so that it starts a workflow once per record."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.activities.models import Interaction, Task
from amity.activities.reminders import _dates_of, _occurrence
from amity.automation.definition import (
    BirthdayTrigger,
    DealStalledTrigger,
    Definition,
    EventFilter,
    EventTrigger,
    ImportantDateTrigger,
    NoContactTrigger,
    NoPurchaseTrigger,
    ReplacementDueTrigger,
)
from amity.automation.engine import Hooks, Subject, start_run
from amity.automation.models import AutomationCursor, Workflow, WorkflowRun, WorkflowVersion
from amity.commerce.models import COUNTED_STATUSES, Order
from amity.commerce.queries import replacements_due
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.db import is_postgres
from amity.core.events import EventRecord
from amity.deals.models import Deal, Stage
from amity.deals.queries import stalled_condition
from amity.tickets.models import Ticket

RECORD_MODELS: dict[str, Any] = {"deal": Deal, "ticket": Ticket, "order": Order, "task": Task}
BATCH = 1000


# ---- events --------------------------------------------------------------------------------

def enriched(db: Session, event: EventRecord) -> dict[str, Any]:
    """The event's payload plus readable names filters may use (stage names for deals)."""
    data = dict(event.payload or {})
    for side in ("from", "to"):
        sid = data.get(f"{side}_stage_id")
        if sid and event.type.startswith("deal."):
            stage = db.get(Stage, uuid.UUID(str(sid)))
            data[f"{side}_stage_name"] = stage.name if stage else None
    return data


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return str(a).casefold() == str(b).casefold()


def passes(f: EventFilter, data: dict[str, Any]) -> bool:
    """Strings compare without regard to case ("Won" matches "won")."""
    actual = _get(data, f.path)
    wanted = f.value
    if f.op == "in":
        return any(_same(actual, o) for o in (wanted if isinstance(wanted, list) else [wanted]))
    if f.op == "contains":
        if isinstance(actual, list):
            return any(_same(a, wanted) for a in actual)
        return actual is not None and str(wanted or "").casefold() in str(actual).casefold()
    same = _same(actual, wanted[0] if isinstance(wanted, list) and wanted else wanted)
    return same if f.op == "eq" else not same


def subjects(db: Session, event: EventRecord) -> list[Subject]:
    """The contacts (and record) an event is about."""
    p = event.payload or {}

    def uid(key: str) -> uuid.UUID | None:
        value = p.get(key)
        return uuid.UUID(str(value)) if value else None

    for rtype, key in (("deal", "deal_id"), ("ticket", "ticket_id"), ("order", "order_id"),
                       ("task", "task_id")):
        rid = uid(key)
        if rid is not None and event.type.split(".")[0] == rtype:
            row = db.get(RECORD_MODELS[rtype], rid)
            if row is None:
                return []
            return [Subject(getattr(row, "contact_id", None), rtype, rid,
                            getattr(row, "owner_id", None))]
    if event.type.startswith("interaction."):
        ids = [uuid.UUID(str(c)) for c in p.get("contact_ids") or []]
        iid = uid("interaction_id")
        if not ids and iid is not None and db.get(Interaction, iid) is None:
            return []
        return [Subject(c, "interaction", iid) for c in ids]
    if event.type == "note.added" and p.get("entity_type") == "contact":
        cid = uid("entity_id")
        return [Subject(cid)] if cid else []
    cid = uid("contact_id")
    return [Subject(cid)] if cid else []


def _workflows(db: Session, trigger_key: str) -> list[tuple[Workflow, Definition]]:
    rows = db.execute(select(Workflow, WorkflowVersion.definition).join(
        WorkflowVersion, and_(WorkflowVersion.workflow_id == Workflow.id,
                              WorkflowVersion.number == Workflow.current_version))
        .where(Workflow.enabled.is_(True), Workflow.deleted_at.is_(None),
               Workflow.trigger_key == trigger_key)).all()
    return [(w, Definition.model_validate(d)) for w, d in rows]


def handle_event(db: Session, event: EventRecord, hooks: Hooks) -> list[WorkflowRun]:
    """Start every enabled workflow this event triggers, once per record (one indexed lookup
    when none is)."""
    flows = _workflows(db, event.type)
    if not flows:
        return []
    data = enriched(db, event)
    found = subjects(db, event)
    runs = []
    for workflow, definition in flows:
        trigger = definition.trigger
        assert isinstance(trigger, EventTrigger)
        if not all(passes(f, data) for f in trigger.filters):
            continue
        for subject in found:
            run = start_run(db, workflow=workflow, subject=subject,
                            occasion=f"event:{event.id}", hooks=hooks, event_id=event.id)
            if run is not None:
                runs.append(run)
    return runs


# ---- dates ---------------------------------------------------------------------------------

def _start_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def date_occasions(db: Session, trigger: Any, at: datetime
                   ) -> Iterator[tuple[uuid.UUID, str]]:
    """(contact, occasion) pairs due today in the trigger's time zone; the occasion names
    what makes it happen (the year of a birthday, the day of the last purchase...)."""
    tz = ZoneInfo(trigger.time_zone or "UTC")
    today = at.astimezone(tz).date()
    live = and_(Contact.deleted_at.is_(None), Contact.erased_at.is_(None))
    if isinstance(trigger, BirthdayTrigger | ImportantDateTrigger):
        yield from _dates(db, trigger, today, live)
    elif isinstance(trigger, NoPurchaseTrigger):
        cutoff = _start_of(today - timedelta(days=trigger.days - 1), tz)
        last = func.max(Order.ordered_at)
        stmt: Any = (select(Order.contact_id, last.label("last")).join(
            Contact, Contact.id == Order.contact_id).where(
            live, Order.status.in_(COUNTED_STATUSES), Order.deleted_at.is_(None))
            .group_by(Order.contact_id).having(last < cutoff).order_by(Order.contact_id))
        for cid, when in _keyset(db, stmt, Order.contact_id):
            yield cid, f"no_purchase:{when.astimezone(tz).date().isoformat()}"
    elif isinstance(trigger, NoContactTrigger):
        cutoff = _start_of(today - timedelta(days=trigger.days - 1), tz)
        stmt2: Any = (select(Contact.id, Contact.last_contacted_at).where(
            live, Contact.last_contacted_at < cutoff).order_by(Contact.id))
        for cid, when in _keyset(db, stmt2, Contact.id):
            yield cid, f"no_contact:{when.astimezone(tz).date().isoformat()}"
    elif isinstance(trigger, ReplacementDueTrigger):
        cursor = None
        while True:
            page = replacements_due(db, visible_orders=lambda s: s, today=today,
                                    within_days=trigger.days_before, include_overdue=False,
                                    cursor=cursor, limit=500)
            for item in page.items:  # due within days_before: once per product and due day
                yield item.contact_id, f"replacement:{item.product_id}:{item.due_on}"
            cursor = page.next_cursor
            if not cursor:
                return


def _keyset(db: Session, stmt: Any, key: Any) -> Iterator[tuple[uuid.UUID, datetime]]:
    last = None
    while True:
        q = stmt if last is None else (stmt.having(key > last) if stmt._group_by_clauses
                                       else stmt.where(key > last))
        rows = db.execute(q.limit(BATCH)).all()
        if not rows:
            return
        for cid, when in rows:
            if cid is not None and when is not None:
                yield cid, when
        last = rows[-1][0]


def _dates(db: Session, trigger: BirthdayTrigger | ImportantDateTrigger, today: date,
           live: Any) -> Iterator[tuple[uuid.UUID, str]]:
    has: Any
    if isinstance(trigger, BirthdayTrigger):
        has = Contact.birthday.is_not(None)
    else:
        length = func.jsonb_array_length if is_postgres(db) else func.json_array_length
        has = length(Contact.important_dates) > 0
    stmt = (select(Contact.id, Contact.birthday, Contact.important_dates)
            .where(live, has).order_by(Contact.id))
    last = None
    while True:
        rows = db.execute((stmt if last is None else stmt.where(Contact.id > last))
                          .limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1].id
        for c in rows:
            for key, label, when, recurring in _dates_of(c):
                if (key == "birthday") != isinstance(trigger, BirthdayTrigger):
                    continue
                if isinstance(trigger, ImportantDateTrigger) and trigger.label and \
                        label.casefold() != trigger.label.casefold():
                    continue
                occ = _occurrence(when, recurring, today)
                if (occ - today).days == trigger.days_before:
                    yield c.id, f"{key}:{occ.isoformat()}"


def scan_dates(db: Session, hooks: Hooks, at: datetime | None = None) -> list[WorkflowRun]:
    """Start the date-triggered workflows due today (each occasion once per contact)."""
    at = at or now()
    runs = []
    rows = db.execute(select(Workflow, WorkflowVersion.definition).join(
        WorkflowVersion, and_(WorkflowVersion.workflow_id == Workflow.id,
                              WorkflowVersion.number == Workflow.current_version))
        .where(Workflow.enabled.is_(True), Workflow.deleted_at.is_(None),
               Workflow.trigger_key.like("date:%"))).all()
    for workflow, raw in rows:
        trigger = Definition.model_validate(raw).trigger
        found = (stalled_deals(db, at) if isinstance(trigger, DealStalledTrigger)
                 else [(Subject(cid), occ) for cid, occ in date_occasions(db, trigger, at)])
        for subject, occasion in list(found):
            run = start_run(db, workflow=workflow, subject=subject, occasion=occasion,
                            hooks=hooks)
            if run is not None:
                runs.append(run)
    return runs


def stalled_deals(db: Session, at: datetime) -> Iterator[tuple[Subject, str]]:
    """Deals stalled now, each once per last activity (a deal that moves on and stalls again
    is a new occasion)."""
    stmt = (select(Deal.id, Deal.contact_id, Deal.owner_id, Deal.last_activity_at)
            .join(Stage, Stage.id == Deal.stage_id)
            .where(Deal.deleted_at.is_(None), stalled_condition(db, at)).order_by(Deal.id))
    last = None
    while True:
        rows = db.execute((stmt if last is None else stmt.where(Deal.id > last))
                          .limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1].id
        for r in rows:
            yield (Subject(r.contact_id, "deal", r.id, r.owner_id),
                   f"stalled:{r.id}:{r.last_activity_at.isoformat()}")


def due_resumes(db: Session, at: datetime, limit: int = 1000) -> list[tuple[uuid.UUID,
                                                                            datetime]]:
    rows = db.execute(select(WorkflowRun.id, WorkflowRun.resume_at).where(
        WorkflowRun.status == "waiting", WorkflowRun.resume_at <= at)
        .order_by(WorkflowRun.resume_at).limit(limit)).all()
    return [(r[0], r[1]) for r in rows if r[1] is not None]


def event_trigger_keys(db: Session) -> list[str]:
    """The event types some enabled workflow starts on (one query on the trigger index)."""
    return list(db.scalars(select(Workflow.trigger_key).distinct().where(
        Workflow.enabled.is_(True), Workflow.deleted_at.is_(None),
        Workflow.trigger_key.not_like("date:%"), Workflow.trigger_key.not_like("web:%"))))


def lock_cursor(db: Session, name: str, start: datetime, at: datetime) -> AutomationCursor:
    """The named cursor row, created at ``start`` if new, locked for this transaction (one
    scanner at a time; on SQLite the write transaction already is)."""
    ins = (postgresql.insert(AutomationCursor) if is_postgres(db)
           else sqlite.insert(AutomationCursor))
    db.execute(ins.values(name=name, position=start, updated_at=at)
               .on_conflict_do_nothing(index_elements=["name"]))
    cursor = db.scalar(select(AutomationCursor).where(AutomationCursor.name == name)
                       .with_for_update())
    assert cursor is not None
    return cursor


OVERLAP = timedelta(minutes=2)
EVENT_BATCH = 1000


def scan_events(db: Session, hooks: Hooks, at: datetime | None = None) -> int:
    """Read the events outbox from the cursor (less ``OVERLAP``) up to now, only the types
    some enabled workflow starts on, and start their runs; returns how many events were read.

    The dispatcher starts runs within a moment of their event (``automation.event``); this
    scan is the safety net for events it passed before a workflow was enabled or whose job
    was lost.

    One scanner at a time: the cursor row is locked (PostgreSQL) or the write transaction is
    (SQLite). Reading an event again is harmless (the run's unique key)."""
    at = at or now()
    cursor = lock_cursor(db, "events", at - OVERLAP, at)
    start = (cursor.position or at) - OVERLAP
    keys = event_trigger_keys(db)
    read, last = 0, start
    if keys:
        events = list(db.scalars(select(EventRecord).where(
            EventRecord.occurred_at >= start, EventRecord.occurred_at <= at,
            EventRecord.type.in_(keys)).order_by(EventRecord.occurred_at, EventRecord.id)
            .limit(EVENT_BATCH)))
        for event in events:
            handle_event(db, event, hooks)
            last = event.occurred_at
        read = len(events)
    # A full batch may leave more: continue from the last one read (next tick), else from now.
    cursor.position = last + OVERLAP if read == EVENT_BATCH else at
    cursor.updated_at = at
    return read
