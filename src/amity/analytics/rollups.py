"""The dashboard's roll-ups: orders and interactions per UTC day and owner, and each customer's
first counted order (per currency, per owner and over all owners), and each customer's order
chain (analytics.retention: every counted order with the time of the next one) for retention.

``refresh`` brings them up to date incrementally: it reads the source rows whose
``updated_at`` is at or after the last watermark (minus ``LAG``, so a transaction that commits
late is still seen), compares each with what it counted for when last seen (the ledger
``analytics_rollup_keys``) and applies the differences to the day rows they touch, so an edit
that moves an order to another day or owner, a cancellation and a soft delete come off where
they were counted and go on where they count now; a row read again unchanged costs nothing.
Customers whose orders changed get their first orders recomputed from the live table, and
the per-day counts of first orders adjusted by the difference.
``rebuild`` recomputes everything with INSERT ... SELECT aggregates and is also the way to pick
up hard deletes (privacy erasure), which leave no ``updated_at`` behind.

``split`` cuts a period's half-open UTC range into whole UTC days (read here) and the partial
days at either end (read live), so a period in any time zone, including the half-hour ones,
gives the same numbers as the direct queries.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.activities.models import Interaction
from amity.analytics import retention
from amity.analytics.days import day_of, midnight, split, utc_day
from amity.analytics.models import (
    NIL_OWNER,
    customer_first,
    customer_orders,
    first_days,
    interaction_days,
    order_days,
    order_pairs,
    rollup_keys,
    rollup_state,
    team_keys,
)
from amity.auth.models import team_members
from amity.commerce.models import COUNTED_STATUSES, Order
from amity.core.clock import now
from amity.core.db import is_postgres

SOURCES = ("orders", "interactions")
LAG = timedelta(minutes=5)  # rows are re-read this far before the watermark (late commits)
CHUNK = 500


@dataclass(frozen=True)
class RefreshStats:
    source: str
    full: bool
    rows: int  # source rows read (changed rows, or all of them on a rebuild)
    days: int  # UTC days recomputed
    customers: int  # customers whose first orders were recomputed (orders only)
    ms: float


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


def _fill_first(db: Session, contacts: Sequence[uuid.UUID] | None = None, *,
                teams: Sequence[uuid.UUID] | None = None) -> None:
    """Insert these customers' first orders (all customers' if None) per owner, over all
    owners and per team; only these teams' if ``teams`` is given."""
    where = [*_counted(), Order.contact_id.is_not(None)]
    if contacts is not None:
        where.append(Order.contact_id.in_(list(contacts)))
    first = func.min(Order.ordered_at)
    cols = ["currency", "owner_key", "contact_id", "first_at"]
    m = team_keys.c
    per_team = (select(Order.currency, m.team_id, Order.contact_id, first)
                .join(team_keys, m.user_id == Order.owner_id).where(*where)
                .group_by(Order.currency, m.team_id, Order.contact_id))
    if teams is not None:
        db.execute(insert(customer_first).from_select(
            cols, per_team.where(m.team_id.in_(list(teams)))))
        return
    db.execute(insert(customer_first).from_select(cols, select(
        Order.currency, Order.owner_id, Order.contact_id, first)
        .where(*where, Order.owner_id.is_not(None))
        .group_by(Order.currency, Order.owner_id, Order.contact_id)))
    db.execute(insert(customer_first).from_select(cols, select(
        Order.currency, literal(NIL_OWNER, customer_first.c.owner_key.type), Order.contact_id,
        first).where(*where).group_by(Order.currency, Order.contact_id)))
    db.execute(insert(customer_first).from_select(cols, per_team))


def _teams_now(db: Session) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """Each team of two or more members, with its members."""
    teams = retention.by_team(db.execute(select(team_members.c.team_id,
                                                team_members.c.user_id)))
    return {t: users for t, users in teams.items() if len(users) > 1}


def _remember_teams(db: Session, teams: dict[uuid.UUID, frozenset[uuid.UUID]]) -> None:
    rows = [{"team_id": t, "user_id": u} for t, users in teams.items() for u in sorted(users)]
    if rows:
        db.execute(insert(team_keys), rows)


