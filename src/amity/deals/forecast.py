"""The sales forecast: open deals by expected close date and won deals by close date, summed per
period, group (owner or pipeline) and currency in two aggregate queries.

A deal's effective forecast category is its own override, else its stage's. Categories are
ordered pipeline < best_case < commit < closed; ``omitted`` deals are left out altogether. Per
bucket: ``pipeline`` is every open deal, ``best_case`` the open deals at best_case or above plus
the won ones, ``commit`` the open deals at commit or above plus the won ones, ``closed`` the won
ones, and ``weighted`` the exact sum of amount x probability / 100 over open deals, rounded half
to even to cents once per bucket. Money never mixes currencies; totals in the base currency are
given only where every currency of the bucket has an exchange rate.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from sqlalchemy import BigInteger, Integer, Select, and_, case, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from amity.auth.models import User
from amity.commerce.models import ExchangeRate
from amity.core.clock import now
from amity.core.db import is_postgres
from amity.core.errors import ValidationFailed
from amity.core.schemas import Output
from amity.deals.models import Deal, Pipeline, Stage

Period = Literal["month", "quarter"]
ForecastGroup = Literal["none", "owner", "pipeline"]
Visible = Callable[[Select[Any]], Select[Any]]

CENT = Decimal("0.01")
# every category but "omitted"; an open deal marked "closed" counts as commit
FORECASTED = ("pipeline", "best_case", "commit", "closed")
UNSCHEDULED = "unscheduled"
MONEY = ("pipeline", "best_case", "commit", "closed")


@dataclass(frozen=True)
class ForecastQuery:
    period: Period = "quarter"
    group_by: ForecastGroup = "none"
    start: date | None = None  # inclusive: expected close date / day the deal was won
    end: date | None = None  # inclusive
    pipeline_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        check_range(self.start, self.end)


def check_range(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise ValidationFailed("period.invalid", "'from' must not be after 'to'", "from")


def day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[start 00:00 UTC, the day after end 00:00 UTC): the instants of the inclusive dates."""
    lo = datetime.combine(start, time(), UTC) if start else None
    hi = datetime.combine(end + timedelta(days=1), time(), UTC) if end else None
    return lo, hi


class ForecastRow(Output):
    period: str  # "2026-Q1", "2026-01" or "unscheduled"
    start: date | None
    end: date | None
    group: str | None  # owner or pipeline id (None: unowned, or no grouping)
    group_label: str | None
    currency: str
    count: int  # open deals
    won_count: int
    pipeline: Decimal
    best_case: Decimal
    commit: Decimal
    closed: Decimal
    weighted: Decimal


class ForecastTotal(Output):
    """One (period, group) in the base currency; amounts are None when a rate is missing."""

    period: str
    start: date | None
    end: date | None
    group: str | None
    group_label: str | None
    currency: str
    rate_date: date
    count: int
    won_count: int
    pipeline: Decimal | None
    best_case: Decimal | None
    commit: Decimal | None
    closed: Decimal | None
    weighted: Decimal | None
    missing_rates: list[str]


class Forecast(Output):
    period: Period
    group_by: ForecastGroup
    start: date | None
    end: date | None
    base_currency: str | None
    rows: list[ForecastRow]
    totals: list[ForecastTotal]


# ------------------------------------------------------------------ SQL building blocks
def year_month(db: Session, column: Any, *, instant: bool) -> tuple[ColumnElement[Any],
                                                                     ColumnElement[Any]]:
    """(year, month) of a date or UTC timestamp column, as integers, on either database."""
    if is_postgres(db):
        value = func.timezone("UTC", column) if instant else column
        return (cast(func.date_part("year", value), Integer),
                cast(func.date_part("month", value), Integer))
    return (cast(func.strftime("%Y", column), Integer),
            cast(func.strftime("%m", column), Integer))


