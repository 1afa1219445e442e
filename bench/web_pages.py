"""The web UI's busiest pages with 10,000 contacts on PostgreSQL: server time and SQL
statements per request for the contact list, a search, the contact page and its panels.

    python bench/web_pages.py \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_web

Drops and recreates the database (PostgreSQL only) and migrates it. ``--contacts`` contacts
(default 10,000) are made by ``amity bench seed`` (``amity.ops.seed``: emails, phones, tags,
companies, ``--per-contact`` interactions each on average (default 5), deals with their stage
history, orders, tickets; owned by 8 sales reps); then, in SQL, each contact gets a note, and
one "busy" contact gets ``--busy`` more interactions (default 500), 100 notes, 20 deals and 50
orders. After ``ANALYZE`` the
pages are called in-process (the ASGI app without a socket, as bench/profile_contacts.py) with
a signed-in browser session of an administrator: each case ``--requests`` times after a
warm-up, printing median and p95 server time (ms) and SQL statements per request. The busy and
an ordinary contact are both measured so a count that grows with rows would show. Also printed:
the mean time waiting on PostgreSQL and this process's CPU time per request (the parts of the
wall time a loaded machine inflates least and most).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from contacts_api import recreate_database

INTERACTIONS_SQL = """
INSERT INTO interactions (id, channel, direction, subject, body, occurred_at, created_at,
    updated_at, version, custom_fields, owner_id)
SELECT md5('i' || c.id || '-' || k)::uuid,
    (ARRAY['email','call','meeting','chat','social','visit','sms'])[1 + k % 7],
    (ARRAY['inbound','outbound','outbound','internal'])[1 + k % 4],
    'Subject ' || k, 'Body of interaction ' || k,
    now() - (random() * interval '1095 days'), now(), now(), 1, '{}', c.owner_id
FROM contacts c, generate_series(1, CASE WHEN c.id = :busy THEN :many ELSE :per END) AS k
"""
PARTICIPANTS_SQL = """
INSERT INTO interaction_participants (id, interaction_id, contact_id, role, position,
    occurred_at, channel, direction, active)
SELECT md5('p' || c.id || '-' || k)::uuid, i.id, c.id, 'to', 0, i.occurred_at, i.channel,
    i.direction, true
FROM contacts c, generate_series(1, CASE WHEN c.id = :busy THEN :many ELSE :per END) AS k
JOIN LATERAL (SELECT * FROM interactions WHERE id = md5('i' || c.id || '-' || k)::uuid) i
    ON true
"""
NOTES_SQL = """
INSERT INTO notes (id, entity_type, entity_id, body, pinned, author_id, created_at,
    updated_at, version)
SELECT md5('n' || c.id || '-' || k)::uuid, 'contact', c.id, 'Note ' || k, false, c.owner_id,
    now() - (random() * interval '1095 days'), now(), 1
FROM contacts c, generate_series(1, CASE WHEN c.id = :busy THEN 100 ELSE 1 END) AS k
"""
DEALS_SQL = """
INSERT INTO deals (id, name, sort_name, amount, currency, probability, probability_overridden,
    pipeline_id, stage_id, rank, status, stage_entered_at, contact_id, created_at, updated_at,
    version, custom_fields, owner_id, last_activity_at)
SELECT md5('d' || c.id || '-' || k)::uuid, 'Deal ' || c.last_name || ' ' || k,
    'deal ' || k, 100000, 'EUR', 50, false, s.pipeline_id, s.id, row_number() OVER (), 'open',
    now(), c.id, now(), now(), 1, '{}', c.owner_id, now()
FROM (SELECT *, row_number() OVER (ORDER BY id) AS n FROM contacts) c,
    generate_series(1, CASE WHEN c.id = :busy THEN 20 ELSE 1 END) AS k,
    (SELECT id, pipeline_id FROM stages ORDER BY position LIMIT 1) AS s
WHERE c.id = :busy
"""
ORDERS_SQL = """
INSERT INTO orders (id, number, contact_id, ordered_at, channel, status, currency, subtotal,
    discount_total, total, created_at, updated_at, version, custom_fields, owner_id)
