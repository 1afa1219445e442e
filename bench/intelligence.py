"""Scoring a million customers: lifetime value (BG/NBD + Gamma-Gamma) and churn risk.

    python bench/intelligence.py --customers 1000000 [--write sqlite|postgresql://...]

Builds a synthetic history in memory with a fixed seed (customers who buy at their own rate
until they stop, ~5 orders each on average, plus interactions, tickets and survey answers),
then times what the daily job does after reading it: fit BG/NBD and Gamma-Gamma (with the
hold-out check), fit churn (train, hold-out evaluation, refit), score CLV over 3/6/12 months
and churn risk with reasons for everyone. With ``--write`` it also times the bulk upsert of
every prediction row into a migrated database (SQLite file or a PostgreSQL URL whose
database is dropped and recreated), after inserting the contacts (not timed). Prints each
phase's seconds and the peak resident memory of the process (getrusage). See bench/README.md.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
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


def write(target: str, h: History, values: dict[str, Any], risk: Any, reasons: list[Any],
          results: dict[str, float]) -> None:
    from sqlalchemy import insert

    from amity.contacts.models import Contact
    from amity.core.db import Database, make_engine
    from amity.db import upgrade
    from amity.intelligence import service

    if target == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    else:
        sys.path.insert(0, str(Path(__file__).parent))
        from contacts_api import recreate_database

        recreate_database(target)
        url = target
    upgrade(url)
    database = Database(make_engine(url))
    ids = [uuid.uuid4() for _ in range(h.size)]
    t = time.perf_counter()
    with database.transaction() as s:
        for i in range(0, len(ids), 20_000):
            s.execute(insert(Contact), [{"id": c, "first_name": "B", "last_name": str(j)}
                                        for j, c in enumerate(ids[i:i + 20_000], start=i)])
    print(f"{'(setup) insert contacts':<32} {time.perf_counter() - t:8.1f} s", flush=True)
    at = datetime.now(UTC)

    def rows() -> list[dict[str, Any]]:
        out = []
        for i, cid in enumerate(ids):
            r: dict[str, Any] = {"contact_id": cid, "computed_at": at, "currency": "USD",
                                 "clv_model": "clv-1", "churn_model": "churn-1",
                                 "churn_risk": None if np.isnan(risk[i]) else float(risk[i]),
                                 "at_risk": bool(risk[i] >= 0.5),
                                 "churn_reasons": reasons[i]}
            r.update({k: (None if np.isnan(v[i]) else float(v[i])) for k, v in values.items()})
            out.append(r)
        return out

    built = timed("build rows", rows, results)

    def upsert() -> None:
        with database.transaction() as s:
            service.write_predictions(s, built, columns=service.CHURN_COLUMNS
                                      + service.CLV_COLUMNS)

    timed(f"upsert predictions ({database.dialect})", upsert, results)
    database.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--write", default="", help="sqlite, or a PostgreSQL URL (recreated)")
    args = ap.parse_args()
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
    values = timed("score CLV", lambda: pipeline.score_clv(h, DAYS, bg, gg, opts), results)
    cfit, model = timed("fit churn (+ hold-out)", lambda: pipeline.fit_churn(h, DAYS, opts),
                        results)
    print(f"  {cfit.status}: hold-out ROC AUC "
          f"{cfit.diagnostics.get('holdout', {}).get('roc_auc')}", flush=True)
    risk, reasons = timed("score churn + reasons", lambda: pipeline.score_churn(h, DAYS, model),
                          results)
    compute = sum(results.values())
    print(f"{'fit + score total':<32} {compute:8.1f} s wall {sum(CPU.values()):8.1f} s CPU   "
          f"peak RSS {peak_mb():7.0f} MB")
    if args.write:
        write(args.write, h, values, risk, reasons, results)
        print(f"{'total with the write':<32} {sum(results.values()):8.1f} s wall "
              f"{sum(CPU.values()):8.1f} s CPU   peak RSS {peak_mb():7.0f} MB")


if __name__ == "__main__":
    main()
