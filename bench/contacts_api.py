"""Benchmark the contacts REST API as it runs in production (gunicorn + uvicorn workers, PG).

    python bench/contacts_api.py --contacts 10000 \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench --workers 2

Drops and recreates the database, migrates it, starts the server on a free loopback port,
loads N contacts through POST /contacts (8 clients) and N more through POST /contacts/bulk,
then measures request latency one client at a time and with 8 concurrent clients, and counts
the SQL statements and response bytes of each request kind. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from datagen import ContactGenerator

HERE = Path(__file__).parent
API = "/api/v1"

# Sequential medians at 10,000 contacts, in milliseconds (bench/README.md).
TARGETS_MS = {"create": 5.0, "list_first": 8.0, "list_cursor": 8.0, "search_substring": 10.0,
              "search_typo": 10.0, "get_one": 4.0}
LOAD_TARGET_S = 20.0  # 10,000 contacts through the API with 8 clients


# ---------------------------------------------------------------- database and server
def _admin_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def recreate_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing odd database name {name!r}")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare_database(url: str) -> str:
    """Empty, migrated database with one admin user; returns their API token."""
    from amity.auth.service import create_api_token, create_user
    from amity.core.db import Database, make_engine
    from amity.db import upgrade

    recreate_database(url)
    upgrade(url)
    database = Database(make_engine(url, pool_size=1, max_overflow=0))
    try:
        with database.transaction() as s:
            user = create_user(s, email="bench@example.com", name="Bench", is_admin=True,
                               password="long password here")
            _, token = create_api_token(s, user=user, name="bench")
    finally:
        database.dispose()
    return token


def analyze(url: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        # VACUUM too: a freshly loaded table has no visibility map, so index-only scans read
        # the heap until autovacuum comes by (board and forecast ~1.5x slower until then)
        conn.execute("VACUUM (ANALYZE)")
        row = conn.execute("SHOW autovacuum").fetchone()
    return str(row[0]) if row else "?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(AMITY_DATABASE_URL=url, AMITY_ENVIRONMENT="production",
               AMITY_SECRET_KEY=secrets.token_urlsafe(48), AMITY_LOG_LEVEL="warning",
               PYTHONWARNINGS="ignore::DeprecationWarning")
    return env


def start_server(url: str, workers: int, port: int, server: str) -> subprocess.Popen[bytes]:
    bindir = Path(sys.executable).parent
    if server == "gunicorn":
        cmd = [str(bindir / "gunicorn"), "-k", "uvicorn.workers.UvicornWorker",
               "amity.app:create_app()", "-w", str(workers), "--bind", f"127.0.0.1:{port}",
               "--log-level", "warning"]  # no --access-logfile: access log off
    else:
        cmd = [str(bindir / "uvicorn"), "amity.app:create_app", "--factory", "--workers",
               str(workers), "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
               "--log-level", "warning"]
    # cwd outside the repository so a developer's .env cannot change the settings
    return subprocess.Popen(cmd, env=server_env(url), cwd="/tmp", start_new_session=True)


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}{API}/contacts", timeout=2).status_code == 401:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start in time")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- measuring
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def summary(lat_s: list[float], sizes: list[int], wall_s: float) -> dict[str, Any]:
    ms = [x * 1000 for x in lat_s]
    return {"count": len(ms), "median_ms": round(statistics.median(ms), 3),
            "p95_ms": round(pct(ms, 95), 3), "p99_ms": round(pct(ms, 99), 3),
            "mean_ms": round(statistics.fmean(ms), 3), "max_ms": round(max(ms), 3),
            "throughput_rps": round(len(ms) / wall_s, 1),
            "response_bytes_mean": round(statistics.fmean(sizes)) if sizes else 0}


def client(base: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base + API, headers={"Authorization": f"Bearer {token}"},
                        timeout=60)


class Failure(RuntimeError):
    pass


def check(resp: httpx.Response, expected: int) -> httpx.Response:
    if resp.status_code != expected:
        raise Failure(f"{resp.request.method} {resp.request.url} -> {resp.status_code}: "
                      f"{resp.text[:300]}")
    return resp


RETRIES = {"409": 0}
_retry_lock = threading.Lock()


def post_contact(c: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    """POST /contacts, retrying a 409 as the API asks (concurrent first use of a new tag)."""
    for _ in range(5):
        r = c.post("/contacts", json=body)
        if r.status_code != 409:
            break
        with _retry_lock:
            RETRIES["409"] += 1
    return check(r, 201)


def load_single(base: str, token: str, payloads: list[dict[str, Any]],
                clients: int) -> dict[str, Any]:
    chunks = [payloads[i::clients] for i in range(clients)]
    lat: list[list[float]] = [[] for _ in range(clients)]
    ids: list[list[str]] = [[] for _ in range(clients)]

    def run(k: int) -> None:
        with client(base, token) as c:
            for body in chunks[k]:
                t0 = time.perf_counter()
                r = post_contact(c, body)
                lat[k].append(time.perf_counter() - t0)
                ids[k].append(r.json()["id"])

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, range(clients)))
    wall = time.perf_counter() - t0
    flat = [x for part in lat for x in part]
    return {"contacts": len(payloads), "clients": clients, "seconds": round(wall, 2),
            "retried_409": RETRIES["409"],
            "contacts_per_s": round(len(payloads) / wall, 1),
            "request_median_ms": round(statistics.median(flat) * 1000, 2),
            "request_p95_ms": round(pct(flat, 95) * 1000, 2),
            "ids": [x for part in ids for x in part]}


def load_bulk(base: str, token: str, payloads: list[dict[str, Any]],
              batch: int) -> dict[str, Any]:
    lat = []
    t0 = time.perf_counter()
    with client(base, token) as c:
        for i in range(0, len(payloads), batch):
            t1 = time.perf_counter()
            r = check(c.post("/contacts/bulk", json={"items": payloads[i:i + batch]}), 201)
            lat.append(time.perf_counter() - t1)
            assert r.json()["created"] == len(payloads[i:i + batch])
    wall = time.perf_counter() - t0
    return {"contacts": len(payloads), "batch_size": batch, "clients": 1,
            "seconds": round(wall, 2), "contacts_per_s": round(len(payloads) / wall, 1),
            "batch_median_s": round(statistics.median(lat), 3)}


Request = Callable[[httpx.Client, ContactGenerator, dict[str, Any]], httpx.Response]


def make_requests(ids: list[str]) -> dict[str, Request]:
    def create(c: httpx.Client, g: ContactGenerator, st: dict[str, Any]) -> httpx.Response:
        return post_contact(c, g.contact())

    def list_first(c: httpx.Client, g: ContactGenerator, st: dict[str, Any]) -> httpx.Response:
        r = check(c.get("/contacts", params={"limit": 50}), 200)
        st["cursor"] = r.json()["next_cursor"]
        return r

    def list_cursor(c: httpx.Client, g: ContactGenerator, st: dict[str, Any]) -> httpx.Response:
        # walk forward page by page; start again at the top every 20 pages
        if not st.get("cursor") or st.get("pages", 0) >= 20:
            st["cursor"] = check(c.get("/contacts", params={"limit": 50}), 200) \
                .json()["next_cursor"]
            st["pages"] = 0
        r = check(c.get("/contacts", params={"limit": 50, "cursor": st["cursor"]}), 200)
        st["cursor"], st["pages"] = r.json()["next_cursor"], st.get("pages", 0) + 1
        return r

    def search_substring(c: httpx.Client, g: ContactGenerator,
                         st: dict[str, Any]) -> httpx.Response:
        return check(c.get("/contacts", params={"q": g.substring_query(), "limit": 20}), 200)

    def search_typo(c: httpx.Client, g: ContactGenerator, st: dict[str, Any]) -> httpx.Response:
        return check(c.get("/contacts", params={"q": g.typo_query(), "limit": 20}), 200)

    def get_one(c: httpx.Client, g: ContactGenerator, st: dict[str, Any]) -> httpx.Response:
        return check(c.get(f"/contacts/{g.rng.choice(ids)}"), 200)

    return {"create": create, "list_first": list_first, "list_cursor": list_cursor,
            "search_substring": search_substring, "search_typo": search_typo,
            "get_one": get_one}


def run_kind(base: str, token: str, fn: Request, total: int, clients: int, seed: int,
             warmup: int = 20) -> dict[str, Any]:
    """``total`` requests of one kind over ``clients`` keep-alive connections."""
    per = -(-total // clients)
    lat: list[list[float]] = [[] for _ in range(clients)]
    sizes: list[list[int]] = [[] for _ in range(clients)]
    ready = threading.Barrier(clients + 1)
    wall = {"t0": 0.0}

    def run(k: int) -> None:
        g = ContactGenerator(seed * 1000 + k)
        g.counter = 10_000_000 * (seed + 1) + 100_000 * k  # unique emails
        st: dict[str, Any] = {}
        with client(base, token) as c:
            for _ in range(warmup):
                fn(c, g, st)
            ready.wait()
            for _ in range(per):
                t0 = time.perf_counter()
                r = fn(c, g, st)
                lat[k].append(time.perf_counter() - t0)
                sizes[k].append(len(r.content))

    with ThreadPoolExecutor(clients) as pool:
        futs = [pool.submit(run, k) for k in range(clients)]
        ready.wait()
        wall["t0"] = time.perf_counter()
        for f in futs:
            f.result()
    elapsed = time.perf_counter() - wall["t0"]
    return summary([x for p in lat for x in p], [x for p in sizes for x in p], elapsed)


# ---------------------------------------------------------------- in-process SQL counts
def count_queries(url: str, token: str, ids: list[str]) -> dict[str, Any]:
    """One request of each kind in-process, counting SQL statements on the app's engine."""
    import warnings

    from sqlalchemy import event

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from amity.app import create_app
    from amity.config import Settings
    from amity.core.db import Database, make_engine

    settings = Settings(database_url=url, environment="test", _env_file=None)  # type: ignore[call-arg]
    database = Database(make_engine(url, pool_size=2, max_overflow=0))
    statements: list[str] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split())[:160])

    g = ContactGenerator(7)
    g.counter = 90_000_000
    out: dict[str, Any] = {}
    with TestClient(create_app(settings, database)) as tc:
        tc.headers["Authorization"] = f"Bearer {token}"
        first = tc.get(f"{API}/contacts", params={"limit": 50}).json()
        calls = {
            "create": lambda: tc.post(f"{API}/contacts", json=g.contact()),
            "list_first": lambda: tc.get(f"{API}/contacts", params={"limit": 50}),
            "list_cursor": lambda: tc.get(f"{API}/contacts", params={
                "limit": 50, "cursor": first["next_cursor"]}),
            "search_substring": lambda: tc.get(f"{API}/contacts", params={
                "q": g.substring_query(), "limit": 20}),
            "search_typo": lambda: tc.get(f"{API}/contacts", params={
                "q": g.typo_query(), "limit": 20}),
            "get_one": lambda: tc.get(f"{API}/contacts/{ids[0]}"),
            "view_360": lambda: tc.get(f"{API}/contacts/{ids[0]}/360"),
            "bulk_100": lambda: tc.post(f"{API}/contacts/bulk", json={"items": g.batch(100)}),
        }
        for kind, call in calls.items():
            call()  # warm: first-use caches must not count
            statements.clear()
            r = call()
            if r.status_code >= 400:
                raise Failure(f"{kind}: {r.status_code} {r.text[:300]}")
            out[kind] = {"queries": len(statements), "bytes": len(r.content),
                         "statements": list(statements)}
    database.dispose()
    return out