SELECT md5('o' || c.id || '-' || k)::uuid, 'W-' || c.n || '-' || k, c.id,
    now() - (random() * interval '1095 days'), 'store', 'paid', 'EUR', 2000, 0, 2000,
    now(), now(), 1, '{}', c.owner_id
FROM (SELECT *, row_number() OVER (ORDER BY id) AS n FROM contacts) c,
    generate_series(1, CASE WHEN c.id = :busy THEN 50 ELSE 1 END) AS k
WHERE c.id = :busy
"""


class Browser:
    """Calls the ASGI app like a server would, minus the socket, with a session cookie."""

    def __init__(self, app: Any, cookie: str) -> None:
        self.app, self.cookie = app, cookie
        self.loop = asyncio.new_event_loop()

    def get(self, path: str, query: str = "", htmx: bool = False) -> tuple[int, bytes]:
        headers = [(b"host", b"bench"), (b"cookie", f"amity_session={self.cookie}".encode())]
        if htmx:
            headers.append((b"hx-request", b"true"))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": query.encode(), "root_path": "", "headers": headers,
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {}}
        out: dict[str, Any] = {"body": b""}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(msg: dict[str, Any]) -> None:
            if msg["type"] == "http.response.start":
                out["status"] = msg["status"]
            elif msg["type"] == "http.response.body":
                out["body"] += msg.get("body", b"")

        self.loop.run_until_complete(self.app(scope, receive, send))
        return out["status"], out["body"]


def load(database: Any, n: int, per: int, many: int) -> tuple[str, str, str]:
    """Returns (session cookie of an admin, busy contact id, ordinary contact id)."""
    from sqlalchemy import select, text

    from amity.auth import sessions
    from amity.auth.models import User
    from amity.auth.service import create_user
    from amity.contacts.models import Contact
    from amity.ops.seed import SeedPlan, seed

    with database.transaction() as s:
        create_user(s, email="admin@bench.example", name="Admin", is_admin=True)
    report = seed(database, SeedPlan(contacts=n, interactions_per_contact=per, seed=7))
    print(f"  seeded {sum(report.counts.values()):,} rows in {report.seconds:.0f} s: "
          + ", ".join(f"{k} {v:,}" for k, v in report.counts.items()), flush=True)
    with database.transaction() as s:
        busy, plain = [str(i) for i in s.scalars(select(Contact.id).order_by(Contact.id)
                                                 .offset(n // 2).limit(2))]
    params = {"busy": busy, "per": 0, "many": many}  # the seed gave everyone their share
    for name, sql in (("interactions", INTERACTIONS_SQL), ("participants", PARTICIPANTS_SQL),
                      ("notes", NOTES_SQL), ("deals", DEALS_SQL), ("orders", ORDERS_SQL)):
        t0 = time.perf_counter()
        with database.engine.begin() as conn:
            conn.execute(text(sql), params)
        print(f"  {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    with database.transaction() as s:
        admin = s.scalars(select(User).where(User.is_admin.is_(True))).one()
        _, cookie = sessions.create_session(s, user=admin, lifetime=timedelta(days=1),
                                            mfa_pending=False, ip="127.0.0.1",
                                            user_agent="bench")
    return cookie, busy, plain


class SqlClock:
    """Statements sent and time spent waiting for PostgreSQL (cursor execute to its end)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count, self.wait, self._start = 0, 0.0, 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_a: Any) -> None:
        self._start = time.perf_counter()

    def _after(self, *_a: Any) -> None:
        self.count += 1
        self.wait += time.perf_counter() - self._start


def reuse(database: Any) -> tuple[str, str, str]:
    """The data of an earlier run (``--reuse``): a new admin session, the busy contact (most
    interactions) and an ordinary one."""
    from sqlalchemy import func, select

    from amity.activities.models import InteractionParticipant
    from amity.auth import sessions
    from amity.auth.models import User

    with database.transaction() as s:
        counts = (select(InteractionParticipant.contact_id, func.count().label("n"))
                  .group_by(InteractionParticipant.contact_id).subquery())
        busy = s.scalar(select(counts.c.contact_id).order_by(counts.c.n.desc()).limit(1))
        plain = s.scalar(select(counts.c.contact_id).order_by(counts.c.n, counts.c.contact_id)
                         .limit(1))
        admin = s.scalars(select(User).where(User.is_admin.is_(True))).one()
        _, cookie = sessions.create_session(s, user=admin, lifetime=timedelta(days=1))
    return cookie, str(busy), str(plain)


