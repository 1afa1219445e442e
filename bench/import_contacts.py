"""Benchmark importing a CSV of N contacts on PostgreSQL (the job's code path, in-process).

    python bench/import_contacts.py --rows 1000000 --existing 10000 \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_import

Drops and recreates the database, migrates it, writes a CSV of N contacts (names in mixed
case, emails, US phone numbers in local formats, companies, cities, countries, birthdays,
tags; 1% of rows with a bad email). With ``--existing E`` it first imports E contacts whose
emails reappear in the big file (every (N / E)-th row), so duplicate matching against
existing records has real work. Then it uploads and maps the file with the suggested mapping
and runs the import exactly as the ``dataio.import`` job does (``--bulk``: on, off or auto by
size). Reports rows per second (also every ``--progress`` rows, with the load average) and
the peak resident memory of the importing process and of the largest worker process that
cleaned rows (neither must grow with N: the file is streamed). Checks the counts. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from contacts_api import prepare_database, proc_cpu

FIRST = ["ada", "GRACE", "Alan", "barbara", "Edsger", "MARGARET", "Donald", "frances",
         "Ken", "Radia", "Zoë", "José", "Anne-Marie", "Seán"]
LAST = ["LOVELACE", "hopper", "Turing", "Liskov", "van der Berg", "McDonald", "O'BRIEN",
        "Knuth", "Allen", "Thompson", "Müller", "García", "de la Cruz", "Perlman"]
AREAS = [212, 415, 312, 617, 206, 303, 512, 404]
CITIES = [("London", "United Kingdom"), ("Paris", "France"), ("Berlin", "Germany"),
          ("Austin", "USA"), ("Madrid", "Spain"), ("Toronto", "Canada")]


def write_csv(path: Path, n: int, seed: int = 7, every: int = 1) -> int:
    """N rows (row i the i-th person, or the (i * every)-th with ``every``); the number of
    rows with a bad email."""
    rnd = random.Random(seed)
    bad = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["First Name", "Last Name", "E-mail Address", "Mobile Phone", "Company",
                    "Job Title", "City", "Country", "Birthday", "Tags"])
        for i in (k * every for k in range(n)):
            city, country = rnd.choice(CITIES)
            email = f"person{i}@example{i % 500}.com"
            if i % 100 == 99:
                email, bad = "not an email", bad + 1
            # phone numbers are unique (contacts are matched by phone too): the exchange
            # and line number come from i
            w.writerow([rnd.choice(FIRST), rnd.choice(LAST), email,
                        f"({rnd.choice(AREAS)}) {200 + i // 10000 % 800}-{i % 10000:04d}",
                        f"Company {i % 2000}", rnd.choice(["CEO", "Engineer", "Buyer"]),
                        city, country, f"{rnd.randint(1, 12)}/{rnd.randint(1, 28)}/19"
                        f"{rnd.randint(50, 99)}", "bench; imported"])
    return bad


def _server_cpu(database: Any) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend serving this database (read from
    /proc: the server runs on this machine)."""
    from sqlalchemy import text

    with database.transaction(write=False) as s:
        pids = s.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = "
                              "current_database()")).all()
    out = {}
    for pid in pids:
        try:
            out[pid] = proc_cpu(pid)[1]
        except OSError:
            continue
    return out


