"""A company's page in one read: its people, deals, orders, tickets and its people's recent
interactions, each list through the reader's scope and each in one statement (no query per row).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from amity.activities.models import Interaction, InteractionParticipant
from amity.commerce.models import Order
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.deals.models import Deal
from amity.tickets.models import Ticket

Scope = Callable[[Select[Any]], Select[Any]]
PANEL_LIMIT = 20


@dataclass
class CompanyOverview:
    company: Company
    people: list[Contact] = field(default_factory=list)
    people_total: int = 0
    deals: list[Any] = field(default_factory=list)
    orders: list[Any] = field(default_factory=list)
    tickets: list[Any] = field(default_factory=list)
    activity: list[Any] = field(default_factory=list)
    parent: Any = None


def company_overview(db: Session, company: Company, *, contacts: Scope | None,
                     deals: Scope | None, orders: Scope | None, tickets: Scope | None,
                     companies: Scope, limit: int = PANEL_LIMIT) -> CompanyOverview:
    """Panels the reader may see (a scope of None leaves that panel empty), newest first."""
    cid = company.id
    view = CompanyOverview(company=company)
    if company.parent_id:
        view.parent = db.execute(companies(select(Company)).with_only_columns(
            Company.id, Company.name).where(Company.id == company.parent_id,
                                            Company.deleted_at.is_(None))).first()
    if contacts is not None:
        live = contacts(select(Contact)).where(Contact.company_id == cid,
                                               Contact.deleted_at.is_(None))
        view.people = list(db.scalars(live.order_by(Contact.sort_name, Contact.id)
                                      .limit(limit)))
        view.people_total = int(db.scalar(live.with_only_columns(func.count())) or 0)
        view.activity = _activity(db, live, limit)
    if deals is not None:
        view.deals = list(db.execute(deals(select(Deal)).with_only_columns(
            Deal.id, Deal.name, Deal.amount, Deal.currency, Deal.status,
            Deal.expected_close_date).where(Deal.company_id == cid, Deal.deleted_at.is_(None))
            .order_by(Deal.created_at.desc(), Deal.id).limit(limit)))
    if orders is not None:
        view.orders = list(db.execute(orders(select(Order)).with_only_columns(
            Order.id, Order.number, Order.ordered_at, Order.status, Order.total,
            Order.currency).where(Order.company_id == cid, Order.deleted_at.is_(None))
            .order_by(Order.ordered_at.desc(), Order.id).limit(limit)))
    if tickets is not None:
        view.tickets = list(db.execute(tickets(select(Ticket)).with_only_columns(
            Ticket.id, Ticket.number, Ticket.subject, Ticket.status, Ticket.priority,
            Ticket.updated_at).where(Ticket.company_id == cid, Ticket.deleted_at.is_(None))
            .order_by(Ticket.updated_at.desc(), Ticket.id).limit(limit)))
    return view


def _activity(db: Session, people: Select[Any], limit: int) -> list[Any]:
    """Recent interactions with the company's visible people (an interaction is visible to
    whoever may view one of its contacts), each with the person it involved."""
    visible_ids = people.with_only_columns(Contact.id).scalar_subquery()
    p = InteractionParticipant
    rows = db.execute(
        select(Interaction.id, Interaction.channel, Interaction.direction, Interaction.subject,
               Interaction.occurred_at, Contact.id.label("contact_id"),
               Contact.first_name, Contact.last_name)
        .join(p, p.interaction_id == Interaction.id)
        .join(Contact, Contact.id == p.contact_id)
        .where(p.contact_id.in_(visible_ids), Interaction.deleted_at.is_(None))
        .order_by(Interaction.occurred_at.desc(), Interaction.id).limit(limit * 2))
    seen: set[uuid.UUID] = set()
    out = []
    for r in rows:  # one row per participant: keep each interaction once
        if r.id not in seen:
            seen.add(r.id)
            out.append(r)
    return out[:limit]
