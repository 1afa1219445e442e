"""A contact's timeline at scale: first page and deeper pages of GET /contacts/{id}/timeline.

    python bench/timeline.py \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_timeline

Drops and recreates the database (PostgreSQL only), migrates it, and writes with
``INSERT ... SELECT generate_series`` (seconds, not an hour of API calls):
``--contacts`` contacts (default 100,000) owned by 40 sales reps in 4 teams, ``--interactions``
interactions (default 1,000,000) with one contact participant each, of which ``--busy``
(default 10,000) are with one busy contact, over the last three years on every channel; the
busy contact also gets 500 notes, 300 tasks, 40 deals (half closed) and 200 orders. After
``ANALYZE`` it calls the timeline in-process (the ASGI app without a socket, as
bench/profile_contacts.py) as an admin and as a team-scoped sales rep: the first page (50
entries), the 20th page (following cursors), interactions only (``channels=email``), and the
360 view; ``--requests`` times each after a warm-up, printing median and p95 (ms), SQL
statements per request, and the timeline statement's own time from EXPLAIN ANALYZE.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
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
    'last' || g || ' first' || g, 'first' || g || ' last' || g, now(), now(), 1, '{}',
    (:reps)[1 + g % 40]
FROM generate_series(0, :n - 1) AS g
"""
# Interaction g is with the busy contact (number 0) for g < busy, else with contact 1 + g % (n-1)
INTERACTIONS_SQL = """
INSERT INTO interactions (id, channel, direction, subject, body, occurred_at, created_at,
    updated_at, version, custom_fields, owner_id)
SELECT md5('i' || g)::uuid, (ARRAY['email','call','meeting','chat','social','visit','sms'])
    [1 + g % 7], (ARRAY['inbound','outbound','outbound','internal'])[1 + g % 4],
    'Subject ' || g, 'Body of interaction ' || g,
    now() - (random() * interval '1095 days'), now(), now(), 1, '{}', (:reps)[1 + g % 40]
FROM generate_series(0, :m - 1) AS g
"""
PARTICIPANTS_SQL = """
INSERT INTO interaction_participants (id, interaction_id, contact_id, role, position,
    occurred_at, channel, direction, active)
SELECT md5('p' || g)::uuid, i.id,
    md5('c' || CASE WHEN g < :busy THEN 0 ELSE 1 + g % (:n - 1) END)::uuid,
    'to', 0, i.occurred_at, i.channel, i.direction, true
FROM generate_series(0, :m - 1) AS g JOIN interactions i ON i.id = md5('i' || g)::uuid
"""
BUSY = "md5('c0')::uuid"
OTHERS_SQL = [
    f"""INSERT INTO notes (id, entity_type, entity_id, body, pinned, author_id, created_at,
        updated_at, version) SELECT md5('n' || g)::uuid, 'contact', {BUSY}, 'Note ' || g,
        false, (:reps)[1], now() - (random() * interval '1095 days'), now(), 1
        FROM generate_series(0, 499) AS g""",
    f"""INSERT INTO tasks (id, title, status, priority, owner_id, assignee_id, contact_id,
        created_at, updated_at, version, custom_fields, due_sort) SELECT md5('t' || g)::uuid,
        'Task ' || g, 'open', 'normal', (:reps)[1], (:reps)[1], {BUSY},
        now() - (random() * interval '1095 days'), now(), 1, '{{}}', '9999-12-31'
        FROM generate_series(0, 299) AS g""",
    f"""INSERT INTO deals (id, name, sort_name, amount, currency, probability,
        probability_overridden, pipeline_id, stage_id, rank, status, stage_entered_at,
        contact_id, created_at, updated_at, version, custom_fields, owner_id, last_activity_at,
        closed_at)
        SELECT md5('d' || g)::uuid, 'Deal ' || g, 'deal ' || g, 100000, 'EUR', 50, false,
        s.pipeline_id, s.id, g, CASE WHEN g % 2 = 0 THEN 'won' ELSE 'open' END, now(), {BUSY},
        now() - (random() * interval '1095 days'), now(), 1, '{{}}', (:reps)[1], now(),
        CASE WHEN g % 2 = 0 THEN now() - (random() * interval '300 days') END
        FROM generate_series(0, 39) AS g,
        (SELECT id, pipeline_id FROM stages ORDER BY position LIMIT 1) AS s""",
    f"""INSERT INTO orders (id, number, contact_id, ordered_at, channel, status, currency,
        subtotal, discount_total, total, created_at, updated_at, version, custom_fields,
        owner_id) SELECT md5('o' || g)::uuid, 'A-' || g, {BUSY},
        now() - (random() * interval '1095 days'), 'store', 'paid', 'EUR', 2000, 0, 2000,
        now(), now(), 1, '{{}}', (:reps)[1] FROM generate_series(0, 199) AS g""",
]


