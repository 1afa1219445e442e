"""Benchmark the sales pipeline on PostgreSQL: Kanban board, forecast, deal moves, sales stats.

    python bench/pipeline.py --deals 100000 --order-lines 1000000 \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_pipeline

Drops and recreates the database, migrates it, makes 20 sales reps in 4 teams and an admin,
a second pipeline, exchange rates (base currency EUR), then writes companies, contacts, N deals
with their stage history, products, orders and order lines with COPY (bench/pipeline_data.py),
runs ANALYZE, starts the server (gunicorn + uvicorn workers on a free loopback port, as in
production) and measures each request kind one client at a time: median, p95, SQL statements
per request (counted in-process) and response size. ``--explain`` prints EXPLAIN ANALYZE of
the forecast and sales-stats statements. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from contacts_api import (
    analyze,
    check,
    free_port,
    machine,
    pct,
    recreate_database,
    start_server,
    stop_server,
    wait_ready,
)
from pipeline_data import RENEWAL_STAGES, PipelineData, copy

HERE = Path(__file__).parent
API = "/api/v1"
TARGETS_MS = {"board": 100.0, "board_rep": 100.0, "forecast": 100.0,
              "forecast_owner_month": 100.0, "forecast_rep": 100.0, "move": 10.0}


# ---------------------------------------------------------------- data
def prepare(url: str, seed: int) -> dict[str, Any]:
    """Migrated database with users, teams, a second pipeline and rates; returns tokens and
    the stages of both pipelines."""
    from sqlalchemy import select

    from amity.auth.models import Team
    from amity.auth.service import create_api_token, create_user
    from amity.commerce.models import ExchangeRate
    from amity.core.db import Database, make_engine
    from amity.db import upgrade
    from amity.deals.models import LostReason, Pipeline, Stage

    recreate_database(url)
    upgrade(url)
    database = Database(make_engine(url, pool_size=1, max_overflow=0))
    out: dict[str, Any] = {}
    try:
        with database.transaction() as s:
            admin = create_user(s, email="admin@bench.example", name="Admin", is_admin=True)
            reps = [create_user(s, email=f"rep{i}@bench.example", name=f"Rep {i:02d}")
                    for i in range(20)]
            for t in range(4):
                s.add(Team(name=f"Team {t}", members=reps[t * 5:(t + 1) * 5]))
            _, out["admin_token"] = create_api_token(s, user=admin, name="bench")
            _, out["rep_token"] = create_api_token(s, user=reps[0], name="bench")
            out["owners"] = [r.id for r in reps]
            renewals = Pipeline(name="Renewals", position=1)
            renewals.stages = [Stage(name=n, position=i, kind=k, probability=p,
                                     forecast_category=c)
                               for i, (n, k, p, c) in enumerate(RENEWAL_STAGES)]
            s.add(renewals)
            s.flush()
            today = datetime.now(UTC).date()
            for currency, rate in (("USD", Decimal("0.92")), ("GBP", Decimal("1.17"))):
                for months in range(0, 25):
                    s.add(ExchangeRate(currency=currency, rate=rate + Decimal(months) / 1000,
                                       valid_from=(today - timedelta(days=30 * months))))
            out["stages"] = {
                p.id: [(st.id, st.kind, st.probability) for st in p.stages]
                for p in s.scalars(select(Pipeline).order_by(Pipeline.position))}
            out["lost_reasons"] = list(s.scalars(select(LostReason.id)))
    finally:
        database.dispose()
    return out


def load(url: str, setup: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    gen = PipelineData(args.seed, datetime.now(UTC), setup["owners"], setup["stages"],
                       setup["lost_reasons"])
    timings: dict[str, Any] = {}
    with psycopg.connect(url) as conn:
        def step(name: str, fn: Callable[[], int]) -> None:
            t0 = time.perf_counter()
            n = fn()
            conn.commit()
            timings[name] = {"rows": n, "seconds": round(time.perf_counter() - t0, 2)}
            print(f"  {name}: {n:,} rows in {timings[name]['seconds']} s", flush=True)

        step("companies", lambda: copy(conn, "companies", *gen.companies_rows(args.deals // 20)))
        step("contacts", lambda: copy(conn, "contacts", *gen.contacts_rows(args.deals // 5)))
        deals, changes = gen.deals(args.deals)
        step("deals", lambda: copy(conn, "deals", gen.DEAL_COLS, deals))
        step("deal_stage_changes", lambda: copy(conn, "deal_stage_changes", gen.CHANGE_COLS,
                                                changes))
        cols, products = gen.products_rows(2000)
        step("products", lambda: copy(conn, "products", cols, products))
        orders, lines = gen.orders(args.order_lines // 5, 5, products)
        step("orders", lambda: copy(conn, "orders", gen.ORDER_COLS, orders))
        step("order_lines", lambda: copy(conn, "order_lines", gen.LINE_COLS, lines))
    timings["open_deal_ids"] = [str(d) for d in gen.open_deals[:5000]]
    return timings


# ---------------------------------------------------------------- requests
Request = Callable[[httpx.Client, dict[str, Any]], httpx.Response]


def make_requests(ctx: dict[str, Any]) -> dict[str, tuple[str, Request]]:
    """name -> (token kind, request); ``ctx`` carries ids and per-kind state."""
    today = datetime.now(UTC).date()
    year_ago = (today - timedelta(days=365)).isoformat()
    month_ago = (today - timedelta(days=30)).isoformat()
    in_a_year = (today + timedelta(days=365)).isoformat()

    def get(path: str, **params: Any) -> Request:
        return lambda c, st: check(c.get(f"{API}{path}", params=params), 200)

    kinds: dict[str, tuple[str, Request]] = {
        "forecast": ("admin", get("/forecast", period="quarter")),
        "forecast_owner_month": ("admin", get("/forecast", period="month", group_by="owner",
                                              **{"from": month_ago, "to": in_a_year})),
        "forecast_rep": ("rep", get("/forecast", period="quarter")),
        "sales_stats": ("admin", get("/sales-stats", **{"from": year_ago,
                                                        "to": today.isoformat()})),
        "sales_stats_owner": ("admin", get("/sales-stats", group_by="owner",
                                           **{"from": year_ago, "to": today.isoformat()})),
    }
    kinds.update(board_and_move(ctx))
    return kinds


def board_and_move(ctx: dict[str, Any]) -> dict[str, tuple[str, Request]]:
    """The Kanban board of the larger pipeline, and moves of open deals between its open
    stages (a drag to near the top of another column; no deal is won or lost, so repeated
    runs measure the same data)."""
    import psycopg

    with psycopg.connect(ctx["url"]) as conn:
        pipeline = conn.execute("SELECT id FROM pipelines WHERE is_default").fetchone()[0]
        stages = [r[0] for r in conn.execute(
            "SELECT id FROM stages WHERE pipeline_id = %s AND kind = 'open' "
            "AND archived_at IS NULL ORDER BY position", (pipeline,))]
        deals = [(r[0], r[1]) for r in conn.execute(
            "SELECT id, stage_id FROM deals WHERE pipeline_id = %s AND status = 'open' "
            "AND deleted_at IS NULL ORDER BY md5(id::text) LIMIT 5000", (pipeline,))]
    rng = random.Random(5)
    where = dict(deals)

    def move(c: httpx.Client, st: dict[str, Any]) -> httpx.Response:
        i = st["i"] = st.get("i", -1) + 1
        deal = deals[i % len(deals)][0]
        target = rng.choice([s for s in stages if s != where[deal]])
        r = check(c.post(f"{API}/deals/{deal}/move", json={
            "stage_id": str(target), "position": rng.randint(0, 10)}), 200)
        where[deal] = target
        return r

    return {"board": ("admin", lambda c, st: check(c.get(f"{API}/pipelines/{pipeline}/board"),
                                                   200)),
            "board_rep": ("rep", lambda c, st: check(
                c.get(f"{API}/pipelines/{pipeline}/board"), 200)),
            "move": ("admin", move)}


def run_kind(base: str, token: str, fn: Request, n: int, warmup: int) -> dict[str, Any]:
    lat: list[float] = []
    sizes: list[int] = []
    st: dict[str, Any] = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=120) as c:
        for _ in range(warmup):
            fn(c, st)
        for _ in range(n):
            t0 = time.perf_counter()
            r = fn(c, st)
            lat.append((time.perf_counter() - t0) * 1000)
            sizes.append(len(r.content))
    return {"median_ms": round(statistics.median(lat), 2), "p95_ms": round(pct(lat, 95), 2),
            "count": n, "bytes": round(statistics.mean(sizes))}


# ---------------------------------------------------------------- in-process: SQL, EXPLAIN
def in_process(url: str, setup: dict[str, Any], kinds: dict[str, tuple[str, Request]],
               explain: bool) -> dict[str, Any]:
    """One request of each kind through the ASGI app in-process: its SQL statements (count,
    and with ``explain`` the plan of each one taking over 5 ms)."""
    import warnings

    import psycopg
    from sqlalchemy import event

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from amity.app import create_app
    from amity.config import Settings
    from amity.core.db import Database, make_engine

    settings = Settings(database_url=url, environment="test", base_currency="EUR",
                        _env_file=None)  # type: ignore[call-arg]
    database = Database(make_engine(url, pool_size=2, max_overflow=0))
    statements: list[tuple[str, Any]] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        statements.append((statement, params))

    out: dict[str, Any] = {}
    with TestClient(create_app(settings, database)) as tc:
        for kind, (who, fn) in kinds.items():
            tc.headers["Authorization"] = f"Bearer {setup[f'{who}_token']}"
            st: dict[str, Any] = {}
            fn(tc, st)  # type: ignore[arg-type]
            statements.clear()
            fn(tc, st)  # type: ignore[arg-type]
            out[kind] = {"queries": len(statements)}
            if not explain:
                continue
            with psycopg.connect(url) as conn:
                for statement, params in statements:
                    t0 = time.perf_counter()
                    conn.execute(statement, params)
                    if (time.perf_counter() - t0) * 1000 < 5 or not statement.lstrip().upper() \
                            .startswith("SELECT"):
                        continue
                    plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                    print(f"\n---- {kind}: {' '.join(statement.split())[:200]} ...")
                    print("\n".join(row[0] for row in plan))
                conn.rollback()
    database.dispose()
    return out


# ---------------------------------------------------------------- report
def markdown(res: dict[str, Any]) -> str:
    lines = [f"Pipeline, {res['deals']:,} deals, {res['order_lines']:,} order lines, "
             f"{res['server']['workers']} {res['server']['kind']} workers, "
             f"{res['machine']['cpus']} CPUs ({res['machine']['cpu']}), {res['date']}", "",
             "| load | rows | seconds |", "|---|---:|---:|"]
    for name, t in res["load"].items():
        if isinstance(t, dict):
            lines.append(f"| {name} | {t['rows']:,} | {t['seconds']} |")
    lines += ["", "| request | median ms | p95 ms | n | SQL/request | bytes | target (median) "
              "| met |", "|---|---:|---:|---:|---:|---:|---|---|"]
    for kind, r in res["latency"].items():
        target = TARGETS_MS.get(kind)
        met = "" if target is None else ("yes" if r["median_ms"] < target else "**no**")
        lines.append(f"| {kind} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} | {r['count']} | "
                     f"{res['queries'].get(kind, {}).get('queries', '?')} | {r['bytes']:,} | "
                     f"{f'< {target:g} ms' if target else ''} | {met} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url",
                    default="postgresql://postgres@127.0.0.1:5432/amity_bench_pipeline",
                    help="DROPPED and recreated")
    ap.add_argument("--deals", type=int, default=100_000)
    ap.add_argument("--order-lines", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=100, help="per request kind")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--server", choices=["gunicorn", "uvicorn"], default="gunicorn")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of slow SQL")
    ap.add_argument("--reuse", action="store_true",
                    help="keep the database of the previous run (its setup in bench/results)")
    args = ap.parse_args()
    url = args.database_url
    if not url.startswith("postgresql"):
        raise SystemExit("this benchmark needs a PostgreSQL URL")
    saved = HERE / "results" / "pipeline-setup.json"
    res: dict[str, Any] = {"deals": args.deals, "order_lines": args.order_lines,
                           "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                           "machine": machine(),
                           "server": {"kind": args.server, "workers": args.workers}}
    if args.reuse and saved.exists():
        setup = json.loads(saved.read_text())
        res["load"] = setup.pop("load")
    else:
        print(f"preparing {url.rsplit('/', 1)[-1]} ...", flush=True)
        setup = prepare(url, args.seed)
        print(f"loading {args.deals:,} deals and {args.order_lines:,} order lines (COPY) ...",
              flush=True)
        res["load"] = load(url, setup, args)
        res["load"]["analyze_autovacuum"] = analyze(url)
        saved.parent.mkdir(exist_ok=True)
        saved.write_text(json.dumps({"admin_token": setup["admin_token"],
                                     "rep_token": setup["rep_token"], "load": res["load"]},
                                    default=str) + "\n")
    ctx = {"open_deal_ids": res["load"].get("open_deal_ids", []), "url": url}
    kinds = make_requests(ctx)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    os.environ["AMITY_BASE_CURRENCY"] = "EUR"  # the server's environment starts from ours
    proc = start_server(url, args.workers, port, args.server)
    res["latency"] = {}
    try:
        wait_ready(base, proc)
        for kind, (who, fn) in kinds.items():
            print(f"latency: {kind} ...", flush=True)
            res["latency"][kind] = run_kind(base, setup[f"{who}_token"], fn, args.requests,
                                            args.warmup)
    finally:
        stop_server(proc)
    print("counting SQL statements per request (in-process) ...", flush=True)
    res["queries"] = in_process(url, setup, kinds, args.explain)
    res["load"].pop("open_deal_ids", None)
    out = HERE / "results" / f"pipeline-{args.deals}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2, default=str) + "\n")
    print()
    print(markdown(res))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
