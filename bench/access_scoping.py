"""What record-level scoping costs: the contact list for an admin vs a team-scoped sales rep.

    python bench/access_scoping.py --contacts 10000 \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_access

Drops and recreates the database, migrates it, makes 40 users in 4 teams of 10 (sales reps,
plus one admin), loads N contacts owned round-robin by the reps, ANALYZEs, then calls
GET /api/v1/contacts in-process (the ASGI app without a socket, as bench/profile_contacts.py)
``--requests`` times per case after a warm-up and prints the median and p95 in milliseconds
and the SQL statements per request. See bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).parent))
from contacts_api import recreate_database
from datagen import ContactGenerator
from profile_contacts import Driver

CASES = {"list -created_at": {"limit": 50}, "list by name": {"limit": 50, "sort": "name"},
         "search 'sen'": {"q": "sen", "limit": 20}}


def load(database: Any, n: int) -> tuple[str, str]:
    from sqlalchemy import text

    from amity.auth.models import Team, User
    from amity.auth.service import create_api_token, create_user
    from amity.contacts.schemas import ContactCreate
    from amity.contacts.service import create_contacts_bulk

    gen = ContactGenerator(seed=7)
    with database.transaction() as s:
        admin = create_user(s, email="admin@bench.example", name="Admin", is_admin=True)
        reps = [create_user(s, email=f"rep{i}@bench.example", name=f"Rep {i}")
                for i in range(40)]
        for t in range(4):
            s.add(Team(name=f"Team {t}", members=reps[t * 10:(t + 1) * 10]))
        _, admin_token = create_api_token(s, user=admin, name="bench")
        _, rep_token = create_api_token(s, user=reps[0], name="bench")
        rep_ids = [r.id for r in reps]
    done = 0
    while done < n:
        size = min(1000, n - done)
        with database.transaction() as s:
            actor = s.get(User, rep_ids[0])
            assert actor is not None
            made = create_contacts_bulk(s, items=[ContactCreate.model_validate(b)
                                                  for b in gen.batch(size)], actor=actor)
            for i, c in enumerate(made):
                c.owner_id = rep_ids[(done + i) % len(rep_ids)]
        done += size
        print(f"  loaded {done}/{n}", flush=True)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return admin_token, rep_token


def measure(drivers: dict[str, Driver], params: dict[str, Any], n: int,
            counter: list[str]) -> dict[str, dict[str, float]]:
    """Requests alternate between the drivers, so a busy machine slows both alike."""
    query = urlencode(params)
    for driver in drivers.values():
        for _ in range(20):  # warm-up: caches, the token's last_used_at write
            status, body = driver.request("GET", "/api/v1/contacts", query)
            assert status == 200, body[:300]
    times: dict[str, list[float]] = {who: [] for who in drivers}
    statements = dict.fromkeys(drivers, 0)
    for _ in range(n):
        for who, driver in drivers.items():
            counter.clear()
            t0 = time.perf_counter()
            status, _ = driver.request("GET", "/api/v1/contacts", query)
            times[who].append((time.perf_counter() - t0) * 1000)
            statements[who] += len(counter)
            assert status == 200
    out = {}
    for who, values in times.items():
        values.sort()
        out[who] = {"median": statistics.median(values), "p95": values[int(n * 0.95) - 1],
                    "statements": statements[who] / n}
    return out


def main() -> None:
    from sqlalchemy import event

    from amity.app import create_app
    from amity.config import Settings
    from amity.core.db import Database, make_engine
    from amity.db import upgrade

    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url",
                    default="postgresql://postgres@127.0.0.1:5432/amity_bench_access")
    ap.add_argument("--contacts", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    url = args.database_url
    recreate_database(url)
    upgrade(url)
    database = Database(make_engine(url, pool_size=2, max_overflow=0))
    admin_token, rep_token = load(database, args.contacts)
    settings = Settings(database_url=url, environment="test", _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, database=database)
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda conn, cur, stmt, *a: statements.append(stmt))
    print(f"\n{args.contacts} contacts, 40 reps in 4 teams of 10, {args.requests} requests "
          "per case (ms)")
    print(f"{'case':<20} {'who':<10} {'median':>8} {'p95':>8} {'SQL/req':>8}")
    drivers = {"admin": Driver(app, admin_token), "sales rep": Driver(app, rep_token)}
    for case, params in CASES.items():
        for who, r in measure(drivers, params, args.requests, statements).items():
            print(f"{case:<20} {who:<10} {r['median']:>8.2f} {r['p95']:>8.2f} "
                  f"{r['statements']:>8.1f}")
    database.dispose()


if __name__ == "__main__":
    main()
