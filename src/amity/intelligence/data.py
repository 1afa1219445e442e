"""Reads the business's history into the flat arrays the models use, in streamed chunks.

Customers are live contacts with at least one counted order (placed, paid, fulfilled).
Amounts are converted to the reporting currency at today's rates; orders in a currency
without a rate are left out (and counted, so the admin page can say so). Times become day
numbers (days since 1970-01-01 UTC, fractional).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.activities.models import Interaction, InteractionParticipant
from amity.commerce.models import COUNTED_STATUSES, Order
from amity.commerce.rates import rates_on
from amity.contacts.models import Contact
from amity.intelligence.features import History
from amity.tickets.models import Ticket, TicketSurvey

CHUNK = 20_000
DAY = 86_400.0


def day_number(at: datetime) -> float:
    return at.timestamp() / DAY


@dataclass
class Loaded:
    history: History
    currency: str
    skipped_orders: int  # no exchange rate for their currency


def _stream(db: Session, q: Any) -> list[Any]:
    rows: list[Any] = []
    for part in db.execute(q.execution_options(yield_per=CHUNK)).partitions():
        rows.extend(part)
    return rows


def _factors(db: Session, currencies: set[str], target: str, base: str | None,
             on: date) -> dict[str, float]:
    wanted = ((currencies | {target}) - {base}) if base else set()
    rates = rates_on(db, wanted, on)
    one = Decimal(1)
    out: dict[str, float] = {target: 1.0}
    to = one if target == base else rates.get(target)
    for cur in currencies:
        source = one if cur == base else rates.get(cur)
        if cur != target and source is not None and to is not None:
            out[cur] = float(source / to)
    return out


def load_history(db: Session, *, currency: str, base: str | None, at: datetime) -> Loaded:
    """Every customer's orders, interactions, tickets and survey answers before ``at``."""
    live = Contact.deleted_at.is_(None)
    orders = _stream(db, select(Order.contact_id, Order.ordered_at, Order.total, Order.currency)
                     .join(Contact, Contact.id == Order.contact_id)
                     .where(live, Order.status.in_(COUNTED_STATUSES), Order.ordered_at < at)
                     .order_by(Order.contact_id))
    factors = _factors(db, {str(r[3]) for r in orders}, currency, base, at.date())
    kept = [r for r in orders if str(r[3]) in factors]
    keys = np.array(sorted({r[0] for r in kept}), dtype=object)
    index = {k: i for i, k in enumerate(keys)}
    h = History(keys=keys)
    if kept:
        h.order_key = np.array([index[r[0]] for r in kept], dtype=np.int64)
        h.order_day = np.array([day_number(r[1]) for r in kept])
        h.order_amount = np.array([float(r[2]) * factors[str(r[3])] for r in kept])
    touches = _stream(db, select(InteractionParticipant.contact_id, Interaction.occurred_at)
                      .join(Interaction, Interaction.id == InteractionParticipant.interaction_id)
                      .where(Interaction.deleted_at.is_(None), Interaction.occurred_at < at,
                             InteractionParticipant.contact_id.is_not(None)))
    h.touch_key, h.touch_day = _keyed(touches, index)
    tickets = _stream(db, select(Ticket.contact_id, Ticket.created_at)
                      .where(Ticket.contact_id.is_not(None), Ticket.created_at < at))
    h.ticket_key, h.ticket_day = _keyed(tickets, index)
    surveys = _stream(db, select(TicketSurvey.contact_id, TicketSurvey.answered_at,
                                 TicketSurvey.score)
                      .where(TicketSurvey.score.is_not(None),
                             TicketSurvey.answered_at.is_not(None),
                             TicketSurvey.answered_at < at))
    mine = [r for r in surveys if r[0] in index]
    h.survey_key = np.array([index[r[0]] for r in mine], dtype=np.int64)
    h.survey_day = np.array([day_number(r[1]) for r in mine])
    h.survey_score = np.array([float(r[2]) for r in mine])
    return Loaded(h, currency, len(orders) - len(kept))


def _keyed(rows: list[Any], index: dict[uuid.UUID, int]) -> tuple[Any, Any]:
    mine = [r for r in rows if r[0] in index]
    return (np.array([index[r[0]] for r in mine], dtype=np.int64),
            np.array([day_number(r[1]) for r in mine]))