def _sync_teams(db: Session) -> int:
    """Rebuild the rows of each team whose members changed since the roll-ups last saw it
    (and drop those of teams gone or down to one member); returns how many changed."""
    now_ = _teams_now(db)
    seen = retention.by_team(db.execute(select(team_keys.c.team_id, team_keys.c.user_id)))
    changed = sorted(t for t in now_.keys() | seen.keys() if now_.get(t) != seen.get(t))
    if not changed:
        return 0
    for group in _chunks(changed):
        for table in (customer_first, first_days, customer_orders):
            db.execute(delete(table).where(table.c.owner_key.in_(group)))
        db.execute(delete(team_keys).where(team_keys.c.team_id.in_(group)))
    built = {t: now_[t] for t in changed if t in now_}
    _remember_teams(db, built)
    if built:
        _fill_first(db, teams=list(built))
        _fill_first_days(db, keys=list(built))
        retention.fill(db, teams=list(built))
    return len(changed)


def _facts(source: str) -> list[Any]:
    """A source row's ledger columns: id, time, owner, currency, kind, amount, customer."""
    if source == "orders":
        kind = case((and_(*_counted()), literal("order")), else_=None)
        return [Order.id, Order.ordered_at, Order.owner_id, Order.currency, kind,
                raw(Order.total), Order.contact_id]
    ch = Interaction.channel
    kind = case((Interaction.deleted_at.is_not(None), None), (ch == "call", literal("call")),
                (and_(ch == "email", Interaction.direction == "outbound"), literal("email")),
                (ch == "meeting", literal("meeting")), else_=None)
    return [Interaction.id, Interaction.occurred_at, Interaction.owner_id,
            literal(None, rollup_keys.c.currency.type), kind,
            literal(None, rollup_keys.c.amount.type), literal(None, rollup_keys.c.contact_id.type)]


LEDGER = ["record_id", "at", "owner_id", "currency", "kind", "amount", "contact_id"]


def _fill_keys(db: Session, source: str) -> None:
    db.execute(insert(rollup_keys).from_select(
        ["source", *LEDGER], select(literal(source), *_facts(source))))


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


TABLES = {"orders": (rollup_keys, order_days, customer_first, first_days, customer_orders,
                     order_pairs, team_keys),
          "interactions": (rollup_keys, interaction_days)}
TABLE_NAMES = sorted({t.name for ts in TABLES.values() for t in ts} | {rollup_state.name})


def _rebuild_source(db: Session, source: str, at: datetime) -> RefreshStats:
    t0 = time.perf_counter()
    db.execute(delete(rollup_keys).where(rollup_keys.c.source == source))
    if source == "orders":
        db.execute(delete(order_days))
        db.execute(delete(customer_first))
        db.execute(delete(first_days))
        db.execute(delete(customer_orders))
        db.execute(delete(order_pairs))
        db.execute(delete(team_keys))
        _remember_teams(db, _teams_now(db))
        _fill_orders(db)
        _fill_first(db)
        _fill_first_days(db)
        retention.fill(db)
        retention.fill_pairs(db)
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
    if is_postgres(db):  # fresh statistics, or the ledger's key lookups plan as table scans
        db.execute(text(f"ANALYZE {', '.join(t.name for t in TABLES[source])}"))
    _set_state(db, source, watermark=at, full=True)
    return RefreshStats(source, True, int(rows), int(days), int(customers),
                        (time.perf_counter() - t0) * 1000)


