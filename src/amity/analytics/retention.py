"""Retention and churn from the per-customer order chain (``analytics_customer_orders``).

The definition is the live one (kpis.retention_blocks): a customer is active at an instant t
if they have a counted order in ``[t - N days, t)``; the retention of a period ``[lo, hi)`` is
the share of the customers active at ``lo`` who are still active at ``hi``.

Each chain row is one counted order with the time of the same customer's next one (same
currency and owner key). Every customer active at t has exactly one order that is their last
before t, so ``active(t)`` counts the rows with ``at`` in ``[t - N, t)`` and no next order
before t. The customers active at ``lo`` but no longer at ``hi`` each have exactly one last
order before ``hi``, older than ``hi - N``, with no next order before ``hi``: if it is before
``lo`` they were active at ``lo`` exactly when it is at or after ``lo - N``; if it falls in
``[lo, hi - N)`` (only when the period is longer than N days) they were active at ``lo`` when
they also have an order in ``[lo - N, lo)``, a key lookup for those few rows. So the four
numbers the dashboard needs (active at the previous period's start and at this one's, and how
many of each were kept) are sums over one index range, with no GROUP BY customer; so is the
number of distinct customers who bought in a period (``buyers``).

The chain is exact at any instant (no day grain, so any time zone); it exists per single owner,
over all owners and per team: a team of several owners is a chain of its own (a customer's
next order may be another member's), over the members the roll-ups last saw
(``analytics_team_members``). Any other set of owners is counted live.

Every number above is a count of chain rows with ``at`` in ``[x, y)`` and no next order before
``z`` (``y <= z``). Over all owners the range holds every order of the window (a million
customers: hundreds of thousands of rows), so there the whole UTC days come from
``analytics_order_pairs`` (chain rows per day of the order and day of the next one) and only
the partial days at the edges from the chain: orders in the partial days at ``x`` and ``y``,
and orders of the whole days whose next order falls in the partial day from ``z`` to the next
midnight. The numbers are the same in every time zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, literal, or_, select
from sqlalchemy.orm import Session, aliased

from amity.analytics.days import day_of, first_day_from, midnight, split, utc_day
from amity.analytics.models import NIL_OWNER, NO_NEXT, customer_orders, order_pairs, team_keys
from amity.commerce.models import COUNTED_STATUSES, Order

COLUMNS = ["order_id", "owner_key", "currency", "contact_id", "at", "next_at"]


def fill(db: Session, contacts: Sequence[uuid.UUID] | None = None, *,
         teams: Sequence[uuid.UUID] | None = None) -> None:
    """Insert the chain rows of these customers (all customers if None), per owner, over all
    owners and per team (``analytics_team_members``); only these teams' rows if ``teams`` is
    given. The caller deleted their old rows."""
    where = [Order.deleted_at.is_(None), Order.status.in_(COUNTED_STATUSES),
             Order.contact_id.is_not(None)]
    if contacts is not None:
        where.append(Order.contact_id.in_(list(contacts)))
    key_type = customer_orders.c.owner_key.type
    m = team_keys.c
    team_stmt = _chain(m.team_id, [m.team_id, Order.currency, Order.contact_id], where) \
        .join(team_keys, m.user_id == Order.owner_id)
    if teams is not None:
        db.execute(insert(customer_orders).from_select(
            COLUMNS, team_stmt.where(m.team_id.in_(list(teams)))))
        return
    for stmt in (_chain(Order.owner_id, [Order.currency, Order.owner_id, Order.contact_id],
                        [*where, Order.owner_id.is_not(None)]),
                 _chain(literal(NIL_OWNER, key_type), [Order.currency, Order.contact_id], where),
                 team_stmt):
        db.execute(insert(customer_orders).from_select(COLUMNS, stmt))


def _chain(key: Any, partition: list[Any], where: list[Any]) -> Any:
    """Counted orders with the time of the same customer's next one under ``key``."""
    following = func.lead(Order.ordered_at).over(partition_by=partition,
                                                 order_by=[Order.ordered_at, Order.id])
    return select(Order.id, key, Order.currency, Order.contact_id, Order.ordered_at,
                  following).where(*where)


def fill_pairs(db: Session) -> None:
    """Count the whole chain over all owners into ``analytics_order_pairs`` (emptied by the
    caller)."""
    c = customer_orders.c
    day = utc_day(db, c.at)
    nxt = func.coalesce(utc_day(db, c.next_at), literal(NO_NEXT, order_pairs.c.next_day.type))
    db.execute(insert(order_pairs).from_select(
        ["currency", "day", "next_day", "customers"],
        select(c.currency, day, nxt, func.count()).where(c.owner_key == NIL_OWNER)
        .group_by(c.currency, day, nxt)))


PairKey = tuple[Any, ...]  # (day, currency, next_day)


def pair_deltas(db: Session, contacts: Sequence[uuid.UUID], sign: int,
                deltas: dict[PairKey, list[int]]) -> None:
    """Add ``sign`` for each chain row (over all owners) of these customers to ``deltas``."""
    c = customer_orders.c
    for currency, at, next_at in db.execute(
            select(c.currency, c.at, c.next_at).where(c.contact_id.in_(list(contacts)),
                                                       c.owner_key == NIL_OWNER)):
        key = (day_of(at), currency, NO_NEXT if next_at is None else day_of(next_at))
        deltas[key] = [deltas.get(key, [0])[0] + sign]


