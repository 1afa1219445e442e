"""Global search across the records a user may see, a fixed number of statements per call."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from amity.auth.access import Permission, scope_for, scoped
from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts import queries as contacts
from amity.contacts.models import Contact
from amity.core.text import fold
from amity.deals import queries as deals
from amity.deals.models import Deal
from amity.tickets import queries as tickets
from amity.tickets.models import REFERENCE_PREFIX, Ticket

GROUPS = ("contacts", "companies", "deals", "tickets")
GROUP_LABELS = {"contacts": "People", "companies": "Companies", "deals": "Deals",
                "tickets": "Tickets"}
MAX_QUERY = 200


class SearchHit(BaseModel):
    """One found record: what to show and where it lives in the web UI."""

    kind: str
    id: uuid.UUID
    title: str
    subtitle: str | None = None
    url: str


class SearchResults(BaseModel):
    q: str
    contacts: list[SearchHit] = []
    companies: list[SearchHit] = []
    deals: list[SearchHit] = []
    tickets: list[SearchHit] = []

    def groups(self) -> list[tuple[str, str, list[SearchHit]]]:
        """(key, label, hits) for each non-empty group, in display order."""
        return [(g, GROUP_LABELS[g], getattr(self, g)) for g in GROUPS if getattr(self, g)]

    @property
    def total(self) -> int:
        return sum(len(getattr(self, g)) for g in GROUPS)


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _visible(db: Session, user: User, model: type[Any],
             permission: Permission) -> Callable[[Select[Any]], Select[Any]] | None:
    """The reader's scope for ``model``, or None when they may not see any (group left out)."""
    if scope_for(user, permission) == "none":
        return None
    return lambda stmt: scoped(db, stmt, user, model, permission)


def _contacts(db: Session, base: Select[Any], q: str, limit: int) -> list[SearchHit]:
    found = contacts.search_contacts(db, base, q=q, filters=contacts.ContactFilters(),
                                     limit=limit)
    return [SearchHit(kind="contact", id=c.id, title=c.display_name,
                      subtitle=" · ".join(x for x in (c.company.name if c.company else None,
                                                      c.primary_email) if x) or None,
                      url=f"/contacts/{c.id}") for c in found]


def _companies(db: Session, base: Select[Any], q: str, limit: int) -> list[SearchHit]:
    pat = _like(fold(q))
    rows = db.execute(
        base.with_only_columns(Company.id, Company.name, Company.domain, Company.industry)
        .where(Company.deleted_at.is_(None),
               Company.sort_name.like(pat, escape="\\") | Company.domain.like(pat, escape="\\"))
        .order_by(Company.sort_name, Company.id).limit(limit))
    return [SearchHit(kind="company", id=r.id, title=r.name,
                      subtitle=" · ".join(x for x in (r.domain, r.industry) if x) or None,
                      url=f"/companies/{r.id}") for r in rows]


def _deals(db: Session, base: Select[Any], q: str, limit: int, at: datetime) -> list[SearchHit]:
    stmt = deals.apply_filters(db, base, deals.DealFilters(q=q), at)
    rows = db.execute(stmt.with_only_columns(Deal.id, Deal.name, Deal.amount, Deal.currency,
                                             Deal.status)
                      .order_by(Deal.sort_name, Deal.id).limit(limit))
    return [SearchHit(kind="deal", id=r.id, title=r.name,
                      subtitle=f"{r.amount:,.2f} {r.currency} · {r.status}",
                      url=f"/deals/{r.id}") for r in rows]


def _tickets(db: Session, base: Select[Any], q: str, limit: int, user: User,
             at: datetime) -> list[SearchHit]:
    stmt = tickets.apply_filters(base, tickets.TicketFilters(q=q), user.id, at)
    rows = db.execute(stmt.with_only_columns(Ticket.id, Ticket.number, Ticket.subject,
                                             Ticket.status)
                      .order_by(Ticket.updated_at.desc(), Ticket.id).limit(limit))
    return [SearchHit(kind="ticket", id=r.id, title=r.subject,
                      subtitle=f"{REFERENCE_PREFIX}{r.number} · {r.status}",
                      url=f"/tickets/{REFERENCE_PREFIX}{r.number}") for r in rows]


def global_search(db: Session, *, user: User, q: str, limit: int, at: datetime,
                  only: str | None = None) -> SearchResults:
    """Up to ``limit`` hits per group that ``user`` may see; ``only`` restricts to one group.

    People are found typo-tolerantly (``contacts.search``); companies by folded name or domain,
    deals by folded name, tickets by subject or number ("T-1042"), all as indexed substrings.
    """
    q = q.strip()[:MAX_QUERY]
    out = SearchResults(q=q)
    if not q:
        return out
    wanted = [only] if only else list(GROUPS)
    if "contacts" in wanted and (v := _visible(db, user, Contact, Permission.CONTACTS_VIEW)):
        out.contacts = _contacts(db, v(select(Contact)), q, limit)
    if "companies" in wanted and (v := _visible(db, user, Company,
                                                Permission.COMPANIES_VIEW)):
        out.companies = _companies(db, v(select(Company)), q, limit)
    if "deals" in wanted and (v := _visible(db, user, Deal, Permission.DEALS_VIEW)):
        out.deals = _deals(db, v(select(Deal)), q, limit, at)
    if "tickets" in wanted and (v := _visible(db, user, Ticket, Permission.TICKETS_VIEW)):
        out.tickets = _tickets(db, v(select(Ticket)), q, limit, user, at)
    return out
