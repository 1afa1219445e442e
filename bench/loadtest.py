"""Mixed load at rising concurrency: throughput at saturation, median and p95 per request type.

    python bench/loadtest.py --database-url postgresql://postgres@127.0.0.1:5432/amity_load \
        --contacts 100000 --interactions-per-contact 10 --levels 4,8,16,32 --seconds 20

Drops and recreates the database, seeds it (``amity bench seed``: contacts with interactions,
deals, orders, tickets), starts gunicorn with `--workers` uvicorn workers (default 2) and drives
it with an asyncio client (httpx, keep-alive connections) mixing the real workload:

    30% contact list pages (first page, then following next_cursor), 25% contact 360 views,
    15% search (four letters from inside a last name), 10% web-event batches (10 events, the
    tracking endpoint), 10% single contacts, 5% contact creates, 5% deal moves

Each level runs ``--seconds`` with that many concurrent clients, each sending its next request
as soon as the previous one is answered (closed loop). Throughput rises with concurrency until
the server's CPUs are busy; the highest level's figures past that point are the saturation
throughput. Failed requests are counted per type, never hidden. ``--reuse`` keeps an already
seeded database. The client shares the machine's cores with the server and PostgreSQL.
``run_levels`` is what bench/results.py calls.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))

import contacts_api as ca
from datagen import ContactGenerator

MIX = (("list", 30), ("view_360", 25), ("search", 15), ("events", 10), ("get_one", 10),
       ("create", 5), ("deal_move", 5))
OUT = Path(__file__).parent / "results"


def seed_database(url: str, contacts: int, interactions: float) -> dict[str, Any]:
    """Recreate, migrate and seed the database with ``amity bench seed``; returns its report."""
    ca.recreate_database(url)
    t0 = time.perf_counter()
    env = {**os.environ, "AMITY_DATABASE_URL": url}
    done = subprocess.run([str(Path(sys.executable).parent / "amity"), "bench", "seed",
                           "--contacts", str(contacts), "--interactions-per-contact",
                           str(interactions)], env=env, cwd="/tmp", capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"seeding failed:\n{done.stdout}\n{done.stderr}")
    return {"seconds": round(time.perf_counter() - t0, 1), "output": done.stdout.strip(),
            "load_after": os.getloadavg()[0]}


def fixtures(url: str) -> dict[str, Any]:
    """What the clients pick from: contacts, open deals and their pipeline's open stages, an
    admin token and a tracking site's public key."""
    import psycopg

    token = _admin_token(url)
    with psycopg.connect(url) as conn:
        ids = [str(r[0]) for r in conn.execute(
            "SELECT id FROM contacts ORDER BY random() LIMIT 5000")]
        deals = [str(r[0]) for r in conn.execute(
            "SELECT id FROM deals WHERE status = 'open' ORDER BY random() LIMIT 2000")]
        stages = [str(r[0]) for r in conn.execute(
            "SELECT s.id FROM stages s JOIN pipelines p ON p.id = s.pipeline_id "
            "WHERE p.is_default AND s.kind = 'open' AND s.archived_at IS NULL")]
    return {"token": token, "ids": ids, "deals": deals, "stages": stages}


def _admin_token(url: str) -> str:
    from amity.auth.service import create_api_token, create_user
    from amity.core.db import Database, make_engine

    database = Database(make_engine(url, pool_size=1, max_overflow=0))
    try:
        with database.transaction() as s:
            user = create_user(s, email=f"load-{time.time_ns()}@example.com", name="Load",
                               is_admin=True, password="long password here")
            _, token = create_api_token(s, user=user, name="load test")
    finally:
        database.dispose()
    return token


def site_key(base: str, token: str) -> str:
    r = httpx.post(f"{base}{ca.API}/sites", headers={"Authorization": f"Bearer {token}"},
                   json={"name": f"Load {time.time_ns()}", "rate_limit_per_minute": 1_000_000},
                   timeout=60)
    r.raise_for_status()
    return str(r.json()["public_key"])


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with contextlib.suppress(OSError):
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
    return out


def cpu_snapshot(server_pids: list[int]) -> dict[str, Any]:
    """CPU seconds used so far by this load client, and by each of Amity's processes
    (``server_pids`` and their children: the gunicorn master and its workers, a job worker)
    and of the PostgreSQL processes on the machine, by process id."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    app: dict[int, float] = {}
    for top in server_pids:
        for pid in _descendants(top):
            with contextlib.suppress(OSError):
                app[pid] = ca.proc_cpu(pid)[1]
    postgres: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                name, cpu = ca.proc_cpu(int(entry.name))
            except (OSError, ValueError):
                continue
            if name == "postgres":
                postgres[int(entry.name)] = cpu
    return {"client": ru.ru_utime + ru.ru_stime, "app": app, "postgres": postgres}


def cpu_used(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """CPU seconds spent between two snapshots. A process that started in between counts
    whole; one that ended in between is missed (its time cannot be read any more)."""
    out = {"client": after["client"] - before["client"]}
    for key in ("app", "postgres"):
        out[key] = sum(cpu - before[key].get(pid, 0.0) for pid, cpu in after[key].items())
    return out


Call = Callable[[httpx.AsyncClient, "State"], Awaitable[httpx.Response]]


class State:
    """One client's cursor, random stream and counters."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.gen = ContactGenerator(seed)
        self.gen.counter = 70_000_000 + 1_000_000 * seed  # emails nobody else makes
        self.cursor: str | None = None
        self.pages = 0