# ---------------------------------------------------------------- reporting
def proc_cpu(pid: int) -> tuple[str, float]:
    """A process's name and the CPU seconds (user + system) it has used, from /proc."""
    head, _, rest = Path(f"/proc/{pid}/stat").read_text().rpartition(")")
    fields = rest.split()
    return head.partition("(")[2], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def pg_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        count = conn.execute("SELECT count(*) FROM contacts").fetchone()
    return f"{row[0] if row else '?'} ({count[0] if count else '?'} contacts at the end)"


def ok(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return "yes" if value < target else "**no**"


def markdown(res: dict[str, Any]) -> str:
    n, load, bulk = res["contacts"], res["load_single"], res["load_bulk"]
    lines = [
        f"Contacts API, N={n:,}, {res['server']['workers']} {res['server']['kind']} workers, "
        f"{res['machine']['cpus']} CPUs ({res['machine']['cpu']}), PostgreSQL "
        f"{res['postgres']}, autovacuum {res.get('autovacuum', '?')} (ANALYZE run after "
        f"loading), {res['date']}",
        "",
        "| load | contacts | clients | seconds | contacts/s | target | met |",
        "|---|---:|---:|---:|---:|---|---|",
        f"| POST /contacts | {load['contacts']:,} | {load['clients']} | {load['seconds']} | "
        f"{load['contacts_per_s']} | < {LOAD_TARGET_S:.0f} s for 10,000 | "
        f"{ok(load['seconds'] * 10_000 / n, LOAD_TARGET_S)} |",
        f"| POST /contacts/bulk ({bulk['batch_size']}/batch) | {bulk['contacts']:,} | 1 | "
        f"{bulk['seconds']} | {bulk['contacts_per_s']} | | |",
        "",
        f"Latency in ms with {res['rows_at_latency']:,} contacts in the database "
        f"(seq = one client; conc = {res['clients']} concurrent clients).",
        "",
        "| request | seq median | seq p95 | seq n | conc median | conc p95 | conc n | "
        "conc req/s | SQL/request | bytes | target (seq median) | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for kind, seq in res["sequential"].items():
        conc = res["concurrent"][kind]
        target = TARGETS_MS.get(kind)
        q = res["queries"].get(kind, {})
        lines.append(
            f"| {kind} | {seq['median_ms']:.2f} | {seq['p95_ms']:.2f} | {seq['count']} | "
            f"{conc['median_ms']:.2f} | {conc['p95_ms']:.2f} | {conc['count']} | "
            f"{conc['throughput_rps']:.0f} | {q.get('queries', '?')} | "
            f"{seq['response_bytes_mean']:,} | {f'< {target:g} ms' if target else ''} | "
            f"{ok(seq['median_ms'], target)} |")
    if "bulk_100" in res["queries"]:
        b = res["queries"]["bulk_100"]
        lines += ["", f"POST /contacts/bulk with 100 items: {b['queries']} SQL statements. "
                  f"409 conflicts retried while loading: {load['retried_409']}."]
    return "\n".join(lines)


# ---------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contacts", type=int, default=10_000, help="N (loaded twice: API, bulk)")
    ap.add_argument("--database-url",
                    default="postgresql://postgres@127.0.0.1:5432/amity_bench",
                    help="DROPPED and recreated")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=300, help="per request kind and mode")
    ap.add_argument("--bulk-batch", type=int, default=1000)
    ap.add_argument("--server", choices=["gunicorn", "uvicorn"], default="gunicorn")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    url = args.database_url
    if not url.startswith("postgresql"):
        raise SystemExit("this benchmark needs a PostgreSQL URL")

    print(f"preparing {url.rsplit('/', 1)[-1]} ...", flush=True)
    token = prepare_database(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(url, args.workers, port, args.server)
    res: dict[str, Any] = {
        "contacts": args.contacts, "clients": args.clients,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
        "server": {"kind": args.server, "workers": args.workers}}
    try:
        wait_ready(base, proc)
        gen = ContactGenerator(args.seed)
        payloads = gen.batch(args.contacts)
        print(f"loading {args.contacts:,} contacts via POST /contacts, {args.clients} "
              "clients ...", flush=True)
        load = load_single(base, token, payloads, args.clients)
        ids = load.pop("ids")
        res["load_single"] = load
        print(f"  {load['seconds']} s, {load['contacts_per_s']} contacts/s", flush=True)
        print(f"loading {args.contacts:,} more via POST /contacts/bulk ...", flush=True)
        res["load_bulk"] = load_bulk(base, token, gen.batch(args.contacts), args.bulk_batch)
        print(f"  {res['load_bulk']['seconds']} s", flush=True)
        res["rows_at_latency"] = 2 * args.contacts
        # Production runs autovacuum, which would have analyzed the new rows by now; this
        # machine's PostgreSQL has it switched off, and without statistics the planner
        # guesses badly (e.g. "deleted_at IS NULL" matches 7 rows).
        res["autovacuum"] = analyze(url)
        requests = make_requests(ids)
        res["sequential"], res["concurrent"] = {}, {}
        for i, (kind, fn) in enumerate(requests.items()):
            print(f"latency: {kind} ...", flush=True)
            res["sequential"][kind] = run_kind(base, token, fn, args.requests, 1,
                                               seed=10 + i)
            res["concurrent"][kind] = run_kind(base, token, fn, args.requests, args.clients,
                                               seed=100 + i)
    finally:
        stop_server(proc)
    print("counting SQL statements per request (in-process) ...", flush=True)
    res["queries"] = count_queries(url, token, ids)
    res["postgres"] = pg_version(url)

    out = HERE / "results" / f"contacts_api-{args.contacts}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    print()
    print(markdown(res))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
