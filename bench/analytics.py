"""Analytics benchmark on PostgreSQL: generate a CRM's history server-side, then time the KPI
dashboard, the analyses and the RFM roll-up refresh.

    python bench/analytics.py --contacts 100000 \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_analytics

**The database in --database-url is dropped and recreated.** Per contact the data has on
average 2 orders with 5 order lines in all, 10 interactions, 0.2 deals and 0.05 tickets (the
issue's 1M contacts / 5M lines / 10M interactions is ``--contacts 1000000``). Rows are made by
INSERT ... SELECT over generate_series inside PostgreSQL (no row passes through Python), spread
over the two years before now, owned by 20 users; the tables' secondary indexes are dropped
during the load and created again after it (much faster than maintaining them row by row).
Then VACUUM ANALYZE, a full build of the dashboard's roll-ups (timed), an incremental refresh
after ``--edits`` orders and interactions were changed (timed), and each read runs
``--repeat`` times after one warm-up; the median, p95 and min are printed (ms). The dashboard
is measured from the roll-ups and, with ``live``, from the live tables.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from amity.analytics import cohorts, kpis, periods, rfm, rollups, sales
from amity.auth import service as auth
from amity.core.clock import now
from amity.core.db import Database, make_engine
from amity.db import upgrade


def recreate(url: str) -> str:
    u = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()
    return u.render_as_string(hide_password=False)


GENERATE = [
    ("contacts", """
INSERT INTO contacts (id, created_at, updated_at, version, custom_fields, owner_id, first_name,
  last_name, lifecycle_stage, do_not_contact, addresses, social_profiles, important_dates,
  sort_name, search_text, source)
SELECT gen_random_uuid(), now() - random() * interval '730 days', now(), 1, '{}',
  (:owners)[1 + (g % 20)], 'First' || g, 'Last' || g, 'customer', false, '[]', '[]', '[]',
  'last' || g, '', (ARRAY['web', 'referral', 'partner', 'event'])[1 + (g % 4)]
FROM generate_series(1, :n) g"""),
    ("numbered", """
CREATE UNLOGGED TABLE bench_c AS
SELECT row_number() OVER () AS rn, id, owner_id FROM contacts"""),
    ("orders", """
INSERT INTO orders (id, created_at, updated_at, version, custom_fields, owner_id, contact_id,
  ordered_at, channel, status, currency, subtotal, discount_total, total)
SELECT gen_random_uuid(), t, t, 1, '{}', c.owner_id, c.id, t,
  (ARRAY['store', 'web', 'phone'])[1 + (s.g % 3)],
  (ARRAY['fulfilled', 'fulfilled', 'paid', 'placed', 'cancelled'])[1 + (s.g % 5)], 'USD',
  s.cents, 0, s.cents
FROM (SELECT g, 1 + floor(random() * :n)::bigint AS rn,
             now() - random() * interval '730 days' AS t,
             (500 + floor(random() * 50000))::bigint AS cents
      FROM generate_series(1, :n * 2) g) s
JOIN bench_c c ON c.rn = s.rn"""),
    ("order_lines", """
INSERT INTO order_lines (id, order_id, sku, description, category, quantity, unit_price,
  discount_percent, total, position)
SELECT gen_random_uuid(), o.id, 'SKU' || (k * 7 + length(o.id::text)) % 500,
  'Product', (ARRAY['Bread', 'Pastry', 'Coffee', 'Equipment', 'Training'])[1 + (k % 5)],
  1000 * (1 + k % 3), 10000 * (5 + k), 0, 100 * (5 + k) * (1 + k % 3), k
FROM orders o CROSS JOIN LATERAL generate_series(1, 2 + (o.id::text < '8')::int) k"""),
    ("interactions", """
INSERT INTO interactions (id, created_at, updated_at, version, custom_fields, owner_id,
  channel, direction, occurred_at)
SELECT gen_random_uuid(), t, t, 1, '{}', (:owners)[1 + (g % 20)],
  (ARRAY['email', 'email', 'call', 'meeting', 'chat'])[1 + (g % 5)],
  (ARRAY['outbound', 'inbound'])[1 + (g % 2)], t
FROM (SELECT g, now() - random() * interval '730 days' AS t
      FROM generate_series(1, :n * 10) g) s"""),
    ("deals", """