def _aggregate(db: Session, q: ForecastQuery, visible: Visible, stmt: Select[Any],
               sums: dict[str, Any]) -> list[Any]:
    """Filter ``stmt`` (whose columns include y, i, currency, g) by the query and the reader's
    scope, then sum its columns per bucket; the keys are grouped on an inner query's labels
    (PostgreSQL binds parameters server-side, so an expression repeated in GROUP BY would not
    match the one in SELECT)."""
    category = func.coalesce(Deal.forecast_category, Stage.forecast_category)
    stmt = stmt.join(Stage, Stage.id == Deal.stage_id).where(Deal.deleted_at.is_(None),
                                                             category.in_(FORECASTED))
    if q.pipeline_id is not None:
        stmt = stmt.where(Deal.pipeline_id == q.pipeline_id)
    if q.owner_id is not None:
        stmt = stmt.where(Deal.owner_id == q.owner_id)
    c = visible(stmt).subquery().c
    keys = [c.y, c.i, c.currency, *([c.g] if q.group_by != "none" else [])]
    return list(db.execute(select(*keys, func.count().label("n"),
                                  *(func.sum(c[k]).label(k) for k in sums)).group_by(*keys)))


def _bucket_rows(db: Session, q: ForecastQuery, visible: Visible) -> dict[tuple[Any, ...],
                                                                          dict[str, int]]:
    """Two aggregates, open deals by expected close date and won deals by the UTC day they
    were won: bucket key (year, index, currency, group) -> count, won_count and sums."""
    group = [] if q.group_by == "none" else [
        (Deal.owner_id if q.group_by == "owner" else Deal.pipeline_id).label("g")]
    cents = type_coerce(Deal.amount, BigInteger)
    category = func.coalesce(Deal.forecast_category, Stage.forecast_category)

    def keyed(column: Any, *, instant: bool) -> list[Any]:
        year, month = year_month(db, column, instant=instant)
        index = month if q.period == "month" else (month + 2) // 3
        return [year.label("y"), index.label("i"), Deal.currency.label("currency"), *group]

    def at_least(names: tuple[str, ...]) -> Any:
        return case((category.in_(names), cents), else_=0)

    open_sums = {"pipeline": cents, "best_case": at_least(("best_case", "commit", "closed")),
                 "commit": at_least(("commit", "closed")),
                 "weighted": cents * Deal.probability}
    dated = [Deal.expected_close_date >= q.start] if q.start else []
    dated += [Deal.expected_close_date <= q.end] if q.end else []
    open_stmt = select(*keyed(Deal.expected_close_date, instant=False),
                       *(v.label(k) for k, v in open_sums.items())).where(
        Deal.status == "open",
        *([or_(Deal.expected_close_date.is_(None), and_(*dated))] if dated else []))
    lo, hi = day_bounds(q.start, q.end)
    won_stmt = select(*keyed(Deal.closed_at, instant=True), cents.label("closed")).where(
        Deal.status == "won", Deal.closed_at.is_not(None),
        *([Deal.closed_at >= lo] if lo else []), *([Deal.closed_at < hi] if hi else []))

    zero = {"count": 0, "won_count": 0, **dict.fromkeys((*MONEY, "weighted"), 0)}
    out: dict[tuple[Any, ...], dict[str, int]] = {}
    for stmt, sums, counted in ((open_stmt, open_sums, "count"),
                                (won_stmt, {"closed": None}, "won_count")):
        for r in _aggregate(db, q, visible, stmt, sums):
            key = (r.y, r.i, r.currency, r.g if group else None)
            bucket = out.setdefault(key, dict(zero))
            bucket[counted] += int(r.n)
            for k in sums:
                bucket[k] += int(getattr(r, k))
    return out


def group_labels(db: Session, group_by: str, ids: set[Any]) -> dict[str, str]:
    """Names for grouped ids: owners' names, pipelines' or stages' names (one query)."""
    model: Any = {"owner": User, "pipeline": Pipeline, "stage": Stage}.get(group_by)
    wanted = [i for i in ids if i is not None]
    if model is None or not wanted:
        return {}
    return {str(i): name for i, name in db.execute(select(model.id, model.name)
                                                   .where(model.id.in_(wanted)))}


