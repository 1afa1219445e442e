"""What a person's erasure and export need from sales and commerce: their orders (with lines)
and the deals they take part in.

Orders and deals are business records: amounts, dates, products, stages and their history
stay, so revenue, forecasts and cycle lengths are the same after an erasure. What is written
about the person goes: order notes, deal descriptions and next steps, and a deal name that
contains their name; audit entries about those orders and deals lose those fields' values.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from amity.commerce.models import Order
from amity.core import audit
from amity.core.audit import AuditEntry
from amity.core.text import fold
from amity.deals.models import Deal, DealContact

ERASED = "[erased]"
ORDER_TEXT = ("notes",)
DEAL_TEXT = ("description", "next_step")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _orders(db: Session, contact_id: uuid.UUID) -> list[Order]:
    return list(db.scalars(select(Order).where(Order.contact_id == contact_id)
                           .order_by(Order.ordered_at, Order.id)))


def _deals(db: Session, contact_id: uuid.UUID) -> tuple[list[Deal], dict[uuid.UUID, str]]:
    """The deals whose primary contact the person is or in which they have a role, and
    their roles by deal id."""
    roles = {dc.deal_id: dc.role or "" for dc in db.scalars(
        select(DealContact).where(DealContact.contact_id == contact_id))}
    deals = list(db.scalars(select(Deal).where(
        or_(Deal.contact_id == contact_id, Deal.id.in_(list(roles))))
        .order_by(Deal.created_at, Deal.id)))
    return deals, roles


def export_commerce(db: Session, *, contact_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """The person's orders with their lines, and their deals with their role, JSON-ready,
    oldest first. Amounts are exact decimal strings."""
    deals, roles = _deals(db, contact_id)
    return {
        "orders": [{
            "id": str(o.id), "number": o.number, "external_ref": o.external_ref,
            "ordered_at": o.ordered_at.isoformat(), "channel": o.channel, "status": o.status,
            "currency": o.currency, "subtotal": str(o.subtotal),
            "discount_total": str(o.discount_total), "total": str(o.total), "notes": o.notes,
            "deleted_at": _iso(o.deleted_at),
            "lines": [{"sku": ln.sku, "description": ln.description, "category": ln.category,
                       "quantity": str(ln.quantity), "unit_price": str(ln.unit_price),
                       "discount_percent": str(ln.discount_percent), "total": str(ln.total)}
                      for ln in o.lines]}
            for o in _orders(db, contact_id)],
        "deals": [{
            "id": str(d.id), "name": d.name, "amount": str(d.amount), "currency": d.currency,
            "status": d.status, "primary_contact": d.contact_id == contact_id,
            "role": roles.get(d.id), "description": d.description, "next_step": d.next_step,
            "expected_close_date": d.expected_close_date.isoformat()
            if d.expected_close_date else None,
            "created_at": d.created_at.isoformat(), "closed_at": _iso(d.closed_at),
            "deleted_at": _iso(d.deleted_at)}
            for d in deals],
    }


def _name_pattern(names: list[str | None]) -> re.Pattern[str] | None:
    words = sorted({w for n in names if n for w in re.findall(r"\w{3,}", n)}, key=len,
                   reverse=True)
    if not words:
        return None
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


def _scrub_fields(entry: AuditEntry, fields: tuple[str, ...]) -> bool:
    changes = dict(entry.changes or {})
    hit = [k for k in changes if k in fields]
    if not hit:
        return False
    masked = audit.scrub({k: changes[k] for k in hit})
    entry.changes = {**changes, **masked}
    return True


def erase_commerce(db: Session, *, contact_id: uuid.UUID,
                   names: list[str | None]) -> tuple[int, int]:
    """Blank what is written about the person on their orders and deals (``names``: the
    person's former names, to find them in deal names). Returns (orders, deals) touched."""
    orders = _orders(db, contact_id)
    for order in orders:
        if order.notes:
            order.notes = ERASED
    deals, _ = _deals(db, contact_id)
    pattern = _name_pattern(names)
    renamed: set[uuid.UUID] = set()
    for deal in deals:
        for field in DEAL_TEXT:
            if getattr(deal, field):
                setattr(deal, field, ERASED)
        if pattern is not None and pattern.search(deal.name or ""):
            deal.name = pattern.sub(ERASED, deal.name)
            deal.sort_name = fold(deal.name)[:300]
            renamed.add(deal.id)
    order_ids = [o.id for o in orders]
    deal_ids = [d.id for d in deals]
    entries = db.scalars(select(AuditEntry).where(or_(
        (AuditEntry.entity_type == "order") & AuditEntry.entity_id.in_(order_ids),
        (AuditEntry.entity_type == "deal") & AuditEntry.entity_id.in_(deal_ids))))
    for entry in entries:
        if entry.entity_type == "order":
            _scrub_fields(entry, ORDER_TEXT)
        else:
            fields = DEAL_TEXT + (("name", "sort_name") if entry.entity_id in renamed else ())
            _scrub_fields(entry, fields)
    return len(orders), len(deals)
