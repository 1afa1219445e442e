"""Where a contacts API request spends its time, in-process (run after contacts_api.py).

    python bench/profile_contacts.py --database-url postgresql://postgres@127.0.0.1:5432/amity_bench

Drives the ASGI app directly (no sockets, no client library) against the benchmark database:
for each request kind it reports the in-process time per request, the part spent waiting on
PostgreSQL (cursor execute), and a cProfile breakdown of own time by package. Sync endpoints
run inline (not in the thread pool) so that cProfile sees them.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from datagen import ContactGenerator

API = "/api/v1"


def package_of(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/src/amity/" in filename:
        return "amity." + filename.split("/src/amity/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename.startswith("~") or "<" in filename:
        return "builtins (C)"
    return "stdlib"


class Driver:
    """Calls the ASGI app like a server would, minus the socket: one request at a time."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.token = app, token
        self.loop = asyncio.new_event_loop()

    def request(self, method: str, path: str, query: str = "", body: bytes = b"") -> tuple[
            int, bytes]:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": query.encode(), "root_path": "",
                 "headers": [(b"host", b"bench"), (b"authorization",
                                                   f"Bearer {self.token}".encode()),
                             (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode())],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {}}
        out: dict[str, Any] = {"body": b""}
        sent = {"done": False}

        async def receive() -> dict[str, Any]:
            if not sent["done"]:
                sent["done"] = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(msg: dict[str, Any]) -> None:
            if msg["type"] == "http.response.start":
                out["status"] = msg["status"]
            elif msg["type"] == "http.response.body":
                out["body"] += msg.get("body", b"")

        self.loop.run_until_complete(self.app(scope, receive, send))
        return out["status"], out["body"]


def main() -> None:
    import json
    from urllib.parse import urlencode

    from sqlalchemy import event, select

    from amity.app import create_app
    from amity.auth.models import User
    from amity.auth.service import create_api_token
    from amity.config import Settings
    from amity.contacts.models import Contact
    from amity.core.db import Database, make_engine

    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url",
                    default="postgresql://postgres@127.0.0.1:5432/amity_bench")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    url = args.database_url
    settings = Settings(database_url=url, environment="test", _env_file=None)  # type: ignore[call-arg]
    database = Database(make_engine(url, pool_size=2, max_overflow=0))
    with database.transaction() as s:
        # an administrator, as the load test and contacts_api.py use (a sales rep's requests
        # are scoped to the contacts they may see)
        user = s.scalars(select(User).where(User.is_admin).limit(1)).one_or_none()
        if user is None:
            from amity.auth.service import create_user

            user = create_user(s, email="profile@example.com", name="Profile", is_admin=True,
                               password="long password here")
        _, token = create_api_token(s, user=user, name="profile")
        ids = [str(i) for i in s.scalars(select(Contact.id).limit(2000))]
    sql_time = {"t": 0.0, "n": 0}
    starts: dict[int, float] = {}

    @event.listens_for(database.engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, *a: Any) -> None:
        starts[id(cursor)] = time.perf_counter()

    @event.listens_for(database.engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, *a: Any) -> None:
        sql_time["t"] += time.perf_counter() - starts.pop(id(cursor), time.perf_counter())
        sql_time["n"] += 1

    # FastAPI runs sync endpoints and dependencies in worker threads, which cProfile does not
    # see; run them inline so the profile shows the request's own work.
    import anyio.to_thread

    async def run_inline(func: Any, *a: Any, **_kw: Any) -> Any:
        return func(*a)

    anyio.to_thread.run_sync = run_inline  # type: ignore[assignment]
    app = create_app(settings, database)
    d = Driver(app, token)
    g = ContactGenerator(99)
    g.counter = 50_000_000
    first = json.loads(d.request("GET", f"{API}/contacts", "limit=50")[1])
    kinds = {
        "create": lambda: d.request("POST", f"{API}/contacts",
                                    body=json.dumps(g.contact()).encode()),
        "list_first": lambda: d.request("GET", f"{API}/contacts", "limit=50"),
        "list_cursor": lambda: d.request("GET", f"{API}/contacts", urlencode(
            {"limit": 50, "cursor": first["next_cursor"]})),
        "search_substring": lambda: d.request("GET", f"{API}/contacts", urlencode(
            {"q": g.substring_query(), "limit": 20})),
        "search_typo": lambda: d.request("GET", f"{API}/contacts", urlencode(
            {"q": g.typo_query(), "limit": 20})),
        "get_one": lambda: d.request("GET", f"{API}/contacts/{g.rng.choice(ids)}"),
        "view_360": lambda: d.request("GET", f"{API}/contacts/{g.rng.choice(ids)}/360"),
    }
    print(f"in-process, {args.requests} requests per kind (ms per request)\n")
    print("| request | total median | SQL wait (mean) | SQL statements | other (mean) |")
    print("|---|---:|---:|---:|---:|")
    profiles = {}
    for kind, call in kinds.items():
        for _ in range(20):
            status, _body = call()
            assert status < 400, (kind, status, _body[:200])
        times = []
        sql_time.update(t=0.0, n=0)
        for _ in range(args.requests):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        total_mean = statistics.fmean(times) * 1000
        sql_ms = sql_time["t"] / args.requests * 1000
        print(f"| {kind} | {statistics.median(times) * 1000:.2f} | {sql_ms:.2f} | "
              f"{sql_time['n'] / args.requests:.0f} | {total_mean - sql_ms:.2f} |")
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.requests):
            call()
        prof.disable()
        profiles[kind] = prof
    for kind, prof in profiles.items():
        st = pstats.Stats(prof)
        by_pkg: dict[str, float] = defaultdict(float)
        total = 0.0
        for (filename, _line, _fn), (_cc, _nc, tt, _ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
            by_pkg[package_of(filename)] += tt
            total += tt
        print(f"\n{kind}: own time by package (% of {total / args.requests * 1000:.2f} ms "
              "profiled per request)")
        for pkg, tt in sorted(by_pkg.items(), key=lambda kv: -kv[1])[:args.top]:
            print(f"  {pkg:28s} {100 * tt / total:5.1f}%")
        st.sort_stats("tottime")
        rows = sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:8]  # type: ignore[attr-defined]
        print("  top functions (own time):")
        for (filename, line, fn), (_cc, nc, tt, _ct, _c) in rows:
            short = "/".join(filename.split("/")[-2:])
            print(f"    {100 * tt / total:5.1f}%  {nc / args.requests:6.1f} calls/req  "
                  f"{short}:{line}({fn})")
    database.dispose()


if __name__ == "__main__":
    main()
