"""The shell's global search, the filtered contact list and the company pages with 10,000
contacts on PostgreSQL: server time and SQL statements per request.

    python bench/ui_shell.py --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_ui
    python bench/ui_shell.py --reuse      # measure again without reloading

Loads the same data as bench/web_pages.py (its ``load``: 10,000 contacts by ``amity bench
seed`` with interactions, deals, orders and tickets, plus notes), then in SQL adds 1,000
companies and puts every contact in one of them, and a ticket for every 10th contact (numbered
after the seeded ones). Pages are called in-process as a
signed-in administrator (bench/web_pages.py's Browser, SqlClock and run). See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from contacts_api import recreate_database
from web_pages import Browser, SqlClock, load, reuse, run

COMPANIES_SQL = """
INSERT INTO companies (id, name, sort_name, domain, industry, created_at, updated_at, version,
    custom_fields, owner_id)
SELECT md5('c' || k)::uuid, 'Company ' || k, 'company ' || k, 'company' || k || '.example',
    (ARRAY['retail','food','software','health'])[1 + k % 4], now(), now(), 1, '{}',
    (SELECT id FROM users ORDER BY id LIMIT 1)
FROM generate_series(1, 1000) AS k
"""
LINK_SQL = """
UPDATE contacts SET company_id = md5('c' || (1 + abs(hashtext(id::text)) % 1000))::uuid
"""
TICKETS_SQL = """
INSERT INTO tickets (id, number, subject, status, priority, channel, contact_id, company_id,
    created_at, updated_at, version, custom_fields, owner_id, sla_paused_seconds)
SELECT md5('t' || c.id)::uuid, (SELECT coalesce(max(number), 1000) FROM tickets) + c.n,
    'Oven broken at ' || c.last_name, 'open', 'normal',
    'email', c.id, c.company_id, now(), now(), 1, '{}', c.owner_id, 0
FROM (SELECT *, row_number() OVER (ORDER BY id) AS n FROM contacts) c WHERE c.n % 10 = 0
"""
COUNTER_SQL = """
UPDATE ticket_counters SET value = (SELECT max(number) FROM tickets) WHERE name = 'ticket'
"""


def add_companies(database: Any) -> str:
    from sqlalchemy import text

    with database.transaction() as s:
        s.execute(text(COMPANIES_SQL))
        s.execute(text(LINK_SQL))
        s.execute(text(TICKETS_SQL))
        s.execute(text(COUNTER_SQL))
        s.execute(text("UPDATE deals SET company_id = c.company_id FROM contacts c "
                       "WHERE c.id = deals.contact_id"))
        s.execute(text("UPDATE orders SET company_id = c.company_id FROM contacts c "
                       "WHERE c.id = orders.contact_id"))
    with database.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return "md5('c' || 1)"


def main() -> None:
    from sqlalchemy import text

    from amity.app import create_app
    from amity.config import Settings
    from amity.core.db import Database, make_engine
    from amity.db import upgrade

    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url",
                    default="postgresql://postgres@127.0.0.1:5432/amity_bench_ui")
    ap.add_argument("--contacts", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--reuse", action="store_true")
    args = ap.parse_args()
    url = args.database_url
    if not url.startswith("postgresql"):
        raise SystemExit("this benchmark runs on PostgreSQL")
    if not args.reuse:
        recreate_database(url)
        upgrade(url)
    database = Database(make_engine(url, pool_size=2, max_overflow=0))
    if args.reuse:
        cookie, _, _ = reuse(database)
    else:
        print(f"loading {args.contacts} contacts", flush=True)
        cookie, _, _ = load(database, args.contacts, 5, 500)
        add_companies(database)
    with database.transaction() as s:
        company = s.scalar(text("SELECT company_id FROM contacts GROUP BY company_id "
                                "ORDER BY count(*) DESC LIMIT 1"))
        surname = s.scalar(text("SELECT lower(last_name) FROM contacts GROUP BY last_name "
                                "ORDER BY count(*) DESC LIMIT 1"))
    typo = surname[:2] + surname[3] + surname[2] + surname[4:]  # two letters swapped
    settings = Settings(database_url=url, environment="test", _env_file=None)
    app = create_app(settings, database=database)
    sql = SqlClock(database.engine)
    browser = Browser(app, cookie)
    cols = "&".join(f"cols={c}" for c in ("company", "stage", "reach", "tags", "owner",
                                          "created"))
    cases: list[tuple[str, str, str, bool]] = [
        (f"search suggestions '{surname}'", "/search/suggest", f"q={surname}", True),
        (f"search suggestions '{typo}'", "/search/suggest", f"q={typo}", True),
        ("search suggestions 'company 12'", "/search/suggest", "q=company%2012", True),
        (f"search page '{surname}'", "/search", f"q={surname}", False),
        ("contacts: customers, 6 columns", "/contacts",
         f"stage=customer&sort=-created_at&{cols}", False),
        ("contacts: one company", "/contacts", f"company={company}", False),
        ("companies list", "/companies", "", False),
        ("companies: industry, newest", "/companies", "industry=food&sort=-created_at", False),
        ("company page (biggest)", f"/companies/{company}", "", False),
    ]
    print(f"\n{args.requests} requests per case, in-process, server time (ms)")
    print(f"load average before: {os.getloadavg()}")
    print(f"{'case':<36} {'median':>8} {'p95':>8} {'SQL/req':>8} {'SQL wait':>9} {'CPU':>7}")
    for name, path, query, htmx in cases:
        r = run(browser, path, query, htmx, args.requests, sql)
        print(f"{name:<36} {r['median']:>8.2f} {r['p95']:>8.2f} {r['statements']:>8.1f} "
              f"{r['sql_ms']:>9.2f} {r['cpu_ms']:>7.2f}", flush=True)
    print(f"load average after: {os.getloadavg()}")
    database.dispose()


if __name__ == "__main__":
    main()