def run(browser: Browser, path: str, query: str, htmx: bool, n: int,
        sql: SqlClock) -> dict[str, float]:
    """Wall time per request, and its parts: waiting on PostgreSQL, and this process's CPU
    time (all threads; on a loaded machine wall time is much more than the two)."""
    for _ in range(10):
        status, body = browser.get(path, query, htmx)
        assert status == 200, (path, status, body[:300])
    times: list[float] = []
    sql.count, sql.wait = 0, 0.0
    cpu0 = time.process_time()
    for _ in range(n):
        t0 = time.perf_counter()
        status, _ = browser.get(path, query, htmx)
        times.append((time.perf_counter() - t0) * 1000)
        assert status == 200
    cpu = (time.process_time() - cpu0) * 1000 / n
    times.sort()
    return {"median": statistics.median(times), "p95": times[max(0, int(n * 0.95) - 1)],
            "statements": sql.count / n, "sql_ms": sql.wait * 1000 / n, "cpu_ms": cpu}


def main() -> None:
    from amity.app import create_app
    from amity.config import Settings
    from amity.core.db import Database, make_engine
    from amity.db import upgrade

    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url",
                    default="postgresql://postgres@127.0.0.1:5432/amity_bench_web")
    ap.add_argument("--contacts", type=int, default=10_000)
    ap.add_argument("--per-contact", type=int, default=5)
    ap.add_argument("--busy", type=int, default=500)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--reuse", action="store_true",
                    help="measure the data an earlier run left in the database")
    args = ap.parse_args()
    url = args.database_url
    if not url.startswith("postgresql"):
        raise SystemExit("this benchmark runs on PostgreSQL")
    if not args.reuse:
        recreate_database(url)
        upgrade(url)
    database = Database(make_engine(url, pool_size=2, max_overflow=0))
    if args.reuse:
        cookie, busy, plain = reuse(database)
    else:
        print(f"loading {args.contacts} contacts, {args.per_contact} interactions each, "
              f"{args.busy} for the busy one", flush=True)
        cookie, busy, plain = load(database, args.contacts, args.per_contact, args.busy)
    settings = Settings(database_url=url, environment="test", _env_file=None)
    app = create_app(settings, database=database)
    sql = SqlClock(database.engine)
    browser = Browser(app, cookie)
    cases: list[tuple[str, str, str, bool]] = [
        ("contact list, first page", "/contacts", "", False),
        ("contact list, search 'smith'", "/contacts", "q=smith", False),
        ("contact list, typo 'jonson'", "/contacts", "q=jonson", False),
        ("contact page (ordinary)", f"/contacts/{plain}", "", False),
        ("contact page (busy)", f"/contacts/{busy}", "", False),
        ("commerce panel (ordinary)", f"/contacts/{plain}/commerce", "", True),
        ("commerce panel (busy)", f"/contacts/{busy}/commerce", "", True),
        ("tickets panel (busy)", f"/contacts/{busy}/tickets-panel", "", True),
    ]
    print(f"\n{args.requests} requests per case, in-process, server time (ms)")
    print(f"load average before: {os.getloadavg()}")
    print(f"{'case':<32} {'median':>8} {'p95':>8} {'SQL/req':>8} {'SQL wait':>9} "
          f"{'CPU':>7}")
    for name, path, query, htmx in cases:
        r = run(browser, path, query, htmx, args.requests, sql)
        print(f"{name:<32} {r['median']:>8.2f} {r['p95']:>8.2f} {r['statements']:>8.1f} "
              f"{r['sql_ms']:>9.2f} {r['cpu_ms']:>7.2f}", flush=True)
    print(f"load average after: {os.getloadavg()}")
    database.dispose()


if __name__ == "__main__":
    main()
