"""Analytics benchmark on PostgreSQL over a database made by ``amity bench seed``: the KPI
dashboard (several filter combinations), saved reports, and what the roll-ups cost.

    # a database seeded earlier (1M contacts: amity bench seed --contacts 1000000
    # --orders-per-contact 1.7), measured without changing its data:
    python bench/analytics.py --reuse \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_1m
    # or drop, recreate and seed the database first:
    python bench/analytics.py --contacts 100000 \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_analytics

With ``--reuse`` the script writes only the analytics roll-up tables and its saved reports
(named "Bench: ..."; found again on the next run): it

1. rebuilds the dashboard's roll-ups from scratch (timed, per source; ``--skip-rebuild``
   keeps roll-ups already built), then VACUUM ANALYZE on the roll-up tables (as autovacuum
   would soon after; index-only scans need it);
2. times an incremental refresh after a day of new data: inside one transaction that is rolled
   back at the end (so nobody else ever sees the rows), it copies as many orders and
   interactions as the data's average day holds (new ids, times in the last 24 hours), changes
   the status of a tenth as many existing orders, refreshes the roll-ups, then rolls back
   (and vacuums the roll-up tables, as autovacuum would soon after a real refresh);
3. times the dashboard from the roll-ups (``--repeat`` runs after one warm-up: median, p95,
   min in ms) for: last month and last quarter, everyone, one owner, a team of two owners
   (made here once, as "Bench team"), a 30-day window, and last month from the live tables;
4. saves six typical reports (or finds them again) and, as an administrator (every row) and
   as the first sales rep (their own scope), runs each live ``--report-repeat`` times (one SQL
   aggregate over the live tables), stores its result (the Refresh button; timed) and reads
   the stored result ``--repeat`` times (reports.stored: what the page, API and exports serve
   once a result is kept).

Every line of output carries the load average, as the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from amity.analytics import kpis, periods, rollups
from amity.auth.models import Team, User
from amity.core.db import Database, make_engine
from amity.reports import service as reports
from amity.reports.models import SavedReport
from amity.reports.schemas import ReportCreate

TABLES = ("contacts", "orders", "order_lines", "interactions", "deals", "tickets")

REPORTS: list[dict[str, Any]] = [
    {"name": "Bench: deals won by month and owner", "definition": {
        "entity": "deals", "dimensions": [{"field": "closed_at", "bucket": "month"},
                                          {"field": "owner"}],
        "measures": [{"op": "count"}, {"op": "sum", "field": "amount"}],
        "filters": [{"field": "status", "op": "eq", "value": "won"},
                    {"field": "currency", "op": "eq", "value": "USD"}], "limit": 1000}},
    {"name": "Bench: order revenue by month and category", "definition": {
        "entity": "order_lines", "dimensions": [{"field": "ordered_at", "bucket": "month"},
                                                {"field": "category"}],
        "measures": [{"op": "sum", "field": "total"}, {"op": "count"}],
        "filters": [{"field": "currency", "op": "eq", "value": "USD"},
                    {"field": "status", "op": "ne", "value": "cancelled"}], "limit": 1000}},
    {"name": "Bench: interactions by channel and month", "definition": {
        "entity": "interactions", "dimensions": [{"field": "channel"},
                                                 {"field": "occurred_at", "bucket": "month"}],
        "measures": [{"op": "count"}], "limit": 1000}},
    {"name": "Bench: tickets by priority and status", "definition": {
        "entity": "tickets", "dimensions": [{"field": "priority"}, {"field": "status"}],
        "measures": [{"op": "count"}, {"op": "avg", "field": "satisfaction_score"}]}},
    {"name": "Bench: contacts by source and lifecycle stage", "definition": {
        "entity": "contacts", "dimensions": [{"field": "source"},
                                             {"field": "lifecycle_stage"}],
        "measures": [{"op": "count"}]}},
    {"name": "Bench: orders by channel and quarter", "definition": {
        "entity": "orders", "dimensions": [{"field": "channel"},
                                           {"field": "ordered_at", "bucket": "quarter"}],
        "measures": [{"op": "count"}, {"op": "sum", "field": "total"},
                     {"op": "avg", "field": "total"}],
        "filters": [{"field": "currency", "op": "eq", "value": "USD"}], "limit": 1000}},
]

DAY_OF_DATA = [  # copies of random rows, as new rows of the last 24 hours
    ("orders", "ordered_at", """
CREATE TEMP TABLE bench_new ON COMMIT DROP AS
SELECT * FROM orders WHERE deleted_at IS NULL ORDER BY random() LIMIT :k;
UPDATE bench_new SET id = gen_random_uuid(), ordered_at = now() - random() * interval '1 day',
  created_at = now(), updated_at = now(), version = 1, deal_id = NULL, external_ref = NULL;
INSERT INTO orders SELECT * FROM bench_new;
UPDATE orders SET status = CASE WHEN status = 'cancelled' THEN 'paid' ELSE 'cancelled' END,
  updated_at = now()
