"""Tickets at scale: lists, queues, queue counts, one ticket, and the SLA check.

    python bench/tickets.py \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_tickets

Drops and recreates the database (PostgreSQL only), migrates it, and writes with
``INSERT ... SELECT generate_series``: ``--tickets`` tickets (default 200,000) over 20,000
contacts, owned by 40 agents in 4 teams; ``--open`` percent of them (default 5) are open
with SLA due times spread around now (some past, some near, most later); the rest are closed.
After ``ANALYZE`` it calls the API in-process (the ASGI app without a socket) as an admin and
as a team-scoped sales rep: the first page of tickets, each queue, the queue counts and one
ticket with its customer value; ``--requests`` times each after a warm-up, printing median and
p95 (ms) and SQL statements per request. Then it times ``check_breaches`` recording the
breaches of ``--overdue`` tickets (default 2,000) and an idle check right after, and the
business-time arithmetic on its own. See bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).parent))
from contacts_api import recreate_database
from profile_contacts import Driver

CONTACTS_SQL = """
INSERT INTO contacts (id, first_name, last_name, lifecycle_stage, do_not_contact, addresses,
    social_profiles, important_dates, sort_name, search_text, created_at, updated_at, version,
    custom_fields, owner_id)
SELECT md5('c' || g)::uuid, 'First' || g, 'Last' || g, 'customer', false, '[]', '[]', '[]',
    'last' || g, 'first' || g, now(), now(), 1, '{}', (:reps)[1 + g % 40]
FROM generate_series(0, 19999) AS g
"""
# ticket g is open when g % 100 < :open; open tickets' first response is due between 3 hours
# ago and 45 hours ahead (warned 30 minutes before), closed ones were resolved
TICKETS_SQL = """
INSERT INTO tickets (id, number, subject, status, priority, channel, contact_id, assignee_id,
    team_id, created_at, updated_at, version, custom_fields, owner_id, sla_paused_seconds,
    first_response_due_at, first_response_warn_at, sla_due_at, sla_warn_at, resolved_at,
    closed_at, resolution_due_at)
SELECT md5('t' || g)::uuid, 1001 + g, 'Ticket ' || g,
    CASE WHEN g % 100 < :open THEN (ARRAY['new','open','on_hold'])[1 + g % 3] ELSE 'closed' END,
    (ARRAY['low','normal','high','urgent'])[1 + g % 4], 'email',
    md5('c' || (g % 20000))::uuid, (:reps)[1 + g % 40], (:teams)[1 + g % 4],
    now() - (g % 1000) * interval '1 hour', now(), 1, '{}', (:reps)[1 + g % 40], 0,
    d.due, d.due - interval '30 minutes',
    CASE WHEN g % 100 < :open THEN d.due END,
    CASE WHEN g % 100 < :open THEN d.due - interval '30 minutes' END,
    CASE WHEN g % 100 < :open THEN NULL ELSE now() - interval '1 day' END,
    CASE WHEN g % 100 < :open THEN NULL ELSE now() - interval '1 day' END,
    d.due + interval '2 days'
FROM generate_series(0, :n - 1) AS g,
    LATERAL (SELECT now() + ((g * 7919) % 2880 - 180) * interval '1 minute' AS due) AS d
