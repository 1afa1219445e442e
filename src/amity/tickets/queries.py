"""Reading tickets: filtered keyset lists, queues and their counts, the customer's service
summary (for the contact 360) and the customer's value shown with a ticket."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, union
from sqlalchemy.orm import Session

from amity.auth.models import Team, team_members
from amity.commerce.history import purchase_summary
from amity.commerce.models import Order
from amity.core.db import is_postgres
from amity.core.errors import ValidationFailed
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.core.tags import Tag
from amity.core.text import fold
from amity.deals.models import Deal
from amity.tickets.models import OPEN_STATUSES, ContactSatisfaction, Ticket, ticket_tags
from amity.tickets.schemas import (
    CurrencyTotal,
    CustomerValue,
    DealBrief,
    PurchaseBrief,
    ServiceSummary,
)
from amity.tickets.survey import average

AnySelect = Select[*tuple[Any, ...]]
Scope = Callable[[AnySelect], AnySelect]
RECENT = 5
SORTS: dict[str, Sort] = {
    "created_at": Sort("created_at", Ticket.created_at),
    "-created_at": Sort("created_at", Ticket.created_at, descending=True),
    "updated_at": Sort("updated_at", Ticket.updated_at),
    "-updated_at": Sort("updated_at", Ticket.updated_at, descending=True),
    "number": Sort("number", Ticket.number),
    "-number": Sort("number", Ticket.number, descending=True),
}
_REFERENCE = re.compile(r"^\[?#?(?:t-?)?(\d{1,18})\]?$", re.IGNORECASE)
_SUBJECT_TAG = re.compile(r"\[#T-(\d{1,18})\]", re.IGNORECASE)


@dataclass
class TicketFilters:
    status: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    channel: str | None = None
    category: str | None = None
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    unassigned: bool = False
    team_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    tag: str | None = None
    q: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    queue: str | None = None
    deleted: str = "exclude"


def _my_teams(user_id: uuid.UUID) -> Any:
    return union(select(team_members.c.team_id).where(team_members.c.user_id == user_id),
                 select(Team.id).where(Team.manager_id == user_id)).scalar_subquery()


def queue_conditions(user_id: uuid.UUID, at: datetime) -> dict[str, ColumnElement[bool]]:
    """Each queue as a condition (open tickets only)."""
    active = Ticket.status.in_(OPEN_STATUSES)
    running = and_(active, Ticket.sla_paused_at.is_(None))
    return {
        "mine": and_(active, Ticket.assignee_id == user_id),
        "team": and_(active, Ticket.team_id.in_(_my_teams(user_id))),
        "unassigned": and_(active, Ticket.assignee_id.is_(None)),
        "breaching_soon": and_(running, Ticket.sla_breached_at.is_(None),
                               Ticket.sla_warn_at <= at, Ticket.sla_due_at > at),
        "breached": and_(active, or_(Ticket.sla_breached_at.is_not(None),
                                     and_(Ticket.sla_paused_at.is_(None),
                                          Ticket.sla_due_at <= at))),
    }


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def apply_filters(stmt: AnySelect, f: TicketFilters, user_id: uuid.UUID,
                  at: datetime) -> AnySelect:
    if f.deleted == "exclude":
        stmt = stmt.where(Ticket.deleted_at.is_(None))
    elif f.deleted == "only":
        stmt = stmt.where(Ticket.deleted_at.is_not(None))
    simple = {Ticket.channel: f.channel, Ticket.category: f.category,
              Ticket.contact_id: f.contact_id, Ticket.company_id: f.company_id,
              Ticket.assignee_id: f.assignee_id, Ticket.team_id: f.team_id,
              Ticket.owner_id: f.owner_id}
    for column, value in simple.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if f.status:
        stmt = stmt.where(Ticket.status.in_(f.status))
    if f.priority:
        stmt = stmt.where(Ticket.priority.in_(f.priority))
    if f.unassigned:
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    if f.tag:
        stmt = stmt.where(Ticket.id.in_(select(ticket_tags.c.ticket_id).join(Tag).where(
            Tag.key == fold(f.tag))))
    if f.q and f.q.strip():
        ref = _REFERENCE.match(f.q.strip())
        words = func.lower(Ticket.subject).like(_like(f.q.strip().lower()), escape="\\")
        stmt = stmt.where(or_(words, Ticket.number == int(ref.group(1))) if ref else words)
    for name, op in (("created_after", "ge"), ("created_before", "lt")):
        value = getattr(f, name)
        if value is not None:
            if value.tzinfo is None:
                raise ValidationFailed("datetime.naive", "Give times with a time zone, e.g. "
                                       "2026-01-31T00:00:00Z", name)
            stmt = stmt.where(Ticket.created_at >= value if op == "ge"
                              else Ticket.created_at < value)
    if f.queue:
        stmt = stmt.where(queue_conditions(user_id, at)[f.queue])
    return stmt


def list_tickets(db: Session, base: AnySelect, *, filters: TicketFilters, user_id: uuid.UUID,
                 at: datetime, sort: str, cursor: str | None, limit: int) -> Page[Ticket]:
    if sort not in SORTS:
        raise ValidationFailed("sort.invalid", f"sort must be one of {sorted(SORTS)}", "sort")
    s = SORTS[sort]
    stmt = keyset(apply_filters(base, filters, user_id, at), s, Ticket.id, cursor, limit)
    return page_of(list(db.scalars(stmt)), s, limit, key=lambda t: getattr(t, s.column.key))


def ticket_for_subject(db: Session, subject: str) -> Ticket | None:
    """The live ticket an email subject names with its tag ("Re: [#T-1042] Oven"), if any."""
    match = _SUBJECT_TAG.search(subject or "")
    if match is None:
        return None
    return db.scalar(select(Ticket).where(Ticket.number == int(match.group(1)),
                                          Ticket.deleted_at.is_(None)))


def queue_counts(db: Session, base: AnySelect, *, user_id: uuid.UUID,
                 at: datetime) -> dict[str, int]:
    """Tickets in each queue, in one statement over the tickets the reader may see."""
    conditions = queue_conditions(user_id, at)
    sums = [func.coalesce(func.sum(case((cond, 1), else_=0)), 0).label(name)
            for name, cond in conditions.items()]
    # every queue holds open tickets only: the status index narrows the scan to those
    stmt = base.with_only_columns(*sums).where(Ticket.deleted_at.is_(None),
                                               Ticket.status.in_(OPEN_STATUSES))
    row = db.execute(stmt).one()
    return {name: int(row._mapping[name]) for name in conditions}


def _seconds(db: Session, start: Any, end: Any) -> Any:
    if is_postgres(db):
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def service_summary(db: Session, contact_id: uuid.UUID,
                    visible: Scope | None = None) -> ServiceSummary:
    """Open tickets, all tickets, mean satisfaction and mean time to resolve of a contact, in
    one statement. ``visible`` limits the counted tickets to those a reader may see (the
    satisfaction average covers every answer the contact gave)."""
    stats = (select(ContactSatisfaction.responses, ContactSatisfaction.score_total)
             .where(ContactSatisfaction.contact_id == contact_id))
    stmt = select(
        func.coalesce(func.sum(case((Ticket.status.in_(OPEN_STATUSES), 1), else_=0)), 0),
        func.count(Ticket.id),
        func.avg(case((Ticket.resolved_at.is_not(None),
                       _seconds(db, Ticket.created_at, Ticket.resolved_at)), else_=None)),
        stats.with_only_columns(ContactSatisfaction.responses).scalar_subquery(),
        stats.with_only_columns(ContactSatisfaction.score_total).scalar_subquery(),
    ).where(Ticket.contact_id == contact_id, Ticket.deleted_at.is_(None))
    if visible is not None:
        stmt = visible(stmt)
    open_count, total, avg_seconds, responses, score_total = db.execute(stmt).one()
    return ServiceSummary(
        contact_id=contact_id, open_tickets=int(open_count or 0), tickets_total=int(total or 0),
        satisfaction_average=average(int(responses or 0), int(score_total or 0)),
        satisfaction_responses=int(responses or 0),
        average_resolution_seconds=round(float(avg_seconds)) if avg_seconds is not None
        else None)


def _customer_filter(model: Any, t: Ticket) -> ColumnElement[bool]:
    if t.contact_id is not None:
        return model.contact_id == t.contact_id  # type: ignore[no-any-return]
    return model.company_id == t.company_id  # type: ignore[no-any-return]


def customer_value(db: Session, t: Ticket, *, today: date, visible_orders: Scope | None,
                   visible_deals: Scope | None,
                   visible_tickets: Scope | None) -> CustomerValue | None:
    """The customer's spend, recent purchases and open deals, each within what the reader may
    see (``None`` when the reader may not see orders or deals at all)."""
    if t.contact_id is None and t.company_id is None:
        return None
    spend = orders = recent = deals = None
    if visible_orders is not None:
        summary = purchase_summary(db, contact_id=t.contact_id,
                                   company_id=None if t.contact_id else t.company_id,
                                   today=today, visible_orders=visible_orders)
        spend = [CurrencyTotal(currency=s.currency, total=s.total) for s in summary.spend]
        orders = summary.orders
        # columns, not entities: an Order would selectin-load its lines
        stmt: AnySelect = (select(Order.id, Order.number, Order.ordered_at, Order.status,
                                  Order.currency, Order.total)
                           .where(_customer_filter(Order, t), Order.deleted_at.is_(None))
                           .order_by(Order.ordered_at.desc(), Order.id.desc()).limit(RECENT))
        recent = [PurchaseBrief(order_id=o.id, number=o.number, ordered_at=o.ordered_at,
                                status=o.status, currency=o.currency, total=o.total)
                  for o in db.execute(visible_orders(stmt))]
    if visible_deals is not None:
        dstmt: AnySelect = (select(Deal.id, Deal.name, Deal.amount, Deal.currency,
                                   Deal.expected_close_date)
                            .where(_customer_filter(Deal, t), Deal.status == "open",
                                   Deal.deleted_at.is_(None))
                            .order_by(Deal.amount.desc(), Deal.id).limit(RECENT))
        deals = [DealBrief(id=d.id, name=d.name, amount=d.amount, currency=d.currency,
                           expected_close_date=d.expected_close_date)
                 for d in db.execute(visible_deals(dstmt))]
    service = (service_summary(db, t.contact_id, visible_tickets)
               if t.contact_id is not None else None)
    return CustomerValue(contact_id=t.contact_id, company_id=t.company_id, lifetime_spend=spend,
                         orders=orders, recent_purchases=recent, open_deals=deals,
                         service=service)