def _import(database: Any, store: Any, src: Path, bulk: bool | None, batch: int,
            progress: int = 0) -> tuple[float, Any]:
    from sqlalchemy import select

    from amity.auth.models import User
    from amity.dataio import service
    from amity.dataio.models import DataImport

    with database.transaction() as s, src.open("rb") as f:
        user = s.scalars(select(User)).one()
        imp = service.create_import(s, entity="contacts", filename=src.name, stream=f,
                                    store=store, actor=user)
        service.set_mapping(s, imp=imp, mapping=dict(imp.mapping), options={"bulk": bulk},
                            actor=user)
        service.start(s, imp=imp, actor=user, enqueue=None)
        imp_id = imp.id
    started = time.perf_counter()
    with database.session() as s:
        running = s.get(DataImport, imp_id)
        assert running is not None
        shown = [0]

        def commit() -> None:
            s.commit()
            assert running is not None
            if progress and running.position - shown[0] >= progress:
                shown[0] = running.position
                took = time.perf_counter() - started
                print(f"  {running.position:,} rows in {took:.1f} s ({running.position / took:,.0f}"
                      f" rows/s), load average {os.getloadavg()[0]:.1f}", flush=True)

        done = service.run(s, imp=running, store=store, default_region="US",
                           batch_size=batch, commit=commit)
        s.commit()
        elapsed = time.perf_counter() - started
        counts = (done.created_count, done.updated_count, done.skipped_count,
                  done.error_count, done.status)
    return elapsed, counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--existing", type=int, default=0,
                    help="contacts imported first whose emails reappear in the file")
    ap.add_argument("--batch", type=int, default=500, help="rows per batch of the row path")
    ap.add_argument("--bulk", choices=["on", "off", "auto"], default="auto")
    ap.add_argument("--workers", type=int, default=None,
                    help="processes that clean rows (0: in the importing process; default: "
                    "amity.dataio.prepare.WORKERS)")
    ap.add_argument("--progress", type=int, default=50_000,
                    help="print the rate every this many rows (0: never)")
    args = ap.parse_args()
    bulk = {"on": True, "off": False, "auto": None}[args.bulk]
    from amity.dataio import prepare

    if args.workers is not None:
        prepare.WORKERS = args.workers

    from sqlalchemy import func, select

    from amity.config import Settings
    from amity.contacts.models import Contact
    from amity.core.db import Database, make_engine
    from amity.jobs.dataio import import_store

    prepare_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="amity-import-bench-"))
    settings = Settings(database_url=args.database_url, import_dir=work / "imports",
                        import_batch_size=args.batch, import_max_bytes=2**31)
    database = Database(make_engine(args.database_url, pool_size=2, max_overflow=0))
    store = import_store(settings)
    seeded_bad = 0
    if args.existing:
        seed = work / "existing.csv"
        seeded_bad = write_csv(seed, args.existing, seed=11, every=args.rows // args.existing)
        t, seeded = _import(database, store, seed, True, args.batch)
        seed.unlink()
        print(f"existing: {seeded[0]:,} contacts imported first ({t:.1f} s)")
    src = work / "contacts.csv"
    t0 = time.perf_counter()
    bad = write_csv(src, args.rows)
    print(f"file: {args.rows:,} rows, {src.stat().st_size / 1e6:.1f} MB, written in "
          f"{time.perf_counter() - t0:.1f} s")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    load_before = os.getloadavg()
    server_before = _server_cpu(database)
    elapsed, counts = _import(database, store, src, bulk, args.batch, args.progress)
    server_after = _server_cpu(database)
    server = sum(v - server_before.get(pid, 0.0) for pid, v in server_after.items())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    with database.transaction(write=False) as s:
        stored = s.scalar(select(func.count()).select_from(Contact))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    database.dispose()
    print(f"bulk: {args.bulk}  row-path batch: {args.batch}  cleaning workers: "
          f"{prepare.WORKERS} (from {prepare.POOL_FROM:,} rows)")
    print(f"created {counts[0]:,}, updated {counts[1]:,}, skipped {counts[2]:,}, errors "
          f"{counts[3]:,} (expected {bad:,}), status {counts[4]}; contacts stored: {stored:,}")
    print(f"time: {elapsed:.1f} s  ->  {args.rows / elapsed:,.0f} rows/s; this process's CPU "
          f"time {cpu:.1f} s ({args.rows / cpu:,.0f} rows per CPU second; the database "
          "server's CPU is not included)")
    print(f"database server CPU time (its backends for this database): {server:.1f} s "
          f"({server / args.rows * 1e6:.0f} us per row)")
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"peak RSS: {peak / 1024:.0f} MB (before the run: {rss_before / 1024:.0f} MB); "
          f"largest cleaning worker process: {workers.ru_maxrss / 1024:.0f} MB, their CPU "
          f"time {workers.ru_utime + workers.ru_stime:.1f} s")
    print("load average before / after: " + " ".join(f"{x:.1f}" for x in load_before)
          + " / " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    matched = args.existing - seeded_bad
    if counts[3] != bad or counts[4] != "done" or (
            args.existing and counts[1] + counts[2] < matched - bad):
        sys.exit("unexpected result")


if __name__ == "__main__":
    main()
