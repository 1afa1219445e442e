"""Precision and recall of duplicate detection on the FEBRL benchmark data (see data/NOTE.md).

FEBRL 1 goes through the database (loaded as contacts, scanned, suggestions read back);
FEBRL 2, which the thresholds were not tuned on, checks the detector alone.
"""

from __future__ import annotations

import csv
import itertools
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from amity.contacts.models import Contact
from amity.core.db import Database
from amity.core.text import fold
from amity.dedupe.detect import Candidate, clean, find_duplicates
from amity.dedupe.models import DuplicateSuggestion
from amity.dedupe.scan import scan

DATA = Path(__file__).parent / "data"


def read_febrl(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, skipinitialspace=True)
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def _birthday(raw: str) -> date | None:
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8])) if len(raw) == 8 else None
    except ValueError:  # the generator's typos make some dates impossible
        return None


def true_pairs(ids: dict[uuid.UUID, str]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Records with the same number (rec-N-org, rec-N-dup-K) are one person."""
    groups: dict[str, list[uuid.UUID]] = {}
    for record_id, rec in ids.items():
        groups.setdefault(rec.split("-")[1], []).append(record_id)
    return {(min(p), max(p)) for g in groups.values() for p in itertools.combinations(g, 2)}


def measure(found: set[tuple[uuid.UUID, uuid.UUID]],
            truth: set[tuple[uuid.UUID, uuid.UUID]]) -> tuple[float, float]:
    hits = len(found & truth)
    return hits / max(1, len(found)), hits / len(truth)


def test_febrl1_precision_and_recall_through_the_database(database: Database) -> None:
    records = read_febrl("dataset1.csv")
    assert len(records) == 1000
    ids: dict[uuid.UUID, str] = {}
    rows: list[dict[str, Any]] = []
    for r in records:
        cid = uuid.uuid4()
        ids[cid] = r["rec_id"]
        street = " ".join(p for p in (r["street_number"], r["address_1"]) if p)
        rows.append({"id": cid, "first_name": r["given_name"], "last_name": r["surname"],
                     "birthday": _birthday(r["date_of_birth"]),
                     "addresses": [{"street": street, "city": r["suburb"],
                                    "postal_code": r["postcode"], "region": r["state"]}],
                     "sort_name": fold(f"{r['surname']} {r['given_name']}"),
                     "search_text": fold(f"{r['given_name']} {r['surname']}"),
                     "custom_fields": {}, "social_profiles": [], "important_dates": []})
    with database.transaction() as s:
        s.execute(insert(Contact), rows)
    with database.transaction() as s:
        result = scan(s, entity="contact")
    assert result.records == 1000
    with database.transaction(write=False) as s:
        found = {(min(a, b), max(a, b)) for a, b in s.execute(
            select(DuplicateSuggestion.a_id, DuplicateSuggestion.b_id))}
    precision, recall = measure(found, true_pairs(ids))
    print(f"\nFEBRL 1 ({database.dialect}): {len(found)} pairs, precision {precision:.4f}, "
          f"recall {recall:.4f}, scan {result.seconds} s")
    assert precision >= 0.95
    assert recall >= 0.90


def test_febrl2_detector_not_overfitted_to_febrl1() -> None:
    records = read_febrl("dataset2.csv")
    ids: dict[uuid.UUID, str] = {}
    cands = []
    for r in records:
        cid = uuid.uuid4()
        ids[cid] = r["rec_id"]
        birthday = _birthday(r["date_of_birth"])
        cands.append(Candidate(
            id=cid, first=clean(r["given_name"]), last=clean(r["surname"]),
            birthday=birthday.strftime("%Y%m%d") if birthday else "",
            street=clean(f"{r['street_number']} {r['address_1']}"), city=clean(r["suburb"]),
            postcode=r["postcode"]))
    found = {(m.a, m.b) for m in find_duplicates(cands)}
    precision, recall = measure(found, true_pairs(ids))
    print(f"\nFEBRL 2: {len(found)} pairs, precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.95
    assert recall >= 0.90
