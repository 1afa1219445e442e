"""Reads the business's history into the flat arrays the models use: one SQL statement per
feature set, numbers straight into numpy (no ORM objects, no Python object per row).

Customers are live contacts with at least one counted order (placed, paid, fulfilled) in a
currency with a rate. They are numbered once, in a temporary table (``intel_customers``:
number ``k``, contact id) that every other statement joins, so rows come back as small
integers, and the write of the predictions (``prediction_store``) joins it again to find the
contact ids. Orders come one row each (the lifetime-value summaries need their days);
interactions, tickets and survey answers come already counted per customer and 90-day
bucket before ``at``, which is all the churn features need (their windows are whole
buckets: see ``features``). On PostgreSQL the rows are read with a binary ``COPY``
decoded by numpy; SQLite reads them through its cursor. Tables that were never analysed
(right after a bulk load, before autovacuum gets to them) are analysed first: without
statistics the planner guesses row counts and can pick nested loops over millions of rows.
Amounts are converted to the reporting currency at today's rates; orders in a currency
without a rate are left out (and counted, so the admin page can say so). Times become day
numbers (days since 1970-01-01 UTC, fractional).
"""

# ruff: noqa: S608 - the statements are assembled from this module's constants (table and
# column names, bucket bounds by name); every value is a bound parameter.
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.orm import Session

from amity.commerce.models import COUNTED_STATUSES
from amity.commerce.rates import rates_on
from amity.core.db import UTCDateTime, is_postgres
from amity.intelligence import pgcopy
from amity.intelligence.features import BUCKET_DAYS, History

DAY = 86_400.0
READ_TABLES = ("contacts", "orders", "interaction_participants", "tickets", "ticket_surveys")
CUSTOMERS = "intel_customers"


def day_number(at: datetime) -> float:
    return at.timestamp() / DAY


@dataclass
class Loaded:
    history: History
    currency: str
    skipped_orders: int  # no exchange rate for their currency


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


def analyse_if_never_analysed(db: Session, tables: tuple[str, ...] = READ_TABLES) -> list[str]:
    """PostgreSQL: ``ANALYZE`` each of ``tables`` that has no statistics yet (neither a
    manual nor an automatic analyse on record). Returns the tables analysed."""
    if not is_postgres(db):
        return []
    rows = db.execute(text(
        "SELECT relname FROM pg_stat_user_tables WHERE relname IN :names "
        "AND last_analyze IS NULL AND last_autoanalyze IS NULL AND schemaname = "
        "current_schema()").bindparams(bindparam("names", expanding=True)),
        {"names": list(tables)}).scalars().all()
    done = sorted(str(r) for r in rows)
    for name in done:
        db.execute(text(f'ANALYZE "{name}"'))
    return done


def _at(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime())


def _order_filter() -> str:
    statuses = ", ".join(f"'{s}'" for s in COUNTED_STATUSES)  # constants of the code
    return (f"o.contact_id IS NOT NULL AND o.status IN ({statuses}) AND o.ordered_at < :at "
            "AND c.deleted_at IS NULL")


def _number_customers(db: Session, at: datetime, kept: list[str]) -> None:
    db.execute(text(f"DROP TABLE IF EXISTS {CUSTOMERS}"))
    db.execute(text(
        f"CREATE TEMPORARY TABLE {CUSTOMERS} AS SELECT CAST(row_number() OVER "
        "(ORDER BY contact_id) - 1 AS INTEGER) AS k, contact_id FROM (SELECT DISTINCT "
        "o.contact_id FROM orders o JOIN contacts c ON c.id = o.contact_id WHERE "
        f"{_order_filter()} AND o.currency IN :kept) AS buyers")
        .bindparams(_at("at"), bindparam("kept", expanding=True)), {"at": at, "kept": kept})
    db.execute(text(f"CREATE UNIQUE INDEX {CUSTOMERS}_contact ON {CUSTOMERS} (contact_id)"))
    db.execute(text(f"CREATE UNIQUE INDEX {CUSTOMERS}_k ON {CUSTOMERS} (k)"))
    if is_postgres(db):
        db.execute(text(f"ANALYZE {CUSTOMERS}"))  # autovacuum never analyses temporary tables


def _rows(db: Session, sql: str, params: dict[str, Any], kinds: str) -> list[NDArray[Any]]:
    """Run ``sql`` and return its columns as arrays (``kinds``: one letter a column,
    ``i``/``l`` for 32/64-bit integers, ``f`` for doubles); never one Python object per row
    on PostgreSQL."""
    stmt = text(sql).bindparams(*(_at(k) for k, v in params.items()
                                  if isinstance(v, datetime) and re.search(rf":{k}\b", sql)))
    if is_postgres(db):
        return pgcopy.read_columns(db, stmt, params, kinds)
    dtypes = [np.int64 if k in "il" else np.float64 for k in kinds]
    chunks: list[NDArray[Any]] = []
    result = db.execute(stmt, params)
    while part := result.fetchmany(50_000):
        chunks.append(np.array([tuple(r) for r in part], dtype=np.float64))
    table = np.vstack(chunks) if chunks else np.zeros((0, len(kinds)))
    return [table[:, j].astype(d) for j, d in enumerate(dtypes)]


