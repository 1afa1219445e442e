"""Every SQL statement of the hot contact requests, with its plan and time, on a seeded database.

    python bench/explain_hot.py --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_1m

Runs, in-process (the ASGI app through FastAPI's TestClient), one request of each hot kind:
the contact list's first page and a following page, a contact's 360 view, a substring search
and a one-letter-typo search (``bench/datagen.py``'s queries). Each request is run a few times
(the first warms caches), its statements are recorded with their parameters, and then replayed
in one transaction, in order, each under ``EXPLAIN (ANALYZE, BUFFERS)``; the transaction is
rolled back, so nothing is written. Prints, per request, the in-process time, the statement
count, and per statement its execution time, buffers and plan (``--plans`` for whole plans).
Read-only apart from an API token for the first administrator (and that administrator,
when the database has none yet).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from datagen import ContactGenerator

API = "/api/v1"


def _token(database: Any) -> str:
    from sqlalchemy import select

    from amity.auth.models import User
    from amity.auth.service import create_api_token, create_user

    with database.transaction() as s:
        user = s.scalars(select(User).where(User.is_admin.is_(True), User.is_active.is_(True))
                         .order_by(User.created_at).limit(1)).first()
        if user is None:  # a freshly seeded database has sales reps but no administrator
            user = create_user(s, email="explain@example.com", name="Explain", is_admin=True,
                               password="long password here")
        _, token = create_api_token(s, user=user, name="explain_hot")
    return token


def _explain(raw: Any, statements: list[tuple[str, Any]], plans: bool) -> list[str]:
    out = []
    cur = raw.cursor()
    try:
        for sql, params in statements:
            head = " ".join(sql.split())
            if not head.upper().startswith(("SELECT", "WITH")):
                cur.execute(sql, params)
                out.append(f"    (run) {head[:110]}")
                continue
            if "set_config" in head:
                cur.execute(sql, params)
                out.append(f"    (run) {head[:110]}")
                continue
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + sql, params)
            lines = [r[0] for r in cur.fetchall()]
            exec_ms = next((ln.split(":")[1].strip() for ln in lines
                            if ln.startswith("Execution Time")), "?")
            top = lines[0].strip()
            hits = next((ln.strip() for ln in lines if "Buffers:" in ln), "")
            out.append(f"  - {exec_ms:>10}  {head[:150]}")
            out.append(f"      {top[:150]}  {hits}")
            if plans:
                out += [f"        {ln}" for ln in lines]
    finally:
        raw.rollback()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--repeat", type=int, default=20, help="timed requests per kind")
    ap.add_argument("--plans", action="store_true", help="print whole plans")
    ap.add_argument("--kinds", default="list_first,list_cursor,view_360,search_substring,"
                    "search_typo,get_one")
    args = ap.parse_args()
    url = args.database_url

    from sqlalchemy import event, select

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from amity.app import create_app
    from amity.config import Settings
    from amity.contacts.models import Contact
    from amity.core.db import Database, make_engine

    settings = Settings(database_url=url, environment="test", _env_file=None)  # type: ignore[call-arg]
    database = Database(make_engine(url, pool_size=2, max_overflow=0))
    token = _token(database)
    with database.transaction() as s:
        # contacts with some history: the 360 view's interesting case
        ids = [str(i) for i in s.scalars(select(Contact.id).where(
            Contact.last_activity_at.is_not(None)).limit(500))]
    recorded: list[tuple[str, Any]] = []
    sql_s = {"t": 0.0}
    started: dict[int, float] = {}

    @event.listens_for(database.engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, parameters: Any, *a: Any) -> None:
        recorded.append((statement, parameters))
        started[id(cursor)] = time.perf_counter()

    @event.listens_for(database.engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, *a: Any) -> None:
        sql_s["t"] += time.perf_counter() - started.pop(id(cursor), time.perf_counter())

    g = ContactGenerator(5)
    with TestClient(create_app(settings, database)) as tc:
        tc.headers["Authorization"] = f"Bearer {token}"
        first = tc.get(f"{API}/contacts", params={"limit": 50}).json()
        calls = {
            "list_first": lambda: tc.get(f"{API}/contacts", params={"limit": 50}),
            "list_cursor": lambda: tc.get(f"{API}/contacts", params={
                "limit": 50, "cursor": first["next_cursor"]}),
            "view_360": lambda: tc.get(f"{API}/contacts/{g.rng.choice(ids)}/360"),
            "search_substring": lambda: tc.get(f"{API}/contacts", params={
                "q": g.substring_query(), "limit": 20}),
            "search_typo": lambda: tc.get(f"{API}/contacts", params={
                "q": g.typo_query(), "limit": 20}),
            "get_one": lambda: tc.get(f"{API}/contacts/{g.rng.choice(ids)}"),
        }
        for kind in args.kinds.split(","):
            call = calls[kind]
            for _ in range(3):
                call()
            times, sql_times = [], []
            for _ in range(args.repeat):
                sql_s["t"] = 0.0
                t0 = time.perf_counter()
                r = call()
                times.append(time.perf_counter() - t0)
                sql_times.append(sql_s["t"])
                assert r.status_code == 200, (kind, r.status_code, r.text[:300])
            recorded.clear()
            r = call()
            statements = list(recorded)
            print(f"\n## {kind}: in-process median {statistics.median(times) * 1000:.2f} ms "
                  f"(SQL wait median {statistics.median(sql_times) * 1000:.2f} ms), "
                  f"{len(statements)} statements, {len(r.content):,} bytes; {r.request.url}")
            raw = database.engine.raw_connection()
            try:
                print("\n".join(_explain(raw.driver_connection, statements, args.plans)))
            finally:
                raw.close()
    database.dispose()


if __name__ == "__main__":
    main()