INSERT INTO deals (id, created_at, updated_at, version, custom_fields, owner_id, name,
  sort_name, amount, currency, probability, probability_overridden, pipeline_id, stage_id,
  rank, status, stage_entered_at, last_activity_at, closed_at, expected_close_date, source,
  contact_id)
SELECT gen_random_uuid(), s.t, s.t, 1, '{}', c.owner_id, 'Deal', 'deal',
  (100000 + floor(random() * 5000000))::bigint, 'USD', 50, false, st.pipeline_id, st.id, 0,
  st.kind, s.t, s.t,
  CASE WHEN st.kind <> 'open' THEN s.t + random() * interval '90 days' END,
  (s.t + random() * interval '120 days')::date, 'web', c.id
FROM (SELECT g, 1 + floor(random() * :n)::bigint AS rn,
             now() - random() * interval '730 days' AS t, g % 6 AS pick
      FROM generate_series(1, :n / 5) g) s
JOIN bench_c c ON c.rn = s.rn
JOIN (SELECT id, pipeline_id, kind, row_number() OVER (ORDER BY position) - 1 AS pick
      FROM stages WHERE pipeline_id = (SELECT id FROM pipelines ORDER BY position LIMIT 1)
     ) st ON st.pick = s.pick % (SELECT count(*) FROM stages
                                 WHERE pipeline_id = st.pipeline_id)"""),
    ("tickets", """
INSERT INTO tickets (id, created_at, updated_at, version, custom_fields, number, subject,
  status, priority, channel, sla_paused_seconds, assignee_id, first_responded_at, resolved_at,
  satisfaction_score, satisfaction_at)
SELECT gen_random_uuid(), t, t, 1, '{}', g, 'Ticket', 'resolved', 'normal', 'email', 0,
  (:owners)[1 + (g % 20)], t + random() * interval '8 hours',
  t + random() * interval '72 hours', 1 + (g % 5), t + interval '4 days'
FROM (SELECT g, now() - random() * interval '730 days' AS t
      FROM generate_series(1, :n / 20) g) s"""),
    ("drop numbered", "DROP TABLE bench_c"),
]


TABLES = ("contacts", "orders", "order_lines", "interactions", "deals", "tickets")
SECONDARY = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = 'public' AND i.tablename = ANY(:tables)
  AND i.indexname NOT IN (SELECT conname FROM pg_constraint)"""