def _bucket_case(column: str) -> str:
    """0 for the 90 days before ``at``, 1 for the 90 before those, ... (bounds ``b1``..)."""
    return ("CASE WHEN " + column + " >= :b1 THEN 0 WHEN " + column + " >= :b2 THEN 1 "
            "WHEN " + column + " >= :b3 THEN 2 ELSE 3 END")


def _epoch_seconds(db: Session, column: str) -> str:
    if is_postgres(db):
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS DOUBLE PRECISION)"
    # whole seconds, plus the fraction (%f is seconds with milliseconds)
    return (f"(CAST(strftime('%s', {column}) AS REAL) + CAST(strftime('%f', {column}) AS REAL)"
            f" - CAST(strftime('%S', {column}) AS INTEGER))")


def load_history(db: Session, *, currency: str, base: str | None, at: datetime) -> Loaded:
    """Every customer's orders, and counts of their interactions, tickets and survey answers
    per 90-day bucket, before ``at``."""
    analyse_if_never_analysed(db)
    counts: dict[str, int] = dict(db.execute(text(
        "SELECT o.currency, count(*) FROM orders o JOIN contacts c ON c.id = o.contact_id "
        f"WHERE {_order_filter()} GROUP BY o.currency").bindparams(_at("at")),
        {"at": at}).all())
    factors = _factors(db, {str(c) for c in counts}, currency, base, at.date())
    kept = sorted(c for c in counts if c in factors)
    skipped = sum(int(n) for c, n in counts.items() if c not in factors)
    _number_customers(db, at, kept or [""])
    keys = np.array(db.execute(text(f"SELECT contact_id FROM {CUSTOMERS} ORDER BY k")
                               .columns(contact_id=Uuid())).scalars().all(), dtype=object)
    h = History(keys=keys)
    if keys.size == 0:
        return Loaded(h, currency, skipped)
    which = " ".join(f"WHEN :cur{i} THEN {i}" for i in range(len(kept)))
    k, seconds, cents, cur = _rows(db, (
        f"SELECT ic.k, {_epoch_seconds(db, 'o.ordered_at')}, "
        "CAST(o.total AS DOUBLE PRECISION), CAST(CASE o.currency " + which + " ELSE -1 END "
        f"AS INTEGER) FROM orders o JOIN contacts c ON c.id = o.contact_id JOIN {CUSTOMERS} "
        f"ic ON ic.contact_id = o.contact_id WHERE {_order_filter()}"),
        {"at": at, **{f"cur{i}": c for i, c in enumerate(kept)}}, "iffi")
    known = cur >= 0  # a customer's orders in a currency without a rate are left out
    rate = np.array([factors[c] for c in kept])[cur[known]]
    h.order_key, h.order_day = k[known].astype(np.int64), seconds[known] / DAY
    h.order_amount = cents[known] / 100.0 * rate
    day = day_number(at)
    bounds = {f"b{i}": at - timedelta(days=BUCKET_DAYS * i) for i in range(1, 5)}
    params = {"at": at, **bounds}
    k, b, n = _rows(db, (
        f"SELECT ic.k, {_bucket_case('p.occurred_at')}, count(*) FROM "
        f"interaction_participants p JOIN {CUSTOMERS} ic ON ic.contact_id = p.contact_id "
        "WHERE p.active = :yes AND p.occurred_at < :at AND p.occurred_at >= :b4 GROUP BY 1, 2"),
        {**params, "yes": True}, "iil")
    h.touch_key, h.touch_day, h.touch_weight = k.astype(np.int64), _mid(day, b), n * 1.0
    k, b, n = _rows(db, (
        f"SELECT ic.k, {_bucket_case('t.created_at')}, count(*) FROM tickets t JOIN "
        f"{CUSTOMERS} ic ON ic.contact_id = t.contact_id WHERE t.created_at < :at AND "
        "t.created_at >= :b3 GROUP BY 1, 2"), params, "iil")
    h.ticket_key, h.ticket_day, h.ticket_weight = k.astype(np.int64), _mid(day, b), n * 1.0
    k, b, n, total = _rows(db, (
        "SELECT ic.k, CASE WHEN s.answered_at >= :b1 THEN 0 WHEN s.answered_at >= :b2 THEN 1 "
        "ELSE 2 END, count(*), CAST(sum(s.score) AS DOUBLE PRECISION) FROM ticket_surveys s "
        f"JOIN {CUSTOMERS} ic ON ic.contact_id = s.contact_id WHERE s.score IS NOT NULL AND "
        "s.answered_at IS NOT NULL AND s.answered_at < :at GROUP BY 1, 2"), params, "iilf")
    h.survey_key, h.survey_day, h.survey_weight = k.astype(np.int64), _mid(day, b), n * 1.0
    h.survey_score = total
    return Loaded(h, currency, skipped)


def _mid(day: float, bucket: NDArray[Any]) -> NDArray[np.float64]:
    """The middle day of each 90-day bucket before ``day`` (bucket 0 ends at ``day``)."""
    return np.asarray(day - BUCKET_DAYS * bucket.astype(np.float64) - BUCKET_DAYS / 2,
                      dtype=np.float64)