def load(database: Any, n: int, m: int, busy: int) -> tuple[str, str, str]:
    from sqlalchemy import text

    from amity.auth.models import Team
    from amity.auth.service import create_api_token, create_user

    with database.transaction() as s:
        admin = create_user(s, email="admin@bench.example", name="Admin", is_admin=True)
        reps = [create_user(s, email=f"rep{i}@bench.example", name=f"Rep {i}")
                for i in range(40)]
        for t in range(4):
            s.add(Team(name=f"Team {t}", members=reps[t * 10:(t + 1) * 10]))
        _, admin_token = create_api_token(s, user=admin, name="bench")
        _, rep_token = create_api_token(s, user=reps[1], name="bench")  # same team as rep 0
        rep_ids = [str(r.id) for r in reps]
    reps_array = "ARRAY[" + ",".join(f"'{r}'::uuid" for r in rep_ids) + "]"
    params = {"n": n, "m": m, "busy": busy}
    steps = [("contacts", CONTACTS_SQL), ("interactions", INTERACTIONS_SQL),
             ("participants", PARTICIPANTS_SQL), *(("other sources", q) for q in OTHERS_SQL)]
    for name, sql in steps:
        t0 = time.perf_counter()
        with database.engine.begin() as conn:
            conn.execute(text(sql.replace(":reps", reps_array)), params)
        print(f"  {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        busy_id = conn.execute(text(f"SELECT {BUSY}")).scalar()
    return admin_token, rep_token, str(busy_id)


def _run(driver: Driver, path: str, params: dict[str, Any], n: int,
         counter: list[str]) -> dict[str, float]:
    query = urlencode(params, doseq=True)
    for _ in range(20):
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
    return {"median": statistics.median(times), "p95": times[int(n * 0.95) - 1],
            "statements": statements / n}


def _cursor_of_page(driver: Driver, path: str, page: int) -> str:
    cursor = ""
    for _ in range(page - 1):
        status, body = driver.request("GET", path, urlencode({"cursor": cursor} if cursor
                                                             else {}))
        assert status == 200
        cursor = json.loads(body)["next_cursor"]
    return cursor


def explain_ms(database: Any, busy_id: str) -> float:
    """Execution time of the timeline statement itself, from EXPLAIN ANALYZE (admin)."""
    import uuid

    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql

    from amity.activities import timeline as tl
    from amity.auth.models import User

    with database.transaction(write=False) as s:
        admin = s.query(User).filter(User.is_admin.is_(True)).first()
        captured: list[Any] = []
        real = s.execute

        def spy(stmt: Any, *a: Any, **k: Any) -> Any:
            captured.append(stmt)
            return real(stmt, *a, **k)

        s.execute = spy  # type: ignore[method-assign]
        tl.timeline(s, admin, contact_id=uuid.UUID(busy_id), limit=50)
        s.execute = real  # type: ignore[method-assign]
        sql = str(captured[-1].compile(dialect=postgresql.dialect(),
                                       compile_kwargs={"literal_binds": True}))
        runs = []
        for _ in range(30):
            plan = s.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)).scalar()
            runs.append(plan[0]["Execution Time"])
        return float(statistics.median(runs))


def main() -> None:
    from sqlalchemy import event

    from amity.app import create_app
    from amity.config import Settings
    from amity.core.db import Database, make_engine
    from amity.db import upgrade

    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url",
                    default="postgresql://postgres@127.0.0.1:5432/amity_bench_timeline")
    ap.add_argument("--contacts", type=int, default=100_000)
    ap.add_argument("--interactions", type=int, default=1_000_000)
    ap.add_argument("--busy", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    url = args.database_url
    if not url.startswith("postgresql"):
        raise SystemExit("this benchmark runs on PostgreSQL")
    recreate_database(url)
    upgrade(url)
    database = Database(make_engine(url, pool_size=2, max_overflow=0))
    print(f"loading {args.contacts} contacts, {args.interactions} interactions "
          f"({args.busy} with one contact)", flush=True)
    admin_token, rep_token, busy = load(database, args.contacts, args.interactions, args.busy)
    settings = Settings(database_url=url, environment="test", _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, database=database)
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda conn, cur, stmt, *a: statements.append(stmt))
    path = f"/api/v1/contacts/{busy}/timeline"
    drivers = {"admin": Driver(app, admin_token), "sales rep": Driver(app, rep_token)}
    cursor20 = _cursor_of_page(drivers["admin"], path, 20)
    cases: dict[str, tuple[str, dict[str, Any]]] = {
        "first page (50)": (path, {}),
        "page 20 (50)": (path, {"cursor": cursor20}),
        "emails only": (path, {"channels": "email"}),
        "360 view": (f"/api/v1/contacts/{busy}/360", {}),
    }
    print(f"\n{args.requests} requests per case, in-process (ms)")
    print(f"{'case':<18} {'who':<10} {'median':>8} {'p95':>8} {'SQL/req':>8}")
    for case, (p, params) in cases.items():
        for who, driver in drivers.items():
            r = _run(driver, p, params, args.requests, statements)
            print(f"{case:<18} {who:<10} {r['median']:>8.2f} {r['p95']:>8.2f} "
                  f"{r['statements']:>8.1f}", flush=True)
    print(f"\ntimeline statement alone (EXPLAIN ANALYZE, median of 30): "
          f"{explain_ms(database, busy):.2f} ms")
    database.dispose()


if __name__ == "__main__":
    main()