EDIT = [
    ("orders", """
UPDATE orders SET status = CASE WHEN status = 'cancelled' THEN 'paid' ELSE 'cancelled' END,
  ordered_at = ordered_at + interval '1 day', updated_at = now()
WHERE id IN (SELECT id FROM orders ORDER BY random() LIMIT :k)"""),
    ("interactions", """
UPDATE interactions SET occurred_at = occurred_at - interval '3 hours', updated_at = now()
WHERE id IN (SELECT id FROM interactions ORDER BY random() LIMIT :k * 5)"""),
]


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()  # warm-up
    ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    return {"median": statistics.median(ms), "p95": ms[max(0, int(len(ms) * 0.95) - 1)],
            "min": ms[0]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--contacts", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--database-url",
                   default="postgresql://postgres@127.0.0.1:5432/amity_bench_analytics")
    p.add_argument("--reuse", action="store_true", help="keep the existing data")
    p.add_argument("--edits", type=int, default=1000,
                   help="orders (and 5x as many interactions) changed before the refresh")
    a = p.parse_args()
    url = a.database_url if a.reuse else recreate(a.database_url)
    if not a.reuse:
        upgrade(url)
    db = Database(make_engine(make_url(url).set(drivername="postgresql+psycopg")
                              .render_as_string(hide_password=False)))
    if not a.reuse:
        with db.transaction() as s:
            owners = [auth.create_user(s, email=f"rep{i}@example.com", name=f"Rep {i}",
                                       password=None).id for i in range(20)]
        with db.engine.begin() as conn:
            indexes = conn.execute(text(SECONDARY), {"tables": list(TABLES)}).all()
            for name, _ in indexes:
                conn.execute(text(f'DROP INDEX "{name}"'))
        for name, sql in GENERATE:
            t0 = time.perf_counter()
            with db.engine.begin() as conn:
                n = conn.execute(text(sql), {"n": a.contacts, "owners": owners}).rowcount
            print(f"generate {name}: {n:,} rows in {time.perf_counter() - t0:.1f} s",
                  flush=True)
        t0 = time.perf_counter()
        with db.engine.begin() as conn:
            for _, ddl in indexes:
                conn.execute(text(ddl))
        print(f"create {len(indexes)} indexes: {time.perf_counter() - t0:.1f} s", flush=True)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            t0 = time.perf_counter()
            conn.execute(text("VACUUM ANALYZE"))
            print(f"vacuum analyze: {time.perf_counter() - t0:.1f} s", flush=True)
    with db.engine.connect() as conn:
        for table in TABLES:
            count = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            print(f"{table}: {count:,}")
        owner = conn.execute(text("SELECT id FROM users ORDER BY email LIMIT 1")).scalar_one()
    today = now().date()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    month = periods.Period.of(last_month_end.replace(day=1), last_month_end, "Europe/Berlin")
    quarter = periods.Period.of(last_month_end.replace(day=1) - timedelta(days=62),
                                last_month_end, "Europe/Berlin")
    everyone = kpis.Filters(currency="USD")
    one_rep = kpis.Filters(currency="USD", owners=(owner,))

    def run(fn: Callable[[Any], Any]) -> Callable[[], Any]:
        def go() -> Any:
            with db.transaction(write=False) as s:
                return fn(s)
        return go

    t0 = time.perf_counter()
    with db.transaction() as s:
        built = rollups.rebuild(s)
    print(f"roll-ups, full rebuild: {(time.perf_counter() - t0) * 1000:,.0f} ms ("
          + ", ".join(f"{b.source} {b.ms:,.0f} ms, {b.rows:,} rows, {b.days:,} days"
                      for b in built) + ")", flush=True)
    with db.engine.begin() as conn:
        for name, sql in EDIT:
            n = conn.execute(text(sql), {"k": a.edits}).rowcount
            print(f"edited {n:,} {name}", flush=True)
    for label in ("after the edits", "with nothing changed"):
        t0 = time.perf_counter()
        with db.transaction() as s:
            done = rollups.refresh(s)
        print(f"roll-ups, incremental refresh {label}: "
              f"{(time.perf_counter() - t0) * 1000:,.0f} ms ("
              + ", ".join(f"{d.source} {d.ms:,.0f} ms, {d.rows:,} rows, {d.days:,} days, "
                          f"{d.customers:,} customers" for d in done) + ")", flush=True)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))

    cases: list[tuple[str, Callable[[], Any], int]] = [
        ("dashboard, last month, everyone", run(lambda s: kpis.dashboard(s, month, everyone)),
         a.repeat),
        ("dashboard, last month, one owner", run(lambda s: kpis.dashboard(s, month, one_rep)),
         a.repeat),
        ("dashboard, last quarter, everyone",
         run(lambda s: kpis.dashboard(s, quarter, everyone)), a.repeat),
        ("dashboard, last month, everyone, live",
         run(lambda s: kpis.dashboard(s, month, everyone, live=True)), 5),
        ("dashboard, last month, one owner, live",
         run(lambda s: kpis.dashboard(s, month, one_rep, live=True)), 5),
        ("sales by category, all time",
         run(lambda s: sales.sales_by(s, by="category", currency="USD")), 5),
        ("cohort table, 12 months", run(lambda s: cohorts.cohort_table(
            s, first=periods.add_months(today.replace(day=1), -11), last=today,
            tz_name="Europe/Berlin", currency="USD")), 5),
        ("repeat purchases by category, last quarter", run(lambda s: cohorts.repeat_by_category(
            s, lo=quarter.lo, hi=quarter.hi, currency="USD")), 5),
        ("RFM summary (roll-up read)", run(lambda s: rfm.summary(s)), a.repeat),
    ]
    t0 = time.perf_counter()
    with db.transaction() as s:
        scored = rfm.refresh(s, at=now(), currency="USD")
    print(f"RFM refresh (roll-up, {scored:,} customers): "
          f"{(time.perf_counter() - t0) * 1000:,.0f} ms", flush=True)
    for name, fn, repeat in cases:
        r = timed(fn, repeat)
        print(f"{name}: median {r['median']:,.1f} ms, p95 {r['p95']:,.1f}, min {r['min']:,.1f}"
              f" (n={repeat})", flush=True)
    db.dispose()


if __name__ == "__main__":
    main()
