"""Service levels: which policy applies to a ticket, when each target is due, the pause while
the ticket waits on the customer, and recording warnings and breaches.

Due times are ``start + target (+ business time spent paused)`` in business time on the
policy's calendar, so they can always be recomputed from the ticket (after a priority or
customer change). A paused ticket keeps its due times until it resumes; then the business
time it spent paused is added. Targets: ``first_response`` (met by the first public agent
reply) and ``resolution`` (met when resolved or closed).

A policy with a customer-tier condition (a tag, or a custom field value, on the ticket's
contact or its company) that matches wins over one without; among equals the lowest
``position``, then the name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core import audit
from amity.core.events import publish
from amity.core.text import fold
from amity.tickets.businesshours import (
    ALWAYS,
    Calendar,
    add_business_time,
    business_seconds_between,
    make_calendar,
)
from amity.tickets.events import SlaBreached, SlaWarning
from amity.tickets.models import (
    TARGETS,
    BusinessCalendar,
    SlaPolicy,
    Ticket,
    TicketSlaEvent,
)

MET = {"first_response": Ticket.first_responded_at, "resolution": Ticket.resolved_at}
RUNNING = ("new", "open", "on_hold")  # the SLA clock runs (not paused, not resolved)


def calendar_for(db: Session, calendar_id: uuid.UUID | None) -> Calendar:
    if calendar_id is None:
        return ALWAYS
    row = db.get(BusinessCalendar, calendar_id)
    if row is None:
        return ALWAYS
    return make_calendar(row.time_zone, row.hours, row.holidays)


def _customer(db: Session, ticket: Ticket) -> list[Any]:
    contact = db.get(Contact, ticket.contact_id) if ticket.contact_id else None
    company_id = ticket.company_id or (contact.company_id if contact else None)
    company = db.get(Company, company_id) if company_id else None
    return [r for r in (contact, company) if r is not None]


def _field_matches(value: Any, wanted: str) -> bool:
    if isinstance(value, list):
        return any(str(v) == wanted for v in value)
    if isinstance(value, bool):
        return str(value).lower() == wanted.lower()
    return value is not None and str(value) == wanted


def tier_matches(policy: SlaPolicy, customers: list[Any]) -> bool:
    for record in customers:
        if policy.match_tag and fold(policy.match_tag) in {t.key for t in record.tags}:
            return True
        if policy.match_field and policy.match_value is not None and _field_matches(
                (record.custom_fields or {}).get(policy.match_field), policy.match_value):
            return True
    return False


def select_policy(db: Session, ticket: Ticket) -> SlaPolicy | None:
    policies = list(db.scalars(select(SlaPolicy).where(
        SlaPolicy.active.is_(True), SlaPolicy.priority == ticket.priority)
        .order_by(SlaPolicy.position, SlaPolicy.name)))
    tiered = [p for p in policies if p.match_tag or p.match_field]
    if tiered:
        customers = _customer(db, ticket)
        for policy in tiered:
            if tier_matches(policy, customers):
                return policy
    return next((p for p in policies if not (p.match_tag or p.match_field)), None)


def refresh_derived(t: Ticket) -> None:
    """The running target's times, and the first breach of any target (for queues)."""
    if t.resolved_at is not None:
        t.sla_due_at = t.sla_warn_at = None
    elif t.first_responded_at is None and t.first_response_due_at is not None:
        t.sla_due_at, t.sla_warn_at = t.first_response_due_at, t.first_response_warn_at
    elif t.resolved_at is None and t.resolution_due_at is not None:
        t.sla_due_at, t.sla_warn_at = t.resolution_due_at, t.resolution_warn_at
    else:
        t.sla_due_at = t.sla_warn_at = None
    breaches = [b for b in (t.first_response_breached_at, t.resolution_breached_at) if b]
    t.sla_breached_at = min(breaches) if breaches else None


def schedule(db: Session, t: Ticket) -> None:
    """Choose the policy and compute every due and warning time from the ticket's start."""
    policy = select_policy(db, t)
    t.sla_policy_id = policy.id if policy else None
    if policy is None:
        for target in TARGETS:
            setattr(t, f"{target}_due_at", None)
            setattr(t, f"{target}_warn_at", None)
        refresh_derived(t)
        return
    cal = calendar_for(db, policy.calendar_id)
    paused = t.sla_paused_seconds or 0
    for target, minutes in (("first_response", policy.first_response_minutes),
                            ("resolution", policy.resolution_minutes)):
        seconds = minutes * 60
        setattr(t, f"{target}_due_at", add_business_time(cal, t.created_at, seconds + paused))
        setattr(t, f"{target}_warn_at", add_business_time(
            cal, t.created_at, seconds * policy.warning_percent / 100 + paused))
    refresh_derived(t)


