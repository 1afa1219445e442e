"""Benchmark web-event ingestion through the real server (gunicorn + uvicorn workers, PG).

    python bench/events.py --database-url postgresql://postgres@127.0.0.1:5432/amity_bench \
        --events 100000 --clients 8 --workers 2

Drops and recreates the database, migrates it, starts the server on a free loopback port,
creates a site through the API, then posts batches of 100 events (page views of 5,000
visitors, some of whom identify with a form submit) with N concurrent keep-alive clients, and
reports events per second and the batch latency. Checks that every event was stored.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from contacts_api import (
    API,
    free_port,
    pct,
    prepare_database,
    start_server,
    stop_server,
    wait_ready,
)

TARGET_EVENTS_S = 2000.0
BATCH = 100


def batches(n_events: int, seed: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for b in range(n_events // BATCH):
        events = []
        for i in range(BATCH):
            visitor = f"bench-visitor-{rnd.randrange(5000):05d}"
            ev: dict[str, Any] = {"type": "page_view", "visitor_id": visitor,
                                  "url": f"https://shop.example.com/p/{rnd.randrange(2000)}",
                                  "title": "A product page",
                                  "referrer": "https://search.example/?q=shoes"}
            if rnd.random() < 0.01:
                ev.update(type="form_submit", email=f"nobody-{b}-{i}@example.com")
            events.append(ev)
        out.append({"events": events})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--server", choices=("gunicorn", "uvicorn"), default="gunicorn")
    args = ap.parse_args()

    token = prepare_database(args.database_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(args.database_url, args.workers, port, args.server)
    try:
        wait_ready(base, proc)
        admin = {"Authorization": f"Bearer {token}"}
        site = httpx.post(f"{base}{API}/sites", headers=admin, timeout=30,
                          json={"name": "Bench", "rate_limit_per_minute": 1_000_000}).json()
        key = site["public_key"]
        work = batches(args.events, seed=7)
        warm = batches(20 * BATCH, seed=8)
        lat: list[float] = []
        lock = threading.Lock()
        local = threading.local()

        def post(body: dict[str, Any]) -> None:
            c = getattr(local, "c", None)
            if c is None:
                c = local.c = httpx.Client(base_url=base, timeout=60,
                                           headers={"X-Amity-Key": key})
            t0 = time.perf_counter()
            r = c.post(f"{API}/events", json=body)
            dt = time.perf_counter() - t0
            if r.status_code != 202 or r.json()["accepted"] != BATCH:
                raise SystemExit(f"batch refused: {r.status_code} {r.text[:200]}")
            with lock:
                lat.append(dt)

        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(post, warm))
            lat.clear()
            t0 = time.perf_counter()
            list(pool.map(post, work))
            wall = time.perf_counter() - t0
        stored = count_events(args.database_url)
        expected = len(work) * BATCH + len(warm) * BATCH
        rate = len(work) * BATCH / wall
        print("| events | clients | workers | wall s | events/s | batch median ms | "
              "p95 ms | p99 ms | stored |")
        print("|---|---|---|---|---|---|---|---|---|")
        print(f"| {len(work) * BATCH:,} | {args.clients} | {args.workers} | {wall:.1f} | "
              f"{rate:,.0f} | {statistics.median(lat) * 1000:.1f} | "
              f"{pct(lat, 95) * 1000:.1f} | {pct(lat, 99) * 1000:.1f} | "
              f"{stored:,}/{expected:,} |")
        if stored != expected:
            raise SystemExit("events were lost")
        print("target > 2,000 events/s:", "met" if rate > TARGET_EVENTS_S else "NOT met")
    finally:
        stop_server(proc)


def count_events(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM web_events").fetchone()
    return int(row[0]) if row else 0


if __name__ == "__main__":
    main()
