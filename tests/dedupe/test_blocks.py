"""The streamed detector (blocks spilled to files) finds exactly what the in-memory one finds,
however many files it spreads the blocks over; the scan reads each contact's emails and phone
numbers with its row on both databases."""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy import insert

from amity.contacts.models import Contact, ContactEmail, ContactPhone
from amity.core.clock import now
from amity.core.db import Database
from amity.dedupe.blocks import find_duplicates_streamed
from amity.dedupe.detect import Candidate, clean, find_duplicates
from amity.dedupe.scan import contact_candidates
from tests.dedupe.test_febrl import _birthday, read_febrl


def _febrl1() -> list[Candidate]:
    out = []
    for r in read_febrl("dataset1.csv"):
        birthday = _birthday(r["date_of_birth"])
        out.append(Candidate(
            id=uuid.uuid4(), first=clean(r["given_name"]), last=clean(r["surname"]),
            birthday=birthday.strftime("%Y%m%d") if birthday else "",
            street=clean(f"{r['street_number']} {r['address_1']}"), city=clean(r["suburb"]),
            postcode=r["postcode"]))
    return out


def test_streamed_detection_finds_what_the_in_memory_one_finds() -> None:
    cands = _febrl1()
    # shared emails and phones too, and one block larger than MAX_BLOCK (windowed)
    cands = [replace(c, emails=(f"p{i % 400}@x.example",), phones=("+14155550100",)
                     if i % 7 == 0 else ()) for i, c in enumerate(cands)]
    expected = find_duplicates(cands)
    assert len(expected) > 400
    for per_file in (40, 1_000, 1_000_000):  # 100 files, 4 files, one file
        got, count = find_duplicates_streamed(iter(cands), expected=len(cands),
                                              per_file=per_file)
        assert count == len(cands)
        assert got == expected
    companies = [Candidate(id=uuid.uuid4(), last=name, emails=(dom,) if dom else ())
                 for name, dom in [("acme", "acme.com"), ("acme", ""), ("acme industries", ""),
                                   ("globex", "globex.com"), ("globex", "globex.com")]]
    streamed, _ = find_duplicates_streamed(companies, expected=5, kind="company", per_file=4)
    assert streamed == find_duplicates(companies, kind="company")
    assert find_duplicates_streamed([], expected=0) == ([], 0)


def test_contact_candidates_carry_every_email_and_phone(database: Database) -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    base = {"custom_fields": {}, "social_profiles": [], "important_dates": [],
            "sort_name": "x", "search_text": "x"}
    with database.transaction() as s:
        s.execute(insert(Contact), [
            {**base, "id": a, "first_name": "Ada", "last_name": "Lovelace",
             "addresses": [{"street": "12 Main St", "city": "London", "postal_code": "N1 9GU"}]},
            {**base, "id": b, "first_name": "Grace", "last_name": "Hopper", "addresses": []},
            {**base, "id": c, "first_name": "Gone", "last_name": "Away", "addresses": [],
             "deleted_at": now()}])
        s.execute(insert(ContactEmail), [
            {"id": uuid.uuid4(), "contact_id": a, "email": e, "is_primary": i == 0,
             "position": i} for i, e in enumerate(["ada@x.example", "Ada@Home.example"])])
        s.execute(insert(ContactPhone), [
            {"id": uuid.uuid4(), "contact_id": a, "e164": p, "is_primary": i == 0,
             "position": i} for i, p in enumerate(["+14155550101", "+442079460000"])])
    with database.transaction(write=False) as s:
        got = {x.id: x for x in contact_candidates(s)}
    assert set(got) == {a, b}  # not the deleted one
    assert sorted(got[a].emails) == ["ada@home.example", "ada@x.example"]
    assert sorted(got[a].phones) == ["+14155550101", "+442079460000"]
    assert (got[a].first, got[a].street, got[a].postcode) == ("ada", "12 main st", "19")
    assert (got[b].emails, got[b].phones) == ((), ())