def owner_key(db: Session, owners: Sequence[uuid.UUID] | None) -> uuid.UUID | None:
    """The chain that answers for these owners: everyone's, one owner's, or a team's whose
    members (as the roll-ups last saw them) are exactly these; else None (counted live)."""
    if owners is None:
        return NIL_OWNER
    if len(owners) == 1:
        return owners[0]
    m = team_keys.c
    teams = by_team(db.execute(select(m.team_id, m.user_id).where(m.team_id.in_(
        select(m.team_id).where(m.user_id == owners[0]).scalar_subquery()))))
    wanted = frozenset(owners)
    return next((team for team, users in sorted(teams.items()) if users == wanted), None)


def by_team(rows: Iterable[Any]) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """(team, user) rows as each team's set of members."""
    teams: dict[uuid.UUID, set[uuid.UUID]] = {}
    for team, user in rows:
        teams.setdefault(team, set()).add(user)
    return {team: frozenset(users) for team, users in teams.items()}


def _not_before(z: datetime) -> Any:  # the row's customer has no next order before z
    c = customer_orders.c
    return or_(c.next_at.is_(None), c.next_at >= z)


def _rows(currency: str, key: uuid.UUID, x: datetime, y: datetime, z: datetime) -> Any:
    """Chain rows with ``at`` in ``[x, y)`` and no next order before ``z`` (``y <= z``), as one
    SQL expression: a range count over the chain, or over all owners (``NIL_OWNER``) the
    whole days' sum from ``analytics_order_pairs`` plus the partial days from the chain."""
    c, p = customer_orders.c, order_pairs.c
    mine = [c.currency == currency, c.owner_key == key]

    def count(*where: Any) -> Any:
        return func.coalesce(select(func.count()).select_from(customer_orders)
                             .where(*mine, *where).scalar_subquery(), 0)

    if x >= y:
        return literal(0)
    if key != NIL_OWNER:
        return count(c.at >= x, c.at < y, _not_before(z))
    days, edges = split(x, y)
    terms = [count(c.at >= a, c.at < b, _not_before(z)) for a, b in edges]
    if days is not None:
        next_day = first_day_from(z)  # next orders on or after it are after z
        terms.append(func.coalesce(select(func.sum(p.customers)).where(
            p.currency == currency, p.day >= days[0], p.day < days[1],
            p.next_day >= next_day).scalar_subquery(), 0))
        if midnight(next_day) > z:  # and those whose next order falls in [z, that day)
            terms.append(count(c.next_at >= z, c.next_at < midnight(next_day),
                               c.at >= midnight(days[0]), c.at < midnight(days[1])))
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def buyers(db: Session, *, currency: str, key: uuid.UUID, lo: datetime, hi: datetime) -> int:
    """Distinct customers with a counted order in ``[lo, hi)``: the rows that are their
    customer's last order before ``hi`` (no COUNT DISTINCT)."""
    return int(db.scalar(select(_rows(currency, key, lo, hi, hi))) or 0)


def counts(db: Session, *, currency: str, key: uuid.UUID, window_days: int,
           before_lo: datetime, lo: datetime, hi: datetime) -> tuple[int, int, int, int]:
    """(active at ``before_lo``, of them still active at ``lo``, active at ``lo``, of them
    still active at ``hi``), in one statement."""
    n = timedelta(days=window_days)
    c = customer_orders.c

    def active(t: datetime) -> Any:
        return _rows(currency, key, t - n, t, t)

    def lapsed(start: datetime, end: datetime) -> Any:
        """Active at ``start`` but no longer at ``end``, when the last order before ``end``
        is before ``start``."""
        return _rows(currency, key, start - n, min(start, end - n), end)

    def lapsed_in_gap(start: datetime, end: datetime) -> Any:
        """The same when that last order falls in ``[start, end - N)``: active at ``start``
        only with another order in ``[start - N, start)``."""
        if end - n <= start:
            return literal(0)
        other = aliased(customer_orders)
        earlier = exists().where(other.c.currency == c.currency,
                                 other.c.owner_key == c.owner_key,
                                 other.c.contact_id == c.contact_id,
                                 other.c.at >= start - n, other.c.at < start)
        return (select(func.count()).select_from(customer_orders)
                .where(c.currency == currency, c.owner_key == key, c.at >= start,
                       c.at < end - n, _not_before(end), earlier).scalar_subquery())

    if key == NIL_OWNER:
        sums = [active(before_lo), lapsed(before_lo, lo), active(lo), lapsed(lo, hi)]
    else:  # one owner's range is short: a single pass over it, each count a CASE sum
        def within(x: datetime, y: datetime, z: datetime) -> Any:
            return func.sum(case((and_(c.at >= x, c.at < y, _not_before(z)), 1), else_=0))

        scan = (select(within(before_lo - n, before_lo, before_lo),
                       within(before_lo - n, min(before_lo, lo - n), lo),
                       within(lo - n, lo, lo), within(lo - n, min(lo, hi - n), hi))
                .where(c.currency == currency, c.owner_key == key, c.at >= before_lo - n,
                       c.at < max(lo, hi - n)).subquery())
        sums = list(scan.c)
    row = db.execute(select(*sums[:2], lapsed_in_gap(before_lo, lo), *sums[2:],
                            lapsed_in_gap(lo, hi))).one()
    a, lost_a, gap_a, b, lost_b, gap_b = (int(v or 0) for v in row)
    return a, a - lost_a - gap_a, b, b - lost_b - gap_b


__all__ = ["buyers", "by_team", "counts", "fill", "fill_pairs", "owner_key", "pair_deltas"]
