"""Benchmark the whole-database duplicate scan over N contacts on PostgreSQL.

    python bench/dedupe_scan.py --contacts 100000 \
        --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_dedupe

Drops and recreates the database, migrates it and writes N contacts in bulk (names from the
built-in lists of bench/datagen.py, an email, a birthday, an address with city and postcode);
one in twenty is a planted duplicate of an earlier person (a typo in the last name, the email
in another case or missing, the same birthday and postcode). Then runs ``dedupe.scan.scan``
exactly as the nightly job does and reports its time, the pairs found, how many of the planted
pairs were found, and the peak resident memory of this process. See bench/README.md.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from contacts_api import recreate_database

BATCH = 10_000


def _typo(rnd: random.Random, word: str) -> str:
    if len(word) < 4:
        return word + "e"
    i = rnd.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def people(n: int, seed: int = 11) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """N contact rows (as dicts) and the true duplicate pairs as row positions (a planted
    copy may copy a copy: every pair within a group of copies is a true pair)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from datagen import CITIES, DOMAINS, FIRST_NAMES, LAST_NAMES

    rnd = random.Random(seed)
    rows: list[dict[str, Any]] = []
    group: list[int] = []
    for i in range(n):
        if i % 20 == 19:
            j = rnd.randrange(0, i - 1)
            src = rows[j]
            dup = dict(src, id=uuid.uuid4(), last_name=_typo(rnd, src["last_name"]))
            dup["email"] = None if rnd.random() < 0.3 else (src["email"] or "").upper() or None
            rows.append(dup)
            group.append(group[j])
            continue
        group.append(i)
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        city = rnd.choice(CITIES)[0]
        rows.append({"id": uuid.uuid4(), "first_name": first, "last_name": last,
                     "email": f"{first.lower()}.{last.lower()}{i}@{rnd.choice(DOMAINS)}",
                     "birthday": date(rnd.randint(1940, 2005), rnd.randint(1, 12),
                                      rnd.randint(1, 28)),
                     "street": f"{rnd.randint(1, 300)} Main Street", "city": city,
                     "postcode": f"{rnd.randint(10000, 99999)}"})
    members: dict[int, list[int]] = {}
    for i, g in enumerate(group):
        members.setdefault(g, []).append(i)
    true = [(a, b) for m in members.values() for k, a in enumerate(m) for b in m[k + 1:]]
    return rows, true


def load(url: str, rows: list[dict[str, Any]]) -> float:
    from sqlalchemy import insert

    from amity.contacts.models import Contact, ContactEmail
    from amity.core.db import Database, make_engine
    from amity.core.text import fold

    started = time.perf_counter()
    database = Database(make_engine(url, pool_size=1, max_overflow=0))
    for k in range(0, len(rows), BATCH):
        chunk = rows[k:k + BATCH]
        with database.transaction() as s:
            s.execute(insert(Contact), [{
                "id": r["id"], "first_name": r["first_name"], "last_name": r["last_name"],
                "birthday": r["birthday"], "custom_fields": {}, "social_profiles": [],
                "important_dates": [],
                "addresses": [{"street": r["street"], "city": r["city"],
                               "postal_code": r["postcode"]}],
                "sort_name": fold(f"{r['last_name']} {r['first_name']}"),
                "search_text": fold(f"{r['first_name']} {r['last_name']}")} for r in chunk])
            emails = [{"id": uuid.uuid4(), "contact_id": r["id"], "email": r["email"].lower(),
                       "is_primary": True, "position": 0} for r in chunk if r["email"]]
            if emails:
                s.execute(insert(ContactEmail), emails)
    database.dispose()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/amity_bench_dedupe")
    args = parser.parse_args()
    from amity.core.db import Database, make_engine
    from amity.db import upgrade
    from amity.dedupe.models import DuplicateSuggestion
    from amity.dedupe.scan import scan

    recreate_database(args.database_url)
    upgrade(args.database_url)
    rows, planted = people(args.contacts)
    load_s = load(args.database_url, rows)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ids = [r["id"] for r in rows]
    want = {tuple(sorted((ids[a], ids[b]))) for a, b in planted}
    del rows
    database = Database(make_engine(args.database_url, pool_size=1, max_overflow=0))
    with database.transaction() as s:
        result = scan(s, entity="contact")
    with database.transaction(write=False) as s:
        from sqlalchemy import select

        found = {(a, b) for a, b in s.execute(select(DuplicateSuggestion.a_id,
                                                     DuplicateSuggestion.b_id))}
    database.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hit = len(found & want)
    print(f"contacts {result.records:,}  load {load_s:.1f} s  scan {result.seconds:.1f} s "
          f"({result.records / max(result.seconds, 1e-9):,.0f} contacts/s)  pairs "
          f"{result.pairs:,}  true pairs found {hit:,}/{len(want):,} (recall "
          f"{hit / max(1, len(want)):.3f}, precision {hit / max(1, len(found)):.3f})  "
          f"peak RSS {peak:,.0f} MB "
          f"(after loading the generated rows: {rss_before:,.0f} MB)")


if __name__ == "__main__":
    main()
