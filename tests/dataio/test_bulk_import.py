"""The bulk path of contact imports: the same file gives exactly the same records, changes,
refused rows and counts as the row path; it writes one audit entry and one event per chunk;
rolling it back restores the database; a run stopped between chunks resumes without
duplicates."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.companies.models import Company
from amity.config import Settings
from amity.contacts.models import Contact
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.core.events import EventRecord
from amity.dataio import bulk, service
from amity.dataio.models import DataImport, ImportChange, ImportRowError
from amity.jobs import dataio as jobs
from amity.jobs.worker import run_until_idle
from tests.dataio.conftest import run_import, upload
from tests.factories import define_field, make_company, make_contact

HEAD = ("First Name,Last Name,E-mail Address,Mobile Phone,Company,Job Title,Country,Birthday,"
        "Tags,Notes,Tier")
ROWS = [
    "ada,LOVELACE,Ada@Example.com,(415) 555-0101,Engines Ltd,Countess,UK,12/10/1815,vip; math",
    "GRACE,hopper,grace@navy.example,415-555-0102,Navy,Admiral,USA,12/9/1906,vip",
    ",,,,,,,,",
    "Bob,Bad,not-an-email,,,,,,",
    "Ada,,ADA@example.com,415 555 0103,,,,,poet",  # same person as row 1: merged into it
    "Ron,Old,ron@burger.example,,Burger Co,Chef,,,food",  # an existing contact: filled in
    "Charles,Babbage,charles@engines.example,,Engines Ltd,Engineer,United Kingdom,,",
    "Zoë,Müller,zoe@burger.example,,burger co,,Deutschland,14.03.1971,",  # existing company
    "Phone,Only,,(212) 555-0104,,,,,",
    "Bad,Phone,bad@phone.example,12,,,,,",
    "o'brien,MCDONALD,mc@x.example,,,,Atlantis,,",  # unknown country: refused
    *[f"P{i},Person,p{i}@example{i % 3}.com,,Company {i % 4},,FR,,t{i % 2}"
      for i in range(1, 21)],
    "P3,Again,p3@example0.com,,,Boss,,,late",  # same email as an earlier chunk's row
]
EXTRA = {1: ',"Met at\r\nthe ""conference""\tand \\N",gold', 2: ",,silver"}
LINES = [row + EXTRA.get(i, ",,") for i, row in enumerate(ROWS, start=1)]
LINES.append("Tina,Tier,tina@x.example,,,,,,,,bronze")  # not a tier: refused by the service
FILE = (HEAD + "\r\n" + "\r\n".join(LINES) + "\r\n").encode()


def _seed(client: TestClient) -> dict[str, Any]:
    define_field(client, key="tier", type="select", options=["gold", "silver"])
    make_company(client, name="Burger Co", domain="burger.example")
    return make_contact(client, first_name="Ron", last_name="Old",
                        emails=[{"email": "ron@burger.example"}], tags=["keep"])


def _state(database: Database, imp_id: str) -> dict[str, Any]:
    """Everything an import decides, without ids and times."""
    with database.transaction(write=False) as s:
        people = sorted(
            ((c.first_name, c.last_name, c.job_title, c.company.name if c.company else None,
              c.company.domain if c.company else None,
              [(e.email, e.label, e.is_primary, e.position) for e in c.emails],
              [(p.e164, p.label, p.is_primary, p.position) for p in c.phones],
              sorted(t.name for t in c.tags), c.addresses, c.social_profiles,
              c.birthday, c.lifecycle_stage, c.custom_fields, c.sort_name, c.search_text,
              c.personal_notes,
              c.owner_id, c.do_not_contact)
             for c in s.scalars(select(Contact).where(Contact.deleted_at.is_(None)))),
            key=repr)
        companies = sorted((c.name, c.sort_name, c.domain, c.address, c.custom_fields,
                            c.owner_id, sorted(t.name for t in c.tags)) for c in s.scalars(
            select(Company).where(Company.deleted_at.is_(None))))
        iid = uuid.UUID(imp_id)
        changes = sorted((c.row_number, c.entity_type, c.action, repr(_sorted_tags(c.previous)))
                         for c in s.scalars(select(ImportChange).where(
                             ImportChange.import_id == iid)))
        errors = sorted((e.row_number, e.raw, repr(e.errors)) for e in s.scalars(
            select(ImportRowError).where(ImportRowError.import_id == iid)))
        imp = s.get(DataImport, iid)
        assert imp is not None
        totals = (imp.status, imp.position, imp.created_count, imp.updated_count,
                  imp.skipped_count, imp.error_count)
    return {"people": people, "companies": companies, "changes": changes, "errors": errors,
            "totals": totals}


def _sorted_tags(previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """Tags are a set: the row path lists a contact's tags in the order it gave them when the
    contact was made earlier in the same batch, otherwise (both paths) by key."""
    if previous and "tags" in previous:
        return {**previous, "tags": sorted(previous["tags"])}
    return previous


def _rollback(client: TestClient, database: Database, settings: Settings, imp_id: str) -> None:
    assert client.post(f"/api/v1/imports/{imp_id}/rollback").status_code == 202
    run_until_idle(database, settings)
    assert client.get(f"/api/v1/imports/{imp_id}").json()["status"] == "rolled_back"


def test_bulk_path_gives_exactly_the_row_paths_results(
        client: TestClient, database: Database, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 7)  # several chunks, duplicates across them
    _seed(client)
    before = _state_people(database)
    row = upload(client, "people.csv", FILE)
    by_row = _state(database, run_import(client, database, settings, row["id"],
                                         options={"bulk": False})["id"])
    _rollback(client, database, settings, row["id"])
    assert _state_people(database) == before

    fast = upload(client, "people.csv", FILE)
    by_bulk = _state(database, run_import(client, database, settings, fast["id"],
                                          options={"bulk": True})["id"])
    assert by_bulk == by_row
    # the exact expected outcome, not only the same one
    assert by_bulk["totals"] == ("done", 33, 25, 3, 1, 4)
    assert [e[0] for e in by_bulk["errors"]] == [4, 10, 11, 33]
    people = {p[5][0][0] if p[5] else p[6][0][0]: p for p in by_bulk["people"]}
    ada = people["ada@example.com"]
    assert ada[:5] == ("Ada", "Lovelace", "Countess", "Engines Ltd", "example.com")
    assert [p[0] for p in ada[6]] == ["+14155550101", "+14155550103"]
    assert ada[7] == ["math", "poet", "vip"]
    assert (ada[12], ada[15]) == ({"tier": "gold"}, 'Met at\r\nthe "conference"\tand \\N')
    assert people["grace@navy.example"][12] == {"tier": "silver"}
    assert ada[8] == [{"label": None, "street": None, "city": None, "region": None,
                       "postal_code": None, "country": "GB"}]
    ron = people["ron@burger.example"]
    assert ron[:4] == ("Ron", "Old", "Chef", "Burger Co") and ron[7] == ["food", "keep"]
    assert people["zoe@burger.example"][3] == "Burger Co"
    assert [c[:3] for c in by_bulk["companies"]] == [
        ("Burger Co", "burger co", "burger.example"), *[
            (f"Company {i}", f"company {i}", f"example{d}.com")
            for i, d in ((0, 1), (1, 1), (2, 2), (3, 0))],
        ("Engines Ltd", "engines ltd", "example.com"), ("Navy", "navy", "navy.example")]
    assert people["+12125550104"][:2] == ("Phone", "Only")
    p3 = people["p3@example0.com"]
    assert (p3[1], p3[2], p3[7]) == ("Person", "Boss", ["late", "t1"])

    with database.transaction(write=False) as s:
        iid = uuid.UUID(fast["id"])
        bulk_entries = s.scalars(select(AuditEntry).where(
            AuditEntry.entity_id == iid, AuditEntry.action == "bulk_create")).all()
        # one entry per chunk that created contacts (their order in the table is not defined)
        assert sorted(e.changes["contacts"][1] for e in bulk_entries) == [3, 3, 5, 7, 7]
        per_contact = s.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "contact", AuditEntry.action == "create",
            AuditEntry.at >= s.get(DataImport, iid).started_at)).all()  # type: ignore[union-attr]
        assert per_contact == []  # one entry per chunk, not per contact
        events = s.scalars(select(EventRecord).where(
            EventRecord.type == "contacts.imported")).all()
        assert sum(e.payload["count"] for e in events) == 25

    _rollback(client, database, settings, fast["id"])
    assert _state_people(database) == before
    with database.transaction(write=False) as s:
        deleted = s.scalars(select(AuditEntry).where(
            AuditEntry.entity_id == iid, AuditEntry.action == "bulk_delete")).all()
        assert sum(e.changes["contacts"][1] for e in deleted) == 25
        assert sum(e.changes["companies"][1] for e in deleted) == 6
        gone = s.scalars(select(Contact).where(Contact.deleted_at.is_not(None))).all()
        assert len(gone) == 50 and min(c.version for c in gone) == 2  # both imports


def _state_people(database: Database) -> list[Any]:
    with database.transaction(write=False) as s:
        return sorted((c.id, c.first_name, c.last_name, c.job_title, c.company_id,
                       [e.email for e in c.emails], [p.e164 for p in c.phones],
                       sorted(t.name for t in c.tags))
                      for c in s.scalars(select(Contact).where(Contact.deleted_at.is_(None))))


def test_bulk_run_resumes_after_a_crash_between_chunks(
        client: TestClient, database: Database, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 7)
    imp = upload(client, "people.csv", FILE)
    client.put(f"/api/v1/imports/{imp['id']}/mapping",
               json={"mapping": imp["mapping"], "options": {"bulk": True}})
    client.post(f"/api/v1/imports/{imp['id']}/run")
    real = bulk.BulkWriter.write
    calls = {"n": 0}

    def crash_after_second_chunk(self: bulk.BulkWriter, batch: Any) -> None:
        calls["n"] += 1
        real(self, batch)
        if calls["n"] == 3:
            raise RuntimeError("worker killed mid-chunk")

    monkeypatch.setattr(bulk.BulkWriter, "write", crash_after_second_chunk)
    with pytest.raises(RuntimeError), database.transaction() as s:
        jobs.run_import(s, settings, uuid.UUID(imp["id"]))
    state = client.get(f"/api/v1/imports/{imp['id']}").json()
    assert (state["status"], state["position"]) == ("running", 14)
    monkeypatch.setattr(bulk.BulkWriter, "write", real)
    with database.transaction() as s:
        jobs.run_import(s, settings, uuid.UUID(imp["id"]))
    state = client.get(f"/api/v1/imports/{imp['id']}").json()
    # no Ron and no tier field before this import: rows 6 and 33 create contacts
    assert (state["status"], state["position"], state["created_count"],
            state["updated_count"], state["error_count"]) == ("done", 33, 27, 2, 3)
    with database.transaction(write=False) as s:
        emails = [e.email for c in s.scalars(select(Contact)) for e in c.emails]
        assert len(emails) == len(set(emails)) == 26


def test_bulk_option_is_checked(client: TestClient) -> None:
    imp = upload(client, "people.csv", FILE)
    r = client.put(f"/api/v1/imports/{imp['id']}/mapping",
                   json={"mapping": imp["mapping"], "options": {"bulk": "maybe"}})
    assert r.status_code == 422
    assert service.check_options({"bulk": None}) == {}


def test_email_shortcut_gives_the_full_validations_answer() -> None:
    from amity.core.contactinfo import normalise_email
    from amity.core.errors import ValidationFailed
    from amity.dataio.normalise import email

    cases = ["Ada@Example.COM", "a.b@x.io", "a..b@x.io", ".a@x.io", "a.@x.io", "a@localhost",
             "a@b", "a@[1.2.3.4]", '"q u"@x.com', "zoë@x.com", "a@bücher.de", "a@BÜCHER.de",
             "x" * 64 + "@a.com", "x" * 65 + "@a.com", "a@" + "b" * 63 + ".com",
             "a@" + "b" * 64 + ".com", "a@x.test", "a@x.invalid", "a@x.local", "a@-x.com",
             "a+tag@gmail.com", "a@x..com", "a@@x.com", "a b@x.com", "a@x_y.com",
             "a@1.2.3.4", "user@xn--bcher-kva.de", "a@" + ".".join(["a" * 60] * 4) + ".com",
             "!#$%&'*+/=?^_`{|}~-@x.org", "a@x.onion"]
    for case in cases:
        try:
            expected: str | None = normalise_email(case)
        except ValidationFailed:
            expected = None
        try:
            got: str | None = email(case)
        except ValueError:
            got = None
        assert got == expected, case
    assert email(" mailto:Ada@Example.COM ") == "ada@example.com"


def test_bulk_all_or_nothing_leaves_nothing(client: TestClient, database: Database,
                                            settings: Settings) -> None:
    _seed(client)
    before = _state_people(database)
    imp = upload(client, "people.csv", FILE)
    done = run_import(client, database, settings, imp["id"],
                      options={"bulk": True, "all_or_nothing": True})
    assert (done["status"], done["created_count"], done["error_count"]) == ("failed", 0, 4)
    assert _state_people(database) == before
    with database.transaction(write=False) as s:
        assert s.scalars(select(Company.name).where(Company.deleted_at.is_(None))).all() == [
            "Burger Co"]
    clean = (HEAD + "\r\n" + LINES[0] + "\r\n" + LINES[1] + "\r\n").encode()
    ok = upload(client, "clean.csv", clean)
    done = run_import(client, database, settings, ok["id"],
                      options={"bulk": True, "all_or_nothing": True})
    assert (done["status"], done["created_count"], done["error_count"]) == ("done", 2, 0)