WHERE id IN (SELECT id FROM orders ORDER BY random() LIMIT :k / 10);
DROP TABLE bench_new"""),
    ("interactions", "occurred_at", """
CREATE TEMP TABLE bench_new ON COMMIT DROP AS
SELECT * FROM interactions WHERE deleted_at IS NULL ORDER BY random() LIMIT :k;
UPDATE bench_new SET id = gen_random_uuid(),
  occurred_at = now() - random() * interval '1 day', created_at = now(), updated_at = now(),
  version = 1, external_id = NULL;
INSERT INTO interactions SELECT * FROM bench_new;
DROP TABLE bench_new"""),
]


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def say(line: str) -> None:
    print(f"{line}  [{load()}]", flush=True)


def psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(
        hide_password=False)


def seed(url: str, contacts: int, orders: float) -> None:
    """Drop, recreate, migrate and seed the database with ``amity bench seed``."""
    u = make_url(psycopg_url(url))
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()
    t0 = time.perf_counter()
    env = {**os.environ, "AMITY_DATABASE_URL": psycopg_url(url)}
    done = subprocess.run([str(Path(sys.executable).parent / "amity"), "bench", "seed",
                           "--contacts", str(contacts), "--orders-per-contact", str(orders)],
                          env=env, cwd="/tmp", capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"seeding failed:\n{done.stdout}\n{done.stderr}")
    say(f"seeded {contacts:,} contacts in {time.perf_counter() - t0:,.0f} s")


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


def show(name: str, r: dict[str, float], n: int) -> None:
    say(f"{name}: median {r['median']:,.1f} ms, p95 {r['p95']:,.1f}, min {r['min']:,.1f} "
        f"(n={n})")


def stats_line(label: str, ms: float, done: list[rollups.RefreshStats]) -> None:
    say(f"roll-ups, {label}: {ms:,.0f} ms (" + ", ".join(
        f"{d.source} {d.ms:,.0f} ms, {d.rows:,} rows read, {d.days:,} days, "
        f"{d.customers:,} customers" for d in done) + ")")


def day_of_data(db: Database) -> None:
    """Refresh after a day of new data, in a transaction rolled back afterwards."""
    with db.engine.connect() as conn:
        per_day = {}
        for table, column, _ in DAY_OF_DATA:
            lo, hi, n = conn.execute(text(
                f"SELECT min({column}), max({column}), count(*) FROM {table}")).one()
            days = max(1, (hi - lo).days) if lo and hi else 1
            per_day[table] = max(1, n // days)
        conn.rollback()
        trans = conn.begin()
        try:
            for table, _, sql in DAY_OF_DATA:
                for statement in sql.split(";"):
                    conn.execute(text(statement), {"k": per_day[table]})
            s = Session(bind=conn)
            t0 = time.perf_counter()
            done = rollups.refresh(s)
            s.flush()
            stats_line(f"incremental refresh after a day of new data ({per_day['orders']:,} "
                       f"new orders, {per_day['orders'] // 10:,} changed, "
                       f"{per_day['interactions']:,} new interactions; rolled back)",
                       (time.perf_counter() - t0) * 1000, done)
        finally:
            trans.rollback()


def saved_reports(s: Session, owner: User) -> list[SavedReport]:
    have = {r.name: r for r in s.scalars(select(SavedReport)
                                         .where(SavedReport.name.like("Bench: %")))}
    out = []
    for spec in REPORTS:
        report = have.get(spec["name"])
        if report is None:
            report = reports.create_report(s, data=ReportCreate.model_validate(spec),
                                           actor=owner)
        out.append(report)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url",
                   default="postgresql://postgres@127.0.0.1:5432/amity_bench_analytics")
    p.add_argument("--reuse", action="store_true",
                   help="measure the seeded database as it is (else: DROPPED and reseeded)")
    p.add_argument("--contacts", type=int, default=100_000, help="when seeding")
    p.add_argument("--orders-per-contact", type=float, default=1.7, help="when seeding")
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--report-repeat", type=int, default=3,
                   help="runs of each report computed live (seconds each at 1M)")
    p.add_argument("--skip-rebuild", action="store_true",
                   help="keep roll-ups already built (else rebuilt, and timed)")
    p.add_argument("--dashboard-only", action="store_true",
                   help="measure the roll-ups and the dashboard, not the saved reports")
    a = p.parse_args()
    if not a.reuse:
        seed(a.database_url, a.contacts, a.orders_per_contact)
    db = Database(make_engine(psycopg_url(a.database_url)))
    with db.engine.connect() as conn:
        say(", ".join(f"{t}: {conn.execute(text(f'SELECT count(*) FROM {t}')).scalar_one():,}"
                      for t in TABLES))
        end = conn.execute(text("SELECT max(ordered_at) FROM orders")).scalar_one()
        owners = list(conn.execute(text(
            "SELECT id FROM users WHERE is_active ORDER BY email LIMIT 2")).scalars())
    with db.transaction() as s:  # the two owners as a team (the roll-ups give it its chain)
        bench_team = s.scalar(select(Team).where(Team.name == "Bench team"))
        if bench_team is None:
            s.add(Team(name="Bench team",
                       members=list(s.scalars(select(User).where(User.id.in_(owners))))))
    if not a.skip_rebuild:
        t0 = time.perf_counter()
        with db.transaction() as s:
            built = rollups.rebuild(s)
        stats_line("full rebuild", (time.perf_counter() - t0) * 1000, built)
        t0 = time.perf_counter()  # what autovacuum does soon after: index-only scans
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE " + ", ".join(rollups.TABLE_NAMES)))
        say(f"roll-ups, VACUUM ANALYZE after the rebuild: {time.perf_counter() - t0:,.1f} s")
    day_of_data(db)
    # a refresh leaves the old versions of the roll-up rows it rewrote behind (here those of
    # the rolled-back one), and index-only scans check their pages in the heap until a vacuum:
    # autovacuum does it soon on the roll-up tables (migration 0031 sets their thresholds;
    # this server runs with it off), so vacuum them as it would
    t0 = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE " + ", ".join(rollups.TABLE_NAMES)))
    say(f"VACUUM ANALYZE of the roll-up tables after the refresh: "
        f"{time.perf_counter() - t0:,.1f} s")
    t0 = time.perf_counter()
    with db.transaction() as s:
        again = rollups.refresh(s)
    stats_line("incremental refresh with nothing new", (time.perf_counter() - t0) * 1000,
               again)

    today = end.date()
    last = today.replace(day=1) - timedelta(days=1)
    month = periods.Period.of(last.replace(day=1), last, "Europe/Berlin")
    quarter = periods.Period.of(periods.add_months(last.replace(day=1), -2), last,
                                "Europe/Berlin")
    F = kpis.Filters

    def board(p: periods.Period, f: kpis.Filters, live: bool = False) -> Callable[[], Any]:
        def go() -> Any:
            with db.transaction(write=False) as s:
                return kpis.dashboard(s, p, f, live=live)
        return go

    cases = [
        ("dashboard, last month, everyone", board(month, F("USD")), a.repeat),
        ("dashboard, last month, one owner", board(month, F("USD", owners=owners[:1])),
         a.repeat),
        ("dashboard, last month, team of two owners",
         board(month, F("USD", owners=tuple(sorted(owners)))), a.repeat),
        ("dashboard, last month, everyone, 30-day window",
         board(month, F("USD", window_days=30)), a.repeat),
        ("dashboard, last quarter, everyone", board(quarter, F("USD")), a.repeat),
        ("dashboard, last quarter, one owner", board(quarter, F("USD", owners=owners[:1])),
         a.repeat),
        ("dashboard, last month, everyone, live tables", board(month, F("USD"), live=True), 3),
    ]
    for name, fn, n in cases:
        show(name, timed(fn, n), n)
    if a.dashboard_only:
        db.dispose()
        return

    with db.transaction() as s:
        rep = s.get(User, owners[0])
        assert rep is not None
        names = [(r.id, r.name) for r in saved_reports(s, rep)]
    admin = User(id=owners[0], email="bench-admin@example.com", name="Bench admin",
                 is_admin=True, is_active=True, time_zone="Europe/Berlin")

    def run(report_id: Any, as_admin: bool, how: str) -> Callable[[], Any]:
        def go() -> Any:
            with db.transaction(write=how == "refresh") as s:
                user = admin if as_admin else s.get(User, owners[0])
                assert user is not None
                report = s.get(SavedReport, report_id)
                assert report is not None
                if how == "refresh":
                    return reports.refresh_report(s, report=report, actor=user,
                                                  tz_name="Europe/Berlin")
                return reports.run_report(s, user, report, "Europe/Berlin",
                                          fresh=how == "live")
        return go

    for report_id, name in names:
        for who, as_admin in (("administrator", True), ("sales rep", False)):
            live = timed(run(report_id, as_admin, "live"), a.report_repeat)
            rows = len(run(report_id, as_admin, "live")().rows)
            show(f"report {name[7:]}, as {who} ({rows} groups), run live", live,
                 a.report_repeat)
            t0 = time.perf_counter()
            run(report_id, as_admin, "refresh")()
            say(f"report {name[7:]}, as {who}: stored (refresh) in "
                f"{(time.perf_counter() - t0) * 1000:,.0f} ms")
            kept = timed(run(report_id, as_admin, "stored"), a.repeat)
            assert run(report_id, as_admin, "stored")().as_of is not None
            show(f"report {name[7:]}, as {who}, read from its stored result", kept, a.repeat)
    db.dispose()


if __name__ == "__main__":
    main()