def _policy_calendar(db: Session, t: Ticket) -> Calendar:
    policy = db.get(SlaPolicy, t.sla_policy_id) if t.sla_policy_id else None
    return calendar_for(db, policy.calendar_id if policy else None)


def pause(t: Ticket, at: datetime) -> None:
    if t.sla_paused_at is None:
        t.sla_paused_at = at


def resume(db: Session, t: Ticket, at: datetime) -> None:
    """End a pause: the business time it lasted moves every due time later."""
    if t.sla_paused_at is None:
        return
    t.sla_paused_seconds = (t.sla_paused_seconds or 0) + business_seconds_between(
        _policy_calendar(db, t), t.sla_paused_at, at)
    t.sla_paused_at = None
    schedule(db, t)


def _record(db: Session, ticket_id: uuid.UUID, target: str, kind: str, due: datetime,
            occurred: datetime) -> None:
    db.add(TicketSlaEvent(ticket_id=ticket_id, target=target, kind=kind, due_at=due,
                          occurred_at=occurred))
    audit.record(db, actor_id=None, action=f"sla_{kind}", entity_type="ticket",
                 entity_id=ticket_id, changes={"target": target, "due_at": due.isoformat()})
    if kind == "breach":
        publish(db, SlaBreached(ticket_id=ticket_id, target=target, due_at=due,
                                breached_at=occurred))
    else:
        publish(db, SlaWarning(ticket_id=ticket_id, target=target, due_at=due,
                               warned_at=occurred))


def met_late(db: Session, t: Ticket, target: str, at: datetime) -> None:
    """A target met after its due time, before any check noticed: record the breach now."""
    due = getattr(t, f"{target}_due_at")
    if due is not None and due <= at and getattr(t, f"{target}_breached_at") is None:
        setattr(t, f"{target}_breached_at", due)
        _record(db, t.id, target, "breach", due, due)
    refresh_derived(t)


@dataclass(frozen=True)
class Recorded:
    ticket_id: uuid.UUID
    target: str
    kind: str  # warning | breach
    at: datetime


def _claim(db: Session, target: str, kind: str,
           at: datetime) -> list[tuple[uuid.UUID, datetime, datetime]]:
    """Mark every ticket whose ``target`` warning/due time has passed, once (the UPDATE's
    WHERE makes a concurrent check find nothing left to mark)."""
    due = getattr(Ticket, f"{target}_due_at")
    when = getattr(Ticket, f"{target}_warn_at" if kind == "warning" else f"{target}_due_at")
    mark = getattr(Ticket, f"{target}_warned_at" if kind == "warning"
                   else f"{target}_breached_at")
    # Any warning or due time still to record is at or after the running target's warning
    # time (a resolution target is never shorter than the first response's, and a warning
    # comes before its due time), so ``sla_warn_at <= at`` on running tickets narrows the
    # scan to a few rows through ix_tickets_status_warn.
    cond = and_(Ticket.status.in_(RUNNING), Ticket.sla_warn_at <= at,
                Ticket.deleted_at.is_(None), Ticket.sla_paused_at.is_(None),
                Ticket.resolved_at.is_(None), MET[target].is_(None), when.is_not(None),
                when <= at, mark.is_(None), getattr(Ticket, f"{target}_breached_at").is_(None))
    values: dict[str, Any] = {mark.key: when}
    if kind == "warning":
        cond = and_(cond, due > at)
    else:
        values["sla_breached_at"] = func.coalesce(Ticket.sla_breached_at, when)
    stmt = update(Ticket).where(cond).values(**values).returning(Ticket.id, when, due)
    return [(r[0], r[1], r[2]) for r in db.execute(stmt, execution_options={
        "synchronize_session": False})]


def check_breaches(db: Session, at: datetime) -> list[Recorded]:
    """Record every warning and breach that has come due by ``at``; each is recorded and
    published once (``ticket.sla_warning``, ``ticket.sla_breached``) however many checks run.
    Run periodically; returns what it recorded."""
    out: list[Recorded] = []
    for kind in ("warning", "breach"):
        for target in TARGETS:
            for ticket_id, when, due in _claim(db, target, kind, at):
                _record(db, ticket_id, target, kind, due, when)
                out.append(Recorded(ticket_id, target, kind, when))
    db.flush()
    return out
