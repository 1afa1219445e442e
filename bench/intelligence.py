"""Scoring a million customers: lifetime value (BG/NBD + Gamma-Gamma) and churn risk.

    python bench/intelligence.py --database-url postgresql+psycopg://.../amity_bench_1m --reuse
    python bench/intelligence.py --customers 1000000          # in memory, no database

With ``--database-url`` it runs the job exactly as production does (``service.refresh``: read
the history from the database, fit both models, score everyone, write every prediction row
and the at-risk crossing events) and prints each phase's wall and CPU seconds, the peak
resident memory of the process (getrusage) and the total. ``--reuse`` takes an already
seeded database as it is (``amity bench seed``); without it the database must be empty and is
seeded first with ``--customers`` contacts. The run is rolled back at the end unless
``--commit`` is given (the database can be shared: nothing is left behind), so the write is
timed in full but not kept.

Without a database it builds a synthetic history in memory with a fixed seed (customers who
buy at their own rate until they stop, ~8 orders each on average, plus interactions, tickets
and survey answers) and times the fit and scoring only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from amity.intelligence import pipeline
from amity.intelligence.features import History

DAYS = 730.0


def synthetic(n: int, seed: int) -> History:
    rng = np.random.default_rng(seed)
    first = rng.uniform(0, DAYS * 0.8, n)
    rate = rng.gamma(0.8, 1 / 25.0, n)  # purchases per day while active
    life = rng.exponential(300.0, n)
    end = np.minimum(first + life, DAYS)
    extra = rng.poisson(rate * (end - first))
    extra = np.minimum(extra, 60)
    count = 1 + extra
    key = np.repeat(np.arange(n, dtype=np.int64), count)
    starts = np.repeat(first, count)
    spans = np.repeat(end - first, count)
    offset = rng.uniform(0, 1, key.size) * spans
    first_of = np.r_[0, np.cumsum(count)[:-1]]
    offset[first_of] = 0.0  # the first order is on the first day
    day = starts + offset
    amount = rng.gamma(4.0, np.repeat(rng.gamma(3.0, 8.0, n), count) / 4.0)
    touches = rng.poisson(3.0, n)
    tkey = np.repeat(np.arange(n, dtype=np.int64), touches)
    tday = np.repeat(first, touches) + rng.uniform(0, 1, tkey.size) * np.repeat(
        np.minimum(end + 30, DAYS) - first, touches)
    tickets = rng.poisson(0.3, n)
    kkey = np.repeat(np.arange(n, dtype=np.int64), tickets)
    kday = np.repeat(end, tickets) - rng.uniform(0, 60, kkey.size)
    answered = rng.random(kkey.size) < 0.5
    return History(keys=np.arange(n), order_key=key, order_day=day, order_amount=amount,
                   touch_key=tkey, touch_day=tday, ticket_key=kkey, ticket_day=kday,
                   survey_key=kkey[answered], survey_day=kday[answered] + 1,
                   survey_score=rng.integers(1, 6, int(answered.sum())).astype(float))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


CPU: dict[str, float] = {}


def timed(label: str, fn: Any, results: dict[str, float]) -> Any:
    """Wall time, and this process's CPU time (what the work costs on a machine not shared
    with others: here the wall time includes waiting for a core)."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    results[label] = time.perf_counter() - t
    CPU[label] = time.process_time() - c
    print(f"{label:<32} {results[label]:8.1f} s wall {CPU[label]:8.1f} s CPU   "
          f"peak RSS {peak_mb():7.0f} MB", flush=True)
    return out


def from_database(args: argparse.Namespace) -> None:
    from amity.core.db import Database, make_engine
    from amity.intelligence import service

    database = Database(make_engine(args.database_url))
    if not args.reuse:
        from amity.db import upgrade
        from amity.ops.seed import SeedPlan, seed

        upgrade(args.database_url)
        t = time.perf_counter()
        report = seed(database, SeedPlan(contacts=args.customers, orders_per_contact=1.7))
        print(f"(setup) seeded {sum(report.counts.values()):,} rows in "
              f"{time.perf_counter() - t:.0f} s", flush=True)
    with database.engine.connect() as conn:
        counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                  for t in ("contacts", "orders", "interaction_participants", "tickets")}
    print("database: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()) + " (not timed)",
          flush=True)
    started, cpu = time.perf_counter(), time.process_time()
    session = database.session()
    try:
        result = service.refresh(session, currency="USD", base=None,
                                 options=pipeline.Options())
        for phase, (wall, used) in result.timings.items():
            print(f"{phase:<12} {wall:8.1f} s wall {used:8.1f} s CPU", flush=True)
        t = time.perf_counter()
        if args.commit:
            session.commit()
        else:
            session.rollback()
        print(f"{'commit' if args.commit else 'rollback':<12} "
              f"{time.perf_counter() - t:8.1f} s wall", flush=True)
    finally:
        session.close()
        database.dispose()
    print(f"{result.clv.label}: {result.clv.status}; {result.churn.label}: "
          f"{result.churn.status}, hold-out ROC AUC "
          f"{(result.churn.diagnostics.get('holdout') or {}).get('roc_auc')}")
    print(f"scored {result.customers:,} customers; {result.crossed_up:,} crossed into the "
          f"at-risk segment, {result.crossed_down:,} out of it")
    print(f"{'total':<12} {time.perf_counter() - started:8.1f} s wall "
          f"{time.process_time() - cpu:8.1f} s CPU   peak RSS {peak_mb():7.0f} MB   "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database-url", default="",
                    help="run the production job on this database (SQLAlchemy URL)")
    ap.add_argument("--reuse", action="store_true", help="the database is already seeded")
    ap.add_argument("--commit", action="store_true", help="keep what the run wrote")
    args = ap.parse_args()
    if args.database_url:
        from_database(args)
        return
    results: dict[str, float] = {}
    t = time.perf_counter()
    h = synthetic(args.customers, args.seed)
    print(f"history: {h.size:,} customers, {h.order_key.size:,} orders, "
          f"{h.touch_key.size:,} interactions, {h.ticket_key.size:,} tickets "
          f"({time.perf_counter() - t:.1f} s, not timed)", flush=True)
    opts = pipeline.Options()
    fit, bg, gg = timed("fit CLV (+ hold-out check)", lambda: pipeline.fit_clv(h, DAYS),
                        results)
    print(f"  {fit.status}: {fit.params.get('bgnbd')}", flush=True)
    timed("score CLV", lambda: pipeline.score_clv(h, DAYS, bg, gg, opts), results)
    cfit, model = timed("fit churn (+ hold-out)", lambda: pipeline.fit_churn(h, DAYS, opts),
                        results)
    print(f"  {cfit.status}: hold-out ROC AUC "
          f"{cfit.diagnostics.get('holdout', {}).get('roc_auc')}", flush=True)
    timed("score churn + reasons", lambda: pipeline.score_churn(h, DAYS, model), results)
    compute = sum(results.values())
    print(f"{'fit + score total':<32} {compute:8.1f} s wall {sum(CPU.values()):8.1f} s CPU   "
          f"peak RSS {peak_mb():7.0f} MB")


if __name__ == "__main__":
    main()
