"""The dashboard's roll-ups: orders and interactions per UTC day and owner, and each customer's
first counted order (per currency, per owner and over all owners).

``refresh`` brings them up to date incrementally: it reads the source rows whose
``updated_at`` is at or after the last watermark (minus ``LAG``, so a transaction that commits
late is still seen), looks up in ``analytics_rollup_keys`` the day and customer each of them
was counted for before, and recomputes exactly those days and customers from the live tables
with SQL aggregates (an edit that moves an order to another day or owner, a cancellation and
a soft delete all land in both the old and the new day). ``rebuild`` recomputes everything and
is also the way to pick up hard deletes (privacy erasure), which leave no ``updated_at`` behind.

``split`` cuts a period's half-open UTC range into whole UTC days (read here) and the partial
days at either end (read live), so a period in any time zone, including the half-hour ones,
gives the same numbers as the direct queries.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session

from amity.activities.models import Interaction
from amity.analytics.models import (
    NIL_OWNER,
    customer_first,
    interaction_days,
    order_days,
    rollup_keys,
    rollup_state,
)
from amity.commerce.models import COUNTED_STATUSES, Order
from amity.core.clock import now
from amity.core.db import is_postgres

SOURCES = ("orders", "interactions")
LAG = timedelta(minutes=5)  # rows are re-read this far before the watermark (late commits)
CHUNK = 500
DAY = timedelta(days=1)


@dataclass(frozen=True)
class RefreshStats:
    source: str
    full: bool
    rows: int  # source rows read (changed rows, or all of them on a rebuild)
    days: int  # UTC days recomputed
    customers: int  # customers whose first orders were recomputed (orders only)
    ms: float


def utc_day(db: Session, column: Any) -> Any:
    """The UTC calendar day of a stored time, in SQL (the same day ``day_of`` gives)."""
    if is_postgres(db):
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def split(lo: datetime, hi: datetime) -> tuple[tuple[date, date] | None,
                                               list[tuple[datetime, datetime]]]:
    """``[lo, hi)`` as whole UTC days ``[first, end)`` and the partial days around them."""
    first = day_of(lo) if midnight(day_of(lo)) == lo else day_of(lo) + DAY
    end = day_of(hi)
    if first >= end:
        return None, [(lo, hi)] if lo < hi else []
    edges = [(lo, midnight(first))] if lo < midnight(first) else []
    if midnight(end) < hi:
        edges.append((midnight(end), hi))
    return (first, end), edges


def raw(column: Any) -> Any:
    return type_coerce(column, BigInteger)


def _counted() -> list[Any]:
    return [Order.deleted_at.is_(None), Order.status.in_(COUNTED_STATUSES)]


# --- filling -----------------------------------------------------------------------------

def _fill_orders(db: Session, lo: datetime | None = None, hi: datetime | None = None) -> None:
    day = utc_day(db, Order.ordered_at)
    total = raw(Order.total)
    stmt = (select(day, Order.currency, Order.owner_id, func.count(), func.sum(total),
                   func.sum(case((Order.contact_id.is_not(None), total), else_=0)))
            .where(*_counted()).group_by(day, Order.currency, Order.owner_id))
    if lo is not None and hi is not None:
        stmt = stmt.where(Order.ordered_at >= lo, Order.ordered_at < hi)
    db.execute(insert(order_days).from_select(
        ["day", "currency", "owner_id", "orders", "revenue", "customer_revenue"], stmt))


def _fill_interactions(db: Session, lo: datetime | None = None,
                       hi: datetime | None = None) -> None:
    day = utc_day(db, Interaction.occurred_at)
    ch = Interaction.channel
    stmt = (select(day, Interaction.owner_id,
                   func.sum(case((ch == "call", 1), else_=0)),
                   func.sum(case((and_(ch == "email", Interaction.direction == "outbound"), 1),
                                 else_=0)),
                   func.sum(case((ch == "meeting", 1), else_=0)))
            .where(Interaction.deleted_at.is_(None), ch.in_(("call", "email", "meeting")))
            .group_by(day, Interaction.owner_id))
    if lo is not None and hi is not None:
        stmt = stmt.where(Interaction.occurred_at >= lo, Interaction.occurred_at < hi)
    db.execute(insert(interaction_days).from_select(
        ["day", "owner_id", "calls", "emails_sent", "meetings"], stmt))


def _fill_first(db: Session, contacts: Sequence[uuid.UUID] | None = None) -> None:
    where = [*_counted(), Order.contact_id.is_not(None)]
    if contacts is not None:
        where.append(Order.contact_id.in_(list(contacts)))
    first = func.min(Order.ordered_at)
    cols = ["currency", "owner_key", "contact_id", "first_at"]
    db.execute(insert(customer_first).from_select(cols, select(
        Order.currency, Order.owner_id, Order.contact_id, first)
        .where(*where, Order.owner_id.is_not(None))
        .group_by(Order.currency, Order.owner_id, Order.contact_id)))
    db.execute(insert(customer_first).from_select(cols, select(
        Order.currency, literal(NIL_OWNER, customer_first.c.owner_key.type), Order.contact_id,
        first).where(*where).group_by(Order.currency, Order.contact_id)))


def _fill_keys(db: Session, source: str) -> None:
    if source == "orders":
        stmt = select(literal(source), Order.id, utc_day(db, Order.ordered_at), Order.contact_id)
    else:
        stmt = select(literal(source), Interaction.id, utc_day(db, Interaction.occurred_at),
                      literal(None, rollup_keys.c.contact_id.type))
    db.execute(insert(rollup_keys).from_select(["source", "record_id", "day", "contact_id"],
                                               stmt))


def _lock(db: Session) -> None:
    """One refresh at a time (SQLite's writes are serialised anyway)."""
    if is_postgres(db):
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext('amity.analytics.rollups'))"))