"""


def load(database: Any, n: int, open_pct: int) -> tuple[str, str]:
    from sqlalchemy import text

    from amity.auth.models import Team
    from amity.auth.service import create_api_token, create_user

    with database.transaction() as s:
        admin = create_user(s, email="admin@bench.example", name="Admin", is_admin=True)
        reps = [create_user(s, email=f"agent{i}@bench.example", name=f"Agent {i}",
                            role="support_agent" if i else "sales_rep") for i in range(40)]
        teams = [Team(name=f"Team {t}", members=reps[t * 10:(t + 1) * 10]) for t in range(4)]
        s.add_all(teams)
        s.flush()
        _, admin_token = create_api_token(s, user=admin, name="bench")
        _, rep_token = create_api_token(s, user=reps[0], name="bench")  # team-scoped
        rep_ids, team_ids = [str(r.id) for r in reps], [str(t.id) for t in teams]
    arrays = {":reps": "ARRAY[" + ",".join(f"'{r}'::uuid" for r in rep_ids) + "]",
              ":teams": "ARRAY[" + ",".join(f"'{t}'::uuid" for t in team_ids) + "]"}
    for name, sql in (("contacts", CONTACTS_SQL), ("tickets", TICKETS_SQL)):
        for key, value in arrays.items():
            sql = sql.replace(key, value)
        t0 = time.perf_counter()
        with database.engine.begin() as conn:
            conn.execute(text(sql), {"n": n, "open": open_pct})
        print(f"  {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return admin_token, rep_token


def _time(driver: Driver, path: str, params: dict[str, Any], n: int,
          counter: list[str]) -> dict[str, float]:
    query = urlencode(params, doseq=True)
    for _ in range(10):
        status, body = driver.request("GET", path, query)
        assert status == 200, body[:300]
    times, statements = [], 0
    for _ in range(n):
        counter.clear()
        t0 = time.perf_counter()
        status, _ = driver.request("GET", path, query)
        times.append((time.perf_counter() - t0) * 1000)
        statements += len(counter)
        assert status == 200
    times.sort()
    return {"median": statistics.median(times), "p95": times[max(0, int(n * 0.95) - 1)],
            "statements": statements / n}


def _check(database: Any, overdue: int) -> tuple[float, float, int]:
    """Make ``overdue`` open tickets late (unmarked), then time one check and an idle one."""
    from sqlalchemy import text

    from amity.core.clock import now
    from amity.tickets.sla import check_breaches

    with database.engine.begin() as conn:
        conn.execute(text("""UPDATE tickets SET first_response_due_at = now() - interval '1 hour',
            sla_due_at = now() - interval '1 hour', first_response_breached_at = NULL,
            first_response_warn_at = now() - interval '2 hours',
            sla_warn_at = now() - interval '2 hours',
            first_response_warned_at = now(), sla_breached_at = NULL
            WHERE id IN (SELECT id FROM tickets WHERE status <> 'closed' LIMIT :k)"""),
                     {"k": overdue})
    t0 = time.perf_counter()
    with database.transaction() as s:
        recorded = len(check_breaches(s, now()))
    busy = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    with database.transaction() as s:
        check_breaches(s, now())
    idle = (time.perf_counter() - t0) * 1000
    return busy, idle, recorded


def _arithmetic() -> float:
    from amity.tickets.businesshours import add_business_time, make_calendar

    cal = make_calendar("Europe/Paris", {d: [["09:00", "12:30"], ["13:30", "17:00"]]
                                         for d in ("mon", "tue", "wed", "thu", "fri")},
                        ["2026-12-25", "2027-01-01"])
    start = datetime(2026, 12, 23, 15, tzinfo=UTC)
    t0 = time.perf_counter()
    for _ in range(2000):
        add_business_time(cal, start, 5 * 7 * 3600)  # a five-day target
    return (time.perf_counter() - t0) / 2000 * 1e6


def main() -> None:
    from sqlalchemy import event, text

    from amity.app import create_app
    from amity.config import Settings
    from amity.core.db import Database, make_engine
    from amity.db import upgrade

    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url",
                    default="postgresql://postgres@127.0.0.1:5432/amity_bench_tickets")
    ap.add_argument("--tickets", type=int, default=200_000)
    ap.add_argument("--open", type=int, default=5, help="percent of tickets open")
    ap.add_argument("--overdue", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=100)
    args = ap.parse_args()
    url = args.database_url
    if not url.startswith("postgresql"):
        raise SystemExit("this benchmark runs on PostgreSQL")
    recreate_database(url)
    upgrade(url)
    database = Database(make_engine(url, pool_size=4, max_overflow=2))
    print(f"loading {args.tickets:,} tickets ({args.open}% open)", flush=True)
    admin_token, rep_token = load(database, args.tickets, args.open)
    app = create_app(Settings(environment="test", database_url=url, secret_key="b" * 40),
                     database=database)
    counter: list[str] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda *a: counter.append(a[2]))
    with database.engine.connect() as conn:
        one = str(conn.execute(text("SELECT id FROM tickets WHERE status <> 'closed' "
                                    "ORDER BY number LIMIT 1")).scalar())
    cases = [("first page", "/api/v1/tickets", {"limit": 50}),
             ("queue mine", "/api/v1/tickets", {"queue": "mine"}),
             ("queue team", "/api/v1/tickets", {"queue": "team"}),
             ("queue breaching_soon", "/api/v1/tickets", {"queue": "breaching_soon"}),
             ("queue breached", "/api/v1/tickets", {"queue": "breached"}),
             ("queue counts", "/api/v1/tickets/queues", {}),
             ("one ticket + customer", f"/api/v1/tickets/{one}", {})]
    print("| request | reader | median ms | p95 ms | statements |\n|---|---|---|---|---|")
    for who, token in (("admin", admin_token), ("team rep", rep_token)):
        driver = Driver(app, token)
        for name, path, params in cases:
            r = _time(driver, path, params, args.requests, counter)
            print(f"| {name} | {who} | {r['median']:.1f} | {r['p95']:.1f} | "
                  f"{r['statements']:.0f} |", flush=True)
    busy, idle, recorded = _check(database, args.overdue)
    print(f"\ncheck_breaches recording {recorded:,} breaches: {busy:.0f} ms; "
          f"idle check right after: {idle:.1f} ms")
    print(f"add_business_time, a five-day target over a holiday: {_arithmetic():.0f} µs")
    database.dispose()


if __name__ == "__main__":
    main()