def calls(fx: dict[str, Any], tracker: httpx.AsyncClient) -> dict[str, Call]:
    ids, deals, stages = fx["ids"], fx["deals"], fx["stages"]

    async def list_page(c: httpx.AsyncClient, st: State) -> httpx.Response:
        params: dict[str, Any] = {"limit": 50}
        if st.cursor and st.pages < 20:
            params["cursor"] = st.cursor
        else:
            st.pages = 0
        r = await c.get("/contacts", params=params)
        if r.status_code == 200:
            st.cursor, st.pages = r.json().get("next_cursor"), st.pages + 1
        return r

    async def view_360(c: httpx.AsyncClient, st: State) -> httpx.Response:
        return await c.get(f"/contacts/{st.rng.choice(ids)}/360")

    async def search(c: httpx.AsyncClient, st: State) -> httpx.Response:
        return await c.get("/contacts", params={"q": st.gen.substring_query(), "limit": 20})

    async def get_one(c: httpx.AsyncClient, st: State) -> httpx.Response:
        return await c.get(f"/contacts/{st.rng.choice(ids)}")

    async def create(c: httpx.AsyncClient, st: State) -> httpx.Response:
        return await c.post("/contacts", json=st.gen.contact())

    async def deal_move(c: httpx.AsyncClient, st: State) -> httpx.Response:
        return await c.post(f"/deals/{st.rng.choice(deals)}/move",
                            json={"stage_id": st.rng.choice(stages)})

    async def events(c: httpx.AsyncClient, st: State) -> httpx.Response:
        visitor = f"load-visitor-{st.rng.randrange(20_000):05d}"
        batch = [{"type": "page_view", "visitor_id": visitor, "title": "A product page",
                  "url": f"https://shop.example.com/p/{st.rng.randrange(2000)}"}
                 for _ in range(10)]
        return await tracker.post("/events", json={"events": batch})

    return {"list": list_page, "view_360": view_360, "search": search, "events": events,
            "get_one": get_one, "create": create, "deal_move": deal_move}


EXPECTED = {"create": 201, "events": 202}


async def _level(base: str, fx: dict[str, Any], key: str, clients: int, seconds: float,
                 seed: int, server_pids: list[int] | None = None) -> dict[str, Any]:
    names = [n for n, _ in MIX]
    weights = [w for _, w in MIX]
    lat: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base + ca.API, limits=limits, timeout=60,
                                 headers={"Authorization": f"Bearer {fx['token']}"}) as c, \
            httpx.AsyncClient(base_url=base + ca.API, limits=limits, timeout=60,
                              headers={"X-Amity-Key": key}) as tracker:
        table = calls(fx, tracker)

        async def one(k: int, until: float, record: bool) -> None:
            st = State(seed * 1000 + k)
            while time.perf_counter() < until:
                kind = st.rng.choices(names, weights)[0]
                t0 = time.perf_counter()
                try:
                    r = await table[kind](c, st)
                    why = "" if r.status_code == EXPECTED.get(kind, 200) else \
                        f"{r.status_code} {r.text[:100]}"
                except httpx.HTTPError as exc:
                    why = f"{type(exc).__name__}: {exc}"[:120]
                if not record:
                    continue
                if why:
                    errors[kind].append(why)
                else:
                    lat[kind].append(time.perf_counter() - t0)

        warm = time.perf_counter() + 2
        await asyncio.gather(*(one(k, warm, False) for k in range(clients)))
        cpu0 = cpu_snapshot(server_pids or [])
        t0 = time.perf_counter()
        await asyncio.gather(*(one(k, t0 + seconds, True) for k in range(clients)))
        wall = time.perf_counter() - t0
        cpu1 = cpu_snapshot(server_pids or [])
    every = [x for v in lat.values() for x in v]
    done = len(every) + sum(len(v) for v in errors.values())
    # CPU per request by who spent it (the client shares the machine): what a request costs,
    # and whether the cores were the limit (busy = all CPU used / (cores x wall))
    used = cpu_used(cpu0, cpu1)
    cpu = {k: round(v / max(done, 1) * 1000, 2) for k, v in used.items()}
    cpu["busy"] = round(sum(used.values()) / ((os.cpu_count() or 1) * wall), 2)
    return {"clients": clients, "seconds": round(wall, 1),
            "throughput_rps": round(len(every) / wall, 1),
            "median_ms": round(ca.pct(every, 50) * 1000, 2) if every else None,
            "p95_ms": round(ca.pct(every, 95) * 1000, 2) if every else None,
            "errors": sum(len(v) for v in errors.values()),
            "error_examples": sorted({e for v in errors.values() for e in v[:2]})[:4],
            "by_type": {k: {"count": len(v), "median_ms": round(ca.pct(v, 50) * 1000, 2),
                            "p95_ms": round(ca.pct(v, 95) * 1000, 2),
                            "errors": len(errors.get(k, []))} for k, v in sorted(lat.items())},
            "cpu_ms_per_request": cpu,
            "load_average": round(os.getloadavg()[0], 1)}