def _set_state(db: Session, source: str, *, watermark: datetime, full: bool) -> None:
    old = db.execute(select(rollup_state.c.rebuilt_at)
                     .where(rollup_state.c.source == source)).scalar_one_or_none()
    db.execute(delete(rollup_state).where(rollup_state.c.source == source))
    at = now()
    db.execute(insert(rollup_state).values(source=source, watermark=watermark, refreshed_at=at,
                                           rebuilt_at=at if full or old is None else old))


def _rebuild_source(db: Session, source: str, at: datetime) -> RefreshStats:
    t0 = time.perf_counter()
    db.execute(delete(rollup_keys).where(rollup_keys.c.source == source))
    if source == "orders":
        db.execute(delete(order_days))
        db.execute(delete(customer_first))
        _fill_orders(db)
        _fill_first(db)
        days = db.scalar(select(func.count(func.distinct(order_days.c.day)))) or 0
        customers = db.scalar(select(func.count()).select_from(customer_first)
                              .where(customer_first.c.owner_key == NIL_OWNER)) or 0
    else:
        db.execute(delete(interaction_days))
        _fill_interactions(db)
        days = db.scalar(select(func.count(func.distinct(interaction_days.c.day)))) or 0
        customers = 0
    _fill_keys(db, source)
    rows = db.scalar(select(func.count()).select_from(rollup_keys)
                     .where(rollup_keys.c.source == source)) or 0
    _set_state(db, source, watermark=at, full=True)
    return RefreshStats(source, True, int(rows), int(days), int(customers),
                        (time.perf_counter() - t0) * 1000)


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as contiguous half-open runs [first, end)."""
    out: list[tuple[date, date]] = []
    for d in sorted(set(days)):
        if out and out[-1][1] == d:
            out[-1] = (out[-1][0], d + DAY)
        else:
            out.append((d, d + DAY))
    return out


def _chunks(items: Sequence[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(items), CHUNK):
        yield list(items[i:i + CHUNK])


def _refresh_source(db: Session, source: str, at: datetime) -> RefreshStats:
    watermark = db.execute(select(rollup_state.c.watermark)
                           .where(rollup_state.c.source == source)).scalar_one_or_none()
    if watermark is None:
        return _rebuild_source(db, source, at)
    t0 = time.perf_counter()
    model: Any = Order if source == "orders" else Interaction
    when = Order.ordered_at if source == "orders" else Interaction.occurred_at
    contact = Order.contact_id if source == "orders" else literal(None)
    changed = db.execute(select(model.id, when, contact)
                         .where(model.updated_at >= watermark - LAG)).all()
    days: set[date] = set()
    contacts: set[uuid.UUID] = set()
    for rows in _chunks(changed):
        ids = [r[0] for r in rows]
        mine = and_(rollup_keys.c.source == source, rollup_keys.c.record_id.in_(ids))
        for day, was in db.execute(select(rollup_keys.c.day, rollup_keys.c.contact_id)
                                   .where(mine)):
            days.add(day)
            if was is not None:
                contacts.add(was)
        db.execute(delete(rollup_keys).where(mine))
        db.execute(insert(rollup_keys), [
            {"source": source, "record_id": r[0], "day": day_of(r[1]), "contact_id": r[2]}
            for r in rows])
        days.update(day_of(r[1]) for r in rows)
        contacts.update(r[2] for r in rows if r[2] is not None)
    table = order_days if source == "orders" else interaction_days
    fill = _fill_orders if source == "orders" else _fill_interactions
    for first, end in _runs(days):
        db.execute(delete(table).where(table.c.day >= first, table.c.day < end))
        fill(db, midnight(first), midnight(end))
    for group in _chunks(sorted(contacts)):
        db.execute(delete(customer_first).where(customer_first.c.contact_id.in_(group)))
        _fill_first(db, group)
    _set_state(db, source, watermark=at, full=False)
    return RefreshStats(source, False, len(changed), len(days), len(contacts),
                        (time.perf_counter() - t0) * 1000)


def refresh(db: Session, *, at: datetime | None = None) -> list[RefreshStats]:
    """Bring every roll-up up to date (a source never built is built in full)."""
    _lock(db)
    at = at or now()
    return [_refresh_source(db, source, at) for source in SOURCES]


def rebuild(db: Session, *, at: datetime | None = None) -> list[RefreshStats]:
    """Recompute every roll-up from the live tables."""
    _lock(db)
    at = at or now()
    return [_rebuild_source(db, source, at) for source in SOURCES]


def as_of(db: Session) -> datetime | None:
    """The instant the roll-ups are exact for (the oldest source's watermark), or None if
    they were never built."""
    row = db.execute(select(func.count(), func.min(rollup_state.c.watermark))
                     .where(rollup_state.c.source.in_(SOURCES))).one()
    return row[1] if int(row[0]) == len(SOURCES) else None


# --- reading -----------------------------------------------------------------------------

def _owners(column: Any, owners: Sequence[uuid.UUID] | None) -> list[Any]:
    return [] if owners is None else [column.in_(list(owners))]


def order_sums(db: Session, days: tuple[date, date], currency: str,
               owners: Sequence[uuid.UUID] | None) -> tuple[int, Decimal]:
    c = order_days.c
    row = db.execute(select(func.sum(c.orders), func.sum(raw(c.revenue)))
                     .where(c.currency == currency, c.day >= days[0], c.day < days[1],
                            *_owners(c.owner_id, owners))).one()
    return int(row[0] or 0), Decimal(int(row[1] or 0)).scaleb(-2)


def customer_revenue_before(db: Session, day: date, currency: str,
                            owners: Sequence[uuid.UUID] | None) -> Decimal:
    c = order_days.c
    total = db.scalar(select(func.sum(raw(c.customer_revenue)))
                      .where(c.currency == currency, c.day < day,
                             *_owners(c.owner_id, owners)))
    return Decimal(int(total or 0)).scaleb(-2)


def customers_before(db: Session, hi: datetime, currency: str,
                     owners: Sequence[uuid.UUID] | None) -> int:
    """Distinct customers with a counted order (owned by ``owners``) before ``hi``."""
    c = customer_first.c
    if owners is None:
        n = db.scalar(select(func.count()).select_from(customer_first)
                      .where(c.currency == currency, c.owner_key == NIL_OWNER,
                             c.first_at < hi))
    elif len(owners) == 1:
        n = db.scalar(select(func.count()).select_from(customer_first)
                      .where(c.currency == currency, c.owner_key == owners[0],
                             c.first_at < hi))
    else:
        n = db.scalar(select(func.count(func.distinct(c.contact_id)))
                      .where(c.currency == currency, c.owner_key.in_(list(owners)),
                             c.first_at < hi))
    return int(n or 0)


def activity_sums(db: Session, days: tuple[date, date],
                  owners: Sequence[uuid.UUID] | None) -> tuple[int, int, int]:
    c = interaction_days.c
    row = db.execute(select(func.sum(c.calls), func.sum(c.emails_sent), func.sum(c.meetings))
                     .where(c.day >= days[0], c.day < days[1],
                            *_owners(c.owner_id, owners))).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


__all__ = ["RefreshStats", "as_of", "rebuild", "refresh", "split"]
