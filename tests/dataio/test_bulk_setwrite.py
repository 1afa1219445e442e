"""Matching contacts by phone number (row path, bulk path and, on PostgreSQL, the set-based
write), and the set-based write against the bulk path that builds each row's inserts in
Python: the same records, change list, refused rows, audit entries and rollback."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.config import Settings
from amity.contacts.models import Contact, ContactEmail, ContactPhone
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.dataio import bulk, setwrite
from amity.dataio.models import ImportChange, ImportRowError
from amity.dataio.stage import copy_line
from tests.dataio.conftest import run_import, upload
from tests.dataio.test_bulk_import import FILE, _rollback, _seed, _state, _state_people
from tests.factories import define_field, make_company, make_contact

PHONES = (b"First Name,Last Name,E-mail Address,Mobile Phone,Job Title\r\n"
          b"Ada,Lovelace,ada.new@example.com,(415) 555-0199,Countess\r\n"  # Ada, by phone
          b"Grace,Hopper,grace@navy.example,415-555-0142,Admiral\r\n"
          b"Grace,H,grace.h@other.example,+1 415 555 0142,\r\n"  # row 2's phone
          b"Alan,Turing,alan@example.com,(415) 555-0177,\r\n"
          b"Alan,Turing,alan.t@x.example,415 555 0177,Mathematician\r\n"  # row 4's phone
          b"Grace,Hopper,,415.555.0142,\r\n")  # row 2's phone, in a later chunk: nothing new


def _people(database: Database) -> dict[str, Any]:
    with database.transaction(write=False) as s:
        return {c.last_name: (c.id, c.job_title, sorted(e.email for e in c.emails),
                              [p.e164 for p in c.phones])
                for c in s.scalars(select(Contact).where(Contact.deleted_at.is_(None)))}


@pytest.mark.parametrize("path", [False, True], ids=["row", "bulk"])
def test_rows_match_existing_contacts_and_earlier_rows_by_phone(
        client: TestClient, database: Database, settings: Settings,
        monkeypatch: pytest.MonkeyPatch, path: bool) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 3)  # matches within a chunk and across chunks
    ada = make_contact(client, first_name="Ada", last_name="Lovelace",
                       phones=[{"number": "+14155550199"}])
    imp = upload(client, "phones.csv", PHONES)
    done = run_import(client, database, settings, imp["id"], options={"bulk": path})
    assert (done["status"], done["created_count"], done["updated_count"],
            done["skipped_count"], done["error_count"]) == ("done", 2, 3, 1, 0)
    people = _people(database)
    assert set(people) == {"Lovelace", "Hopper", "Turing"} and _count(database) == 3
    assert people["Lovelace"] == (uuid.UUID(ada["id"]), "Countess", ["ada.new@example.com"],
                                  ["+14155550199"])
    assert people["Hopper"][2:] == (["grace.h@other.example", "grace@navy.example"],
                                    ["+14155550142"])
    assert people["Turing"][1:] == ("Mathematician", ["alan.t@x.example", "alan@example.com"],
                                    ["+14155550177"])

    _rollback(client, database, settings, imp["id"])
    after = _people(database)
    assert after == {"Lovelace": (uuid.UUID(ada["id"]), None, [], ["+14155550199"])}


@pytest.mark.parametrize("mode", ["skip", "create"])
def test_phone_matches_follow_the_match_mode(
        client: TestClient, database: Database, settings: Settings,
        monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 3)
    make_contact(client, first_name="Ada", last_name="Lovelace",
                 phones=[{"number": "+14155550199"}])
    imp = upload(client, "phones.csv", PHONES)
    done = run_import(client, database, settings, imp["id"],
                      options={"bulk": True, "match": mode})
    got = (done["created_count"], done["updated_count"], done["skipped_count"])
    assert got == ((2, 0, 4) if mode == "skip" else (6, 0, 0))
    assert _count(database) == (3 if mode == "skip" else 7)


def _count(database: Database) -> int:
    with database.transaction(write=False) as s:
        return len(s.scalars(select(Contact.id).where(Contact.deleted_at.is_(None))).all())


def test_copy_lines_escape_what_copy_text_format_needs() -> None:
    line = copy_line([1, None, True, 'a\tb\nc\\N "q"', ["x,y", None, 'q"\\', "{}"],
                      [True, False]])
    assert line == ('1\t\\N\tt\ta\\tb\\nc\\\\N "q"\t{"x,y",NULL,"q\\\\"\\\\\\\\","{}"}'
                    '\t{t,f}\n')


def _audit(database: Database, known: set[uuid.UUID]) -> Counter[tuple[str, str]]:
    """The audit entries not in ``known`` by entity and action (and adds them to it)."""
    with database.transaction(write=False) as s:
        new = [e for e in s.scalars(select(AuditEntry)) if e.id not in known]
    known.update(e.id for e in new)
    return Counter((e.entity_type, e.action) for e in new)


def test_set_based_write_matches_the_python_built_bulk_write(
        client: TestClient, database: Database, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("the set-based write is PostgreSQL's")
    monkeypatch.setattr(bulk, "CHUNK", 7)
    monkeypatch.setattr(setwrite, "ANALYZE_FROM", 1)  # statistics refreshed along the way
    _seed(client)
    make_contact(client, first_name="Phone", last_name="",
                 phones=[{"number": "+12125550104"}])  # row 9 matches it by phone
    before = _state_people(database)
    results = {}
    for set_based in (False, True):
        monkeypatch.setattr(bulk, "SET_BASED", set_based)
        known: set[uuid.UUID] = set()
        _audit(database, known)
        imp = upload(client, "people.csv", FILE)
        state = _state(database, run_import(client, database, settings, imp["id"],
                                            options={"bulk": True})["id"])
        written = _audit(database, known)
        _rollback(client, database, settings, imp["id"])
        assert _state_people(database) == before  # undo restores every record
        undone = _audit(database, known)
        results[set_based] = (state, written, undone)
    assert results[True] == results[False]
    state, written, _ = results[True]
    assert state["totals"] == ("done", 33, 24, 4, 1, 4)
    assert written[("contact", "update")] == 4  # the matched rows, one entry each
    assert written[("import", "bulk_create")] == 5


def test_set_based_rows_get_time_ordered_ids(
        client: TestClient, database: Database, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Contacts, their emails and phones and the change list written by the set-based path
    have version 7 ids whose milliseconds are the import's own time, so they sort in the
    order they were written (their indexes grow at the right edge)."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("the set-based write is PostgreSQL's")
    monkeypatch.setattr(bulk, "CHUNK", 7)
    imp = upload(client, "people.csv", FILE)
    started = time.time()
    done = run_import(client, database, settings, imp["id"], options={"bulk": True})
    ended = time.time()
    with database.transaction(write=False) as s:
        created = (ImportChange.import_id == uuid.UUID(done["id"])) & (
            ImportChange.entity_type == "contact")
        contacts = list(s.scalars(select(ImportChange.record_id).where(
            created, ImportChange.action == "created")))
        # a later row matching one of them adds its emails and phones through the row path
        as_made = set(contacts) - set(s.scalars(select(ImportChange.record_id).where(
            created, ImportChange.action == "updated")))
        ids = {"contacts": contacts,
               "emails": list(s.scalars(select(ContactEmail.id).where(
                   ContactEmail.contact_id.in_(as_made)))),
               "phones": list(s.scalars(select(ContactPhone.id).where(
                   ContactPhone.contact_id.in_(as_made)))),
               "changes": list(s.scalars(select(ImportChange.id).where(
                   created, ImportChange.action == "created")))}
    assert done["created_count"] == len(contacts) > 20 and len(as_made) > 15
    assert all(ids.values())
    for kind, values in ids.items():
        for value in values:
            ms = int.from_bytes(value.bytes[:6], "big")
            assert value.version == 7, (kind, value)
            assert started * 1000 - 1000 <= ms <= ended * 1000 + 1000, (kind, value)


COMPANIES = (b"First Name,Last Name,E-mail Address,Company\r\n"
             b"Ada,Lovelace,ada@x.example,Burger Co\r\n"  # an existing company
             b"Grace,Hopper,grace@x.example,Navy Labs\r\n"  # a new one, which may not be made
             b"Alan,Turing,alan@x.example,\r\n"
             b"Edsger,Dijkstra,ed@x.example,burger co\r\n"  # the existing one, other case
             b"Barbara,Liskov,barbara@x.example,Navy Labs\r\n")


@pytest.mark.parametrize(("path", "set_based"), [(False, False), (True, False), (True, True)],
                         ids=["row", "python", "set"])
def test_rows_naming_a_company_that_cannot_be_created_are_refused(
        client: TestClient, database: Database, settings: Settings,
        monkeypatch: pytest.MonkeyPatch, path: bool, set_based: bool) -> None:
    """A required company field without a default refuses new companies: the rows naming one
    are refused with that reason, the others get the existing company or none."""
    monkeypatch.setattr(bulk, "SET_BASED", set_based)
    monkeypatch.setattr(bulk, "CHUNK", 2)  # the existing company is found in two chunks
    burger = make_company(client, name="Burger Co")
    define_field(client, entity="company", key="region", type="text", required=True)
    imp = upload(client, "companies.csv", COMPANIES)
    done = run_import(client, database, settings, imp["id"], options={"bulk": path})
    assert (done["status"], done["created_count"], done["error_count"]) == ("done", 3, 2)
    with database.transaction(write=False) as s:
        people = {c.last_name: c.company_id for c in s.scalars(select(Contact))}
        refused = {e.row_number: e.errors for e in s.scalars(select(ImportRowError).where(
            ImportRowError.import_id == uuid.UUID(imp["id"])))}
    assert people == {"Lovelace": uuid.UUID(burger["id"]), "Turing": None,
                      "Dijkstra": uuid.UUID(burger["id"])}
    assert set(refused) == {2, 5}  # data rows are numbered from 1
    assert all("Region" in err[0]["message"] for err in refused.values()), refused
