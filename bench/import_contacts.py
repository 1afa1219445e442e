"""Benchmark importing a CSV of N contacts on PostgreSQL (the job's code path, in-process).

    python bench/import_contacts.py --rows 50000 \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_import

Drops and recreates the database, migrates it, writes a CSV of N contacts (names in mixed
case, emails, US phone numbers in local formats, companies, cities, countries, birthdays,
tags; 1% of rows with a bad email), uploads and maps it with the suggested mapping, then runs
the import batch by batch exactly as the ``dataio.import`` job does. Reports rows per second
and the peak resident memory (which must not grow with N: the file is streamed). Checks the
counts. See bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from contacts_api import prepare_database

FIRST = ["ada", "GRACE", "Alan", "barbara", "Edsger", "MARGARET", "Donald", "frances",
         "Ken", "Radia", "Zoë", "José", "Anne-Marie", "Seán"]
LAST = ["LOVELACE", "hopper", "Turing", "Liskov", "van der Berg", "McDonald", "O'BRIEN",
        "Knuth", "Allen", "Thompson", "Müller", "García", "de la Cruz", "Perlman"]
AREAS = [212, 415, 312, 617, 206, 303, 512, 404]
CITIES = [("London", "United Kingdom"), ("Paris", "France"), ("Berlin", "Germany"),
          ("Austin", "USA"), ("Madrid", "Spain"), ("Toronto", "Canada")]


def write_csv(path: Path, n: int, seed: int = 7) -> int:
    rnd = random.Random(seed)
    bad = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["First Name", "Last Name", "E-mail Address", "Mobile Phone", "Company",
                    "Job Title", "City", "Country", "Birthday", "Tags"])
        for i in range(n):
            city, country = rnd.choice(CITIES)
            email = f"person{i}@example{i % 500}.com"
            if i % 100 == 99:
                email, bad = "not an email", bad + 1
            w.writerow([rnd.choice(FIRST), rnd.choice(LAST), email,
                        f"({rnd.choice(AREAS)}) {rnd.randint(200, 999)}-{i % 10000:04d}",
                        f"Company {i % 2000}", rnd.choice(["CEO", "Engineer", "Buyer"]),
                        city, country, f"{rnd.randint(1, 12)}/{rnd.randint(1, 28)}/19"
                        f"{rnd.randint(50, 99)}", "bench; imported"])
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()

    from sqlalchemy import func, select

    from amity.auth.models import User
    from amity.config import Settings
    from amity.contacts.models import Contact
    from amity.core.db import Database, make_engine
    from amity.dataio import service
    from amity.dataio.models import DataImport
    from amity.jobs.dataio import import_store

    prepare_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="amity-import-bench-"))
    src = work / "contacts.csv"
    bad = write_csv(src, args.rows)
    settings = Settings(database_url=args.database_url, import_dir=work / "imports",
                        import_batch_size=args.batch, import_max_bytes=2**31)
    database = Database(make_engine(args.database_url, pool_size=2, max_overflow=0))
    store = import_store(settings)
    with database.transaction() as s, src.open("rb") as f:
        user = s.scalars(select(User)).one()
        imp = service.create_import(s, entity="contacts", filename=src.name, stream=f,
                                    store=store, actor=user)
        service.set_mapping(s, imp=imp, mapping=dict(imp.mapping), options={}, actor=user)
        service.start(s, imp=imp, actor=user, enqueue=None)
        imp_id = imp.id
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with database.session() as s:
        running = s.get(DataImport, imp_id)
        assert running is not None
        done = service.run(s, imp=running, store=store, default_region="US",
                           batch_size=args.batch, commit=s.commit)
        s.commit()
        elapsed = time.perf_counter() - started
        counts = (done.created_count, done.updated_count, done.error_count, done.status)
    with database.transaction(write=False) as s:
        stored = s.scalar(select(func.count()).select_from(Contact))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    database.dispose()
    print(f"rows: {args.rows:,}  batch: {args.batch}  file: {src.stat().st_size / 1e6:.1f} MB")
    print(f"created {counts[0]:,}, updated {counts[1]:,}, errors {counts[2]:,} "
          f"(expected {bad:,}), status {counts[3]}; contacts stored: {stored:,}")
    print(f"time: {elapsed:.1f} s  ->  {args.rows / elapsed:,.0f} rows/s")
    print(f"peak RSS: {peak / 1024:.0f} MB (before the run: {rss_before / 1024:.0f} MB)")
    if counts[2] != bad or counts[3] != "done":
        sys.exit("unexpected result")


if __name__ == "__main__":
    main()