def run_levels(base: str, fx: dict[str, Any], levels: list[int], seconds: float,
               server_pids: list[int] | None = None) -> dict[str, Any]:
    """Every level in turn; ``saturation`` is the level with the highest throughput.
    ``server_pids``: Amity's processes, whose CPU time is measured per level."""
    key = site_key(base, fx["token"])
    out = []
    for i, clients in enumerate(levels):
        print(f"load: {clients} clients for {seconds:g} s ...", flush=True)
        res = asyncio.run(_level(base, fx, key, clients, seconds, seed=100 + i,
                                 server_pids=server_pids))
        print(f"  {res['throughput_rps']} req/s, median {res['median_ms']} ms, p95 "
              f"{res['p95_ms']} ms, {res['errors']} errors, load {res['load_average']}",
              flush=True)
        out.append(res)
    best = max(out, key=lambda r: r["throughput_rps"])
    return {"mix": dict(MIX), "levels": out, "saturation": best}


def markdown(res: dict[str, Any]) -> str:
    lines = ["| clients | requests/s | median ms | p95 ms | errors | load average | CPU ms per "
             "request: app / PostgreSQL / load client | cores busy |",
             "|---:|---:|---:|---:|---:|---:|---|---:|"]
    for lv in res["levels"]:
        c = lv.get("cpu_ms_per_request")
        split = f"{c['app']} / {c['postgres']} / {c['client']}" if c else ""
        busy = f"{c['busy']:.0%}" if c else ""
        lines.append(f"| {lv['clients']} | {lv['throughput_rps']:.0f} | {lv['median_ms']} | "
                     f"{lv['p95_ms']} | {lv['errors']} | {lv['load_average']} | {split} | "
                     f"{busy} |")
    sat = res["saturation"]
    lines += ["", f"At saturation ({sat['clients']} clients, {sat['throughput_rps']:.0f} "
              "requests/s), per request type:", "",
              "| type | share | requests | median ms | p95 ms | p95/median | errors |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for kind, s in sat["by_type"].items():
        ratio = s["p95_ms"] / s["median_ms"] if s["median_ms"] else float("nan")
        lines.append(f"| {kind} | {res['mix'][kind]}% | {s['count']} | {s['median_ms']} | "
                     f"{s['p95_ms']} | {ratio:.1f} | {s['errors']} |")
    if sat["error_examples"]:
        lines += ["", f"Failed requests, examples: {sat['error_examples']}"]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url",
                    default="postgresql://postgres@127.0.0.1:5432/amity_load",
                    help="DROPPED and recreated (unless --reuse)")
    ap.add_argument("--contacts", type=int, default=10_000)
    ap.add_argument("--interactions-per-contact", type=float, default=10.0)
    ap.add_argument("--levels", default="4,8,16,32", help="concurrent clients, in turn")
    ap.add_argument("--seconds", type=float, default=20.0, help="per level")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    res: dict[str, Any] = {"contacts": args.contacts, "machine": ca.machine(),
                           "load_before": os.getloadavg()[0]}
    if not args.reuse:
        print(f"seeding {args.contacts:,} contacts ...", flush=True)
        res["seed"] = seed_database(args.database_url, args.contacts,
                                    args.interactions_per_contact)
        print(res["seed"]["output"], flush=True)
    ca.analyze(args.database_url)
    fx = fixtures(args.database_url)
    port = ca.free_port()
    base = f"http://127.0.0.1:{port}"
    proc = ca.start_server(args.database_url, args.workers, port, "gunicorn")
    try:
        ca.wait_ready(base, proc, timeout=300)
        res["load"] = run_levels(base, fx, levels, args.seconds, server_pids=[proc.pid])
    finally:
        ca.stop_server(proc)
    OUT.mkdir(exist_ok=True)
    (OUT / f"loadtest-{args.contacts}.json").write_text(json.dumps(res, indent=2) + "\n")
    print(markdown(res["load"]))


if __name__ == "__main__":
    main()