def _chunks(items: Sequence[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(items), CHUNK):
        yield list(items[i:i + CHUNK])


Fact = tuple[Any, ...]  # (at, owner_id, currency, kind, amount, contact_id)


def _contribution(source: str, fact: Fact, sign: int) -> tuple[tuple[Any, ...], list[int]]:
    at, owner, currency, kind, amount, contact = fact
    if source == "orders":
        cents = sign * int(amount or 0)
        return (day_of(at), currency, owner), [sign, cents, cents if contact else 0]
    return (day_of(at), owner), [sign * (kind == k) for k in ("call", "email", "meeting")]


def _apply(db: Session, table: Any, keys: list[str], measures: list[str],
           deltas: dict[tuple[Any, ...], list[int]]) -> None:
    """Add ``deltas`` (by key, ``day`` first) to ``table``: read the touched days' rows, add,
    write them back (rows that come to zero go)."""
    c = table.c
    days = sorted({k[0] for k, d in deltas.items() if any(d)})
    for group in _chunks(days):
        rows: dict[tuple[Any, ...], list[int]] = {}
        for r in db.execute(select(*[c[k] for k in keys], *[raw(c[m]) for m in measures])
                            .where(c.day.in_(group))):
            key = tuple(r[:len(keys)])
            rows[key] = [a + int(b) for a, b in zip(rows.get(key, [0] * len(measures)),
                                                  r[len(keys):], strict=True)]
        for key, d in deltas.items():
            if key[0] in group:
                rows[key] = [a + b for a, b in zip(rows.get(key, [0] * len(measures)), d,
                                                  strict=True)]
        db.execute(delete(table).where(c.day.in_(group)))
        out = []
        for key, values in rows.items():
            if any(values):
                row = dict(zip(keys, key, strict=True))
                for m, v in zip(measures, values, strict=True):
                    row[m] = Decimal(v).scaleb(-2) if m.endswith("revenue") else v
                out.append(row)
        if out:
            db.execute(insert(table), out)


def _firsts(db: Session, contacts: list[uuid.UUID], sign: int,
            deltas: dict[tuple[Any, ...], list[int]]) -> None:
    c = customer_first.c
    for currency, owner_key, first_at in db.execute(
            select(c.currency, c.owner_key, c.first_at).where(c.contact_id.in_(contacts))):
        key = (day_of(first_at), currency, owner_key)
        deltas[key] = [deltas.get(key, [0])[0] + sign]


def _refresh_customers(db: Session, contacts: set[uuid.UUID]) -> None:
    """Recompute these customers' first orders and order chains, and the per-day counts of
    first orders and of the chain's pairs of days."""
    deltas: dict[tuple[Any, ...], list[int]] = {}
    pairs: dict[tuple[Any, ...], list[int]] = {}
    for group in _chunks(sorted(contacts)):
        _firsts(db, group, -1, deltas)
        retention.pair_deltas(db, group, -1, pairs)
        db.execute(delete(customer_first).where(customer_first.c.contact_id.in_(group)))
        _fill_first(db, group)
        db.execute(delete(customer_orders).where(customer_orders.c.contact_id.in_(group)))
        retention.fill(db, group)
        _firsts(db, group, 1, deltas)
        retention.pair_deltas(db, group, 1, pairs)
    _apply(db, first_days, ["day", "currency", "owner_key"], ["customers"], deltas)
    _add_pairs(db, pairs)


def _add_pairs(db: Session, deltas: dict[tuple[Any, ...], list[int]]) -> None:
    """Add ``deltas`` (by day, currency, next day) to the pairs of days key by key (an upsert;
    a day holds hundreds of pairs, so rewriting whole days as ``_apply`` does would rewrite
    most of the table on every refresh), then drop the pairs that came to zero."""
    rows = [{"day": k[0], "currency": k[1], "next_day": k[2], "customers": d[0]}
            for k, d in sorted(deltas.items()) if d[0]]
    dialect = postgresql if is_postgres(db) else sqlite
    p = order_pairs.c
    for group in _chunks(rows):
        stmt = dialect.insert(order_pairs).values(group)
        db.execute(stmt.on_conflict_do_update(
            index_elements=["currency", "day", "next_day"],
            set_={"customers": p.customers + stmt.excluded.customers}))
    for currency in {r["currency"] for r in rows}:
        days = sorted({r["day"] for r in rows if r["currency"] == currency})
        for group in _chunks(days):
            db.execute(delete(order_pairs).where(p.currency == currency, p.day.in_(group),
                                                 p.customers == 0))


def _fill_first_days(db: Session, keys: Sequence[uuid.UUID] | None = None) -> None:
    c = customer_first.c
    day = utc_day(db, c.first_at)
    stmt = select(day, c.currency, c.owner_key, func.count()).group_by(day, c.currency,
                                                                      c.owner_key)
    if keys is not None:
        stmt = stmt.where(c.owner_key.in_(list(keys)))
    db.execute(insert(first_days).from_select(["day", "currency", "owner_key", "customers"],
                                              stmt))


def _refresh_source(db: Session, source: str, at: datetime) -> RefreshStats:
    watermark = db.execute(select(rollup_state.c.watermark)
                           .where(rollup_state.c.source == source)).scalar_one_or_none()
    if watermark is None:
        return _rebuild_source(db, source, at)
    t0 = time.perf_counter()
    model: Any = Order if source == "orders" else Interaction
    changed = db.execute(select(*_facts(source))
                         .where(model.updated_at >= watermark - LAG)).all()
    deltas: dict[tuple[Any, ...], list[int]] = {}
    contacts: set[uuid.UUID] = set()
    for rows in _chunks(changed):
        ids = [r[0] for r in rows]
        mine = and_(rollup_keys.c.source == source, rollup_keys.c.record_id.in_(ids))
        old = {r[0]: tuple(r[1:]) for r in db.execute(
            select(*[rollup_keys.c[k] for k in LEDGER]).where(mine))}
        moved = []
        for r in rows:
            new, was = tuple(r[1:]), old.get(r[0])
            if new == was:
                continue  # read again within the look-back, unchanged
            moved.append(r)
            for fact, sign in ((was, -1), (new, 1)):
                if fact is not None and fact[3] is not None:
                    key, d = _contribution(source, fact, sign)
                    deltas[key] = [a + b for a, b in zip(deltas.get(key, [0] * 3), d,
                                                         strict=True)]
                if fact is not None and fact[5] is not None:
                    contacts.add(fact[5])
        if moved:
            db.execute(delete(rollup_keys).where(
                rollup_keys.c.source == source,
                rollup_keys.c.record_id.in_([r[0] for r in moved])))
            db.execute(insert(rollup_keys), [
                {"source": source, **dict(zip(LEDGER, r, strict=True))} for r in moved])
    if source == "orders":
        _sync_teams(db)
        _apply(db, order_days, ["day", "currency", "owner_id"],
               ["orders", "revenue", "customer_revenue"], deltas)
        _refresh_customers(db, contacts)
    else:
        _apply(db, interaction_days, ["day", "owner_id"], ["calls", "emails_sent", "meetings"],
               deltas)
    _set_state(db, source, watermark=at, full=False)
    days = len({k[0] for k, d in deltas.items() if any(d)})
    return RefreshStats(source, False, len(changed), days, len(contacts),
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


def _days(column: Any, days: tuple[date, date] | None) -> list[Any]:
    return [column >= days[0], column < days[1]] if days else [false()]


def order_reads(days: tuple[date, date] | None, hi: datetime, currency: str,
                owners: Sequence[uuid.UUID] | None, key: uuid.UUID | None) -> list[Any]:
    """Scalar subqueries: orders and revenue (cents) over the whole days, revenue of orders
    with a customer before ``hi``'s UTC day, and distinct customers before ``hi``: from the
    first orders under ``key`` (everyone's, one owner's or a team's, retention.owner_key),
    or with no key (another set of owners) counted over the owners' rows."""
    c = order_days.c
    where = [c.currency == currency, *_owners(c.owner_id, owners)]
    cut = day_of(hi)
    reads = [select(func.sum(c.orders)).where(*where, *_days(c.day, days)),
             select(func.sum(raw(c.revenue))).where(*where, *_days(c.day, days)),
             select(func.sum(raw(c.customer_revenue))).where(*where, c.day < cut)]
    f = customer_first.c
    if key is None:
        customers: Any = (select(func.count(func.distinct(f.contact_id)))
                          .where(f.currency == currency,
                                 f.owner_key.in_(list(owners or ())),
                                 f.first_at < hi).scalar_subquery())
    else:
        d = first_days.c
        before = (select(func.sum(d.customers))
                  .where(d.currency == currency, d.owner_key == key, d.day < cut))
        edge = (select(func.count()).select_from(customer_first)
                .where(f.currency == currency, f.owner_key == key,
                       f.first_at >= midnight(cut), f.first_at < hi))
        customers = (func.coalesce(before.scalar_subquery(), 0)
                     + func.coalesce(edge.scalar_subquery(), 0))
    return [*(r.scalar_subquery() for r in reads), customers]


def activity_reads(days: tuple[date, date] | None,
                   owners: Sequence[uuid.UUID] | None) -> list[Any]:
    """Scalar subqueries: calls, outbound emails and meetings over the whole days."""
    c = interaction_days.c
    where = [*_days(c.day, days), *_owners(c.owner_id, owners)]
    return [select(func.sum(m)).where(*where).scalar_subquery()
            for m in (c.calls, c.emails_sent, c.meetings)]


__all__ = ["RefreshStats", "as_of", "rebuild", "refresh", "split"]