# ------------------------------------------------------------------ periods and rates
def period_of(period: Period, year: int | None, index: int | None) -> tuple[str, date | None,
                                                                             date | None]:
    """Label, first day and last day of month/quarter ``index`` of ``year``."""
    if year is None or index is None:
        return UNSCHEDULED, None, None
    months = 1 if period == "month" else 3
    first_month = index if period == "month" else 3 * index - 2
    start = date(year, first_month, 1)
    nxt = date(year + (first_month + months - 1) // 12, (first_month + months - 1) % 12 + 1, 1)
    label = f"{year}-{index:02d}" if period == "month" else f"{year}-Q{index}"
    return label, start, nxt - timedelta(days=1)


def rate_date(end: date | None, today: date) -> date:
    """Closed periods convert at the rate of their last day; current, future and unscheduled
    ones at today's rate."""
    return min(end, today) if end is not None else today


class Rates:
    """The exchange rates of some currencies into the base currency on any day, all read in
    one query (the rule of ``commerce.rates.rates_on``, for many days at once)."""

    def __init__(self, db: Session, base: str, currencies: Iterable[str]) -> None:
        self.base = base
        wanted = sorted(set(currencies) - {base})
        self._rates: dict[str, list[tuple[date, Decimal]]] = {c: [] for c in wanted}
        if wanted:
            for r in db.execute(select(ExchangeRate.currency, ExchangeRate.valid_from,
                                       ExchangeRate.rate)
                                .where(ExchangeRate.currency.in_(wanted))
                                .order_by(ExchangeRate.currency, ExchangeRate.valid_from)):
                self._rates[r.currency].append((r.valid_from, r.rate))

    def rate(self, currency: str, on: date) -> Decimal | None:
        """Units of the base currency per unit of ``currency`` on ``on`` (latest valid_from
        not after it); None when there is none."""
        if currency == self.base:
            return Decimal(1)
        found = None
        for valid_from, value in self._rates.get(currency, []):
            if valid_from > on:
                break
            found = value
        return found


# ------------------------------------------------------------------ the forecast
def forecast(db: Session, q: ForecastQuery, *, visible: Visible,
             base_currency: str | None = None) -> Forecast:
    """The forecast ``q`` over the deals ``visible`` lets through (the reader's scope)."""
    buckets = _bucket_rows(db, q, visible)
    grouped = q.group_by != "none"
    labels = group_labels(db, q.group_by, {k[3] for k in buckets}) if grouped else {}
    rows: list[tuple[ForecastRow, Decimal]] = []  # with the unrounded weighted sum
    for (year, index, currency, g), b in buckets.items():
        label, start, end = period_of(q.period, year, index)
        group = str(g) if g is not None else None
        money = {k: Decimal(b[k]).scaleb(-2) for k in MONEY}
        weighted = Decimal(b["weighted"]).scaleb(-4)
        rows.append((ForecastRow(
            period=label, start=start, end=end, group=group,
            group_label=labels.get(group) if group else None, currency=currency,
            count=b["count"], won_count=b["won_count"], pipeline=money["pipeline"],
            best_case=money["best_case"] + money["closed"],
            commit=money["commit"] + money["closed"], closed=money["closed"],
            weighted=weighted.quantize(CENT, ROUND_HALF_EVEN)), weighted))
    rows.sort(key=lambda x: (x[0].start or date.max, x[0].group_label or "",
                             x[0].group or "", x[0].currency))
    totals = _totals(db, rows, base_currency) if base_currency else []
    return Forecast(period=q.period, group_by=q.group_by, start=q.start, end=q.end,
                    base_currency=base_currency, rows=[r for r, _ in rows], totals=totals)


def _totals(db: Session, rows: list[tuple[ForecastRow, Decimal]],
            base: str) -> list[ForecastTotal]:
    """Per (period, group): each currency's exact sums converted at one rate, added, then
    rounded half to even to cents."""
    rates = Rates(db, base, {r.currency for r, _ in rows})
    today = now().date()
    sums: dict[tuple[str, str | None], dict[str, Any]] = {}
    for r, weighted in rows:
        on = rate_date(r.end, today)
        t = sums.setdefault((r.period, r.group), {
            "period": r.period, "start": r.start, "end": r.end, "group": r.group,
            "group_label": r.group_label, "currency": base, "rate_date": on, "count": 0,
            "won_count": 0, "missing_rates": [],
            **dict.fromkeys((*MONEY, "weighted"), Decimal(0))})
        t["count"] += r.count
        t["won_count"] += r.won_count
        rate = rates.rate(r.currency, on)
        if rate is None:
            t["missing_rates"].append(r.currency)
            continue
        for k in MONEY:
            t[k] += getattr(r, k) * rate
        t["weighted"] += weighted * rate
    out = []
    for t in sums.values():
        for k in (*MONEY, "weighted"):
            t[k] = None if t["missing_rates"] else t[k].quantize(CENT, ROUND_HALF_EVEN)
        out.append(ForecastTotal(**t))
    return out
