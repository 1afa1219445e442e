"""Exchange rates and currency conversion.

A rate says how many units of the base currency (``Settings.base_currency``) one unit of
``currency`` buys, from ``valid_from`` until the next rate of that currency. Converting A to B
on a day goes through the base: amount x rate(A) / rate(B), where the base currency's own rate
is 1. Without a rate for a currency on that day there is no answer (``None``), never a guess.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.commerce.models import ExchangeRate
from amity.commerce.schemas import ExchangeRateCreate
from amity.core import audit
from amity.core.errors import Conflict, ValidationFailed
from amity.core.events import DomainEvent, publish
from amity.core.pagination import Page, Sort, keyset, page_of

ONE = Decimal(1)


@dataclass(frozen=True)
class ExchangeRateChanged(DomainEvent):
    type = "exchange_rate.changed"
    rate_id: uuid.UUID
    currency: str
    action: str = "create"


def rates_on(db: Session, currencies: Iterable[str], on: date) -> dict[str, Decimal]:
    """The rate of each currency valid on ``on`` (its latest ``valid_from`` not after it), in
    one statement; currencies without one are missing from the answer."""
    wanted = sorted(set(currencies))
    if not wanted:
        return {}
    latest = (select(ExchangeRate.currency, func.max(ExchangeRate.valid_from).label("since"))
              .where(ExchangeRate.currency.in_(wanted), ExchangeRate.valid_from <= on)
              .group_by(ExchangeRate.currency).subquery())
    rows = db.execute(select(ExchangeRate.currency, ExchangeRate.rate).join(
        latest, and_(ExchangeRate.currency == latest.c.currency,
                     ExchangeRate.valid_from == latest.c.since)))
    return {str(row[0]): row[1] for row in rows}


def convert(db: Session, amount: Decimal, currency: str, to: str, on: date, *,
            base: str | None = None, places: int = 2) -> Decimal | None:
    """``amount`` of ``currency`` in ``to`` at the rates valid on ``on``, rounded half-even
    to ``places`` decimals; ``None`` when a rate is missing. Pass ``base`` (the settings'
    ``base_currency``) to convert to or from the base currency itself, which has no rate
    rows. One statement at most."""
    if currency == to:
        return amount
    factors = rates_on(db, {currency, to} - {base}, on)
    source = ONE if currency == base else factors.get(currency)
    target = ONE if to == base else factors.get(to)
    if source is None or target is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        return (amount * source / target).quantize(Decimal(1).scaleb(-places),
                                                   rounding=ROUND_HALF_EVEN)


def create_rate(db: Session, *, data: ExchangeRateCreate, base: str | None,
                actor: User) -> ExchangeRate:
    """Record a rate; one per currency and day (409 naming ``valid_from`` otherwise)."""
    if base is None:
        raise ValidationFailed("exchange_rate.no_base_currency", "Set AMITY_BASE_CURRENCY "
                               "first: rates are quoted in the base currency", "currency")
    if data.currency == base:
        raise ValidationFailed("exchange_rate.base_currency", f"{base} is the base currency; "
                               "its rate is always 1", "currency")
    rate = ExchangeRate(id=uuid.uuid4(), currency=data.currency, rate=data.rate,
                        valid_from=data.valid_from)
    try:
        with db.begin_nested():
            db.add(rate)
            db.flush()
    except IntegrityError as exc:
        raise Conflict("exchange_rate.exists", f"{data.currency} already has a rate from "
                       f"{data.valid_from}; delete it first", "valid_from") from exc
    audit.record(db, actor_id=actor.id, action="create", entity_type="exchange_rate",
                 entity_id=rate.id, changes=audit.diff({}, {
                     "currency": rate.currency, "rate": rate.rate,
                     "valid_from": rate.valid_from}))
    publish(db, ExchangeRateChanged(rate_id=rate.id, currency=rate.currency))
    return rate


def delete_rate(db: Session, *, rate: ExchangeRate, actor: User) -> None:
    """Remove a rate (a mistyped one): the previous rate of the currency applies again."""
    audit.record(db, actor_id=actor.id, action="delete", entity_type="exchange_rate",
                 entity_id=rate.id, changes=audit.diff({"currency": rate.currency,
                                                        "rate": rate.rate,
                                                        "valid_from": rate.valid_from}, {}))
    publish(db, ExchangeRateChanged(rate_id=rate.id, currency=rate.currency, action="delete"))
    db.delete(rate)
    db.flush()


_NEWEST = Sort("created_at", ExchangeRate.created_at, descending=True)


def list_rates(db: Session, *, currency: str | None, cursor: str | None,
               limit: int) -> Page[ExchangeRate]:
    """Rates, most recently entered first."""
    stmt = select(ExchangeRate)
    if currency:
        stmt = stmt.where(ExchangeRate.currency == currency)
    rows = list(db.scalars(keyset(stmt, _NEWEST, ExchangeRate.id, cursor, limit)))
    return page_of(rows, _NEWEST, limit, key=lambda r: r.created_at)
