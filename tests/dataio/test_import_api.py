"""Importing through the API: upload, suggested mapping, dry run, background run with exact
results, errors file, matching, all-or-nothing, rollback, resume after a crash, bad input."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.companies.models import Company
from amity.config import Settings
from amity.contacts.models import Contact
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.dataio import service
from amity.dataio.models import DataImport, ImportChange, ImportRowError
from amity.jobs import dataio as jobs
from tests.dataio.conftest import run_import, upload
from tests.factories import assert_problem, count, make_contact

GOOGLE = ("Name,Given Name,Family Name,Birthday,Notes,Group Membership,E-mail 1 - Type,"
          "E-mail 1 - Value,E-mail 2 - Value,Phone 1 - Value,Organization 1 - Name,"
          "Organization 1 - Title,Address 1 - City,Address 1 - Country\r\n"
          "Ada Lovelace,ADA,LOVELACE,1815-12-10,\"Met at\r\nthe conference\","
          "* myContacts ::: VIP,* Work,Ada@Example.COM,ada@home.example,"
          "(415) 555-0123,Analytical Engines,Countess,London,United Kingdom\r\n"
          "Jan van der Berg,jan,van der Berg,--04-01,,* myContacts,,jan@vdb.nl,,"
          "+31 20 123 4567,,,Amsterdam,Netherlands\r\n"
          "Broken,Bro,Ken,not a date,,,,not-an-email,,12,,,,Atlantis\r\n")

OUTLOOK = ("First Name;Middle Name;Last Name;Company;Job Title;Business Phone;Mobile Phone;"
           "E-mail Address;E-mail 2 Address;Business Country/Region;Categories;Birthday\r\n"
           "Ronald;;MCDONALD;Burger Co;Chef;415-555-0100;415 555 0199;ron@burger.example;;USA;"
           "Food;3/14/1970\r\n"
           "Zoë;Ann;Müller;Burger Co;Owner;;;zoe@burger.example;zoe@gmail.com;Deutschland;;"
           "14.03.1971\r\n")


def _contacts(database: Database) -> list[Contact]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(Contact).where(Contact.deleted_at.is_(None))
                              .order_by(Contact.created_at, Contact.sort_name)))


def test_google_export_imports_exactly(client: TestClient, database: Database,
                                       settings: Settings) -> None:
    imp = upload(client, "google.csv", GOOGLE.encode())
    assert imp["format"] == "csv" and imp["delimiter"] == "," and imp["total_rows"] == 3
    assert imp["mapping"]["E-mail 1 - Value"] == "email"
    assert imp["sample"][0][0] == "Ada Lovelace"
    preview = client.post(f"/api/v1/imports/{imp['id']}/preview").json()
    assert preview["counts"] == {"create": 1, "update": 0, "skip": 0, "error": 2}
    assert count(database, Contact) == 0  # the dry run wrote nothing
    errs = {r["row"]: {e["field"] for e in r["errors"]} for r in preview["rows"]
            if r["action"] == "error"}
    assert errs == {2: {"birthday"}, 3: {"birthday", "email", "phone", "country"}}

    done = run_import(client, database, settings, imp["id"])
    assert (done["status"], done["created_count"], done["error_count"], done["position"]) == (
        "done", 1, 2, 3)
    [ada] = _contacts(database)
    assert (ada.first_name, ada.last_name, ada.job_title) == ("Ada", "Lovelace", "Countess")
    assert [e.email for e in ada.emails] == ["ada@example.com", "ada@home.example"]
    assert [p.e164 for p in ada.phones] == ["+14155550123"]
    assert ada.birthday.isoformat() == "1815-12-10"
    assert ada.personal_notes == "Met at\r\nthe conference"
    assert sorted(t.name for t in ada.tags) == ["* myContacts", "VIP"]
    assert ada.addresses == [{"label": None, "street": None, "city": "London", "region": None,
                              "postal_code": None, "country": "GB"}]
    assert ada.company is not None and ada.company.name == "Analytical Engines"
    assert ada.company.domain == "example.com"

    r = client.get(f"/api/v1/imports/{imp['id']}/errors.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0][-2:] == ["Row", "Errors"] and len(rows) == 3
    assert rows[1][0] == "Jan van der Berg" and rows[1][-2] == "2"
    assert "has no year" in rows[1][-1]
    assert rows[2][-2] == "3" and "not-an-email" in rows[2][-1] and "Atlantis" in rows[2][-1]


def test_outlook_semicolons_and_company_reuse(client: TestClient, database: Database,
                                             settings: Settings) -> None:
    imp = upload(client, "outlook.csv", OUTLOOK.encode("cp1252"))
    assert (imp["encoding"], imp["delimiter"]) == ("cp1252", ";")
    done = run_import(client, database, settings, imp["id"])
    assert (done["created_count"], done["error_count"]) == (2, 0), done
    ron, zoe = _contacts(database)
    assert (ron.first_name, ron.last_name) == ("Ronald", "McDonald")
    assert [p.e164 for p in ron.phones] == ["+14155550100", "+14155550199"]
    assert [p.label for p in ron.phones] == [None, "mobile"]
    assert ron.birthday.isoformat() == "1970-03-14"
    assert (zoe.first_name, zoe.last_name) == ("Zoë Ann", "Müller")
    assert zoe.birthday.isoformat() == "1971-03-14"
    assert [a["country"] for a in zoe.addresses] == ["DE"]
    assert ron.company_id == zoe.company_id
    with database.transaction(write=False) as s:
        [company] = s.scalars(select(Company)).all()
        assert (company.name, company.domain) == ("Burger Co", "burger.example")


def test_matching_by_email_fills_empty_fields_and_merges(client: TestClient,
                                                         database: Database,
                                                         settings: Settings) -> None:
    existing = make_contact(client, first_name="Ron", last_name="Old", job_title=None,
                            emails=[{"email": "ron@burger.example"}], tags=["keep"])
    imp = upload(client, "outlook.csv", OUTLOOK.encode("cp1252"))
    done = run_import(client, database, settings, imp["id"], options={"match": "update_empty"})
    assert (done["created_count"], done["updated_count"]) == (1, 1)
    c = client.get(f"/api/v1/contacts/{existing['id']}").json()
    assert (c["first_name"], c["last_name"], c["job_title"]) == ("Ron", "Old", "Chef")
    assert sorted(c["tags"]) == ["Food", "keep"]
    assert [p["e164"] for p in c["phones"]] == ["+14155550100", "+14155550199"]

    # rollback restores the updated contact and removes the created one and its company
    r = client.post(f"/api/v1/imports/{imp['id']}/rollback")
    assert r.status_code == 202 and r.json()["status"] == "rolling_back"
    from amity.jobs.worker import run_until_idle

    run_until_idle(database, settings)
    assert client.get(f"/api/v1/imports/{imp['id']}").json()["status"] == "rolled_back"
    after = client.get(f"/api/v1/contacts/{existing['id']}").json()
    for key in ("first_name", "last_name", "job_title", "tags", "phones", "emails",
                "company_id", "birthday", "addresses"):
        assert after[key] == existing[key], key
    assert [c.id for c in _contacts(database)] == [existing_id(existing)]
    with database.transaction(write=False) as s:
        assert s.scalars(select(Company).where(Company.deleted_at.is_(None))).all() == []
        actions = set(s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_type == "import")))
        assert {"upload", "map", "run", "import", "rollback"} <= actions


def existing_id(c: dict[str, Any]) -> Any:
    import uuid

    return uuid.UUID(c["id"])


def test_overwrite_and_skip_modes(client: TestClient, database: Database,
                                  settings: Settings) -> None:
    existing = make_contact(client, first_name="Ron", last_name="Old", job_title="Cook",
                            emails=[{"email": "ron@burger.example"}])
    imp = upload(client, "outlook.csv", OUTLOOK.encode("cp1252"))
    run_import(client, database, settings, imp["id"], options={"match": "overwrite"})
    c = client.get(f"/api/v1/contacts/{existing['id']}").json()
    assert (c["last_name"], c["job_title"]) == ("McDonald", "Chef")
    imp2 = upload(client, "outlook.csv", OUTLOOK.encode("cp1252"))
    done = run_import(client, database, settings, imp2["id"], options={"match": "skip"})
    assert (done["created_count"], done["updated_count"], done["skipped_count"]) == (0, 0, 2)


def test_all_or_nothing_leaves_nothing(client: TestClient, database: Database,
                                       settings: Settings) -> None:
    before = count(database, Contact), count(database, Company)
    imp = upload(client, "google.csv", GOOGLE.encode())
    done = run_import(client, database, settings, imp["id"],
                      options={"all_or_nothing": True})
    assert done["status"] == "failed" and done["created_count"] == 0
    assert done["error_count"] == 2 and "nothing was imported" in done["message"]
    assert (count(database, Contact), count(database, Company)) == before
    assert client.get(f"/api/v1/imports/{imp['id']}/errors.csv").text.count("\n") == 3


def _numbered_csv(n: int, bad_every: int = 0) -> bytes:
    lines = ["First Name,Last Name,Email"]
    for i in range(1, n + 1):
        mail = "broken" if bad_every and i % bad_every == 0 else f"p{i}@example.com"
        lines.append(f"P{i},Person,{mail}")
    return "\n".join(lines).encode()


def test_resume_after_crash_does_not_duplicate(client: TestClient, database: Database,
                                               settings: Settings,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    imp = upload(client, "many.csv", _numbered_csv(230, bad_every=50))
    client.put(f"/api/v1/imports/{imp['id']}/mapping", json={"mapping": imp["mapping"]})
    client.post(f"/api/v1/imports/{imp['id']}/run")
    real = service.carry_out
    calls = {"n": 0}

    def crash_on_third_batch(planner: Any, plans: Any) -> None:
        calls["n"] += 1
        real(planner, plans)
        if calls["n"] == 3:
            raise RuntimeError("worker killed mid-batch")

    monkeypatch.setattr(service, "carry_out", crash_on_third_batch)
    import uuid

    with pytest.raises(RuntimeError), database.transaction() as s:
        jobs.run_import(s, settings, uuid.UUID(imp["id"]))
    state = client.get(f"/api/v1/imports/{imp['id']}").json()
    assert (state["status"], state["position"], state["created_count"]) == ("running", 100, 98)
    assert count(database, Contact) == 98
    monkeypatch.setattr(service, "carry_out", real)
    with database.transaction() as s:
        jobs.run_import(s, settings, uuid.UUID(imp["id"]))
    state = client.get(f"/api/v1/imports/{imp['id']}").json()
    assert (state["status"], state["position"], state["created_count"],
            state["error_count"]) == ("done", 230, 226, 4)
    with database.transaction(write=False) as s:
        emails = [e for c in s.scalars(select(Contact)) for e in (x.email for x in c.emails)]
        assert len(emails) == len(set(emails)) == 226
        assert len(s.scalars(select(ImportChange)).all()) == 226
        assert sorted(s.scalars(select(ImportRowError.row_number))) == [50, 100, 150, 200]


def test_bad_input_is_refused_and_changes_nothing(client: TestClient, database: Database,
                                                  settings: Settings) -> None:
    r = client.post("/api/v1/imports", files={"file": ("a.bin", b"\x00\x01binary\x00")},
                    data={"entity": "contacts"})
    assert_problem(r, 422, "file", "import.unknown_format")
    r = client.post("/api/v1/imports", files={"file": ("a.csv", b"Email\nx@y.com\n")},
                    data={"entity": "spaceships"})
    assert_problem(r, 422, "entity")
    r = client.post("/api/v1/imports", data={"entity": "contacts"})
    assert_problem(r, 422, "file")
    small = settings.model_copy(update={"import_max_bytes": 100})
    from amity.app import create_app

    with TestClient(create_app(small, database=database)) as c2:
        c2.headers.update(client.headers)
        r = c2.post("/api/v1/imports", files={"file": ("big.csv", b"Email\n" + b"x" * 200_000)},
                    data={"entity": "contacts"})
        assert_problem(r, 413)
        r = c2.post("/api/v1/imports", files={"file": ("big.csv", b"Email\n" + b"x" * 300)},
                    data={"entity": "contacts"})
        assert_problem(r, 413, "file", "import.too_large")
    assert count(database, DataImport) == 0
    assert list((settings.import_dir).glob("*")) == []

    imp = upload(client, "ok.csv", b"Email,Name\nx@y.com,X\n")
    url = f"/api/v1/imports/{imp['id']}/mapping"
    assert_problem(client.put(url, json={"mapping": {"Email": "favourite_colour"}}), 422,
                   "mapping.Email", "mapping.unknown_field")
    assert_problem(client.put(url, json={"mapping": {"Nope": "email"}}), 422,
                   "mapping.Nope", "mapping.unknown_column")
    assert_problem(client.put(url, json={"mapping": {"Email": "custom:none"}}), 422,
                   "mapping.Email")
    assert_problem(client.put(url, json={"mapping": {"Name": "first_name", "Email":
                                                     "first_name"}}), 422)
    assert_problem(client.put(url, json={"mapping": {"Email": "ignore"}}), 422, "mapping",
                   "mapping.no_identity")
    assert_problem(client.put(url, json={"mapping": {}, "options": {"match": "merge"}}), 422)
    assert client.get(f"/api/v1/imports/{imp['id']}").json()["status"] == "uploaded"
    done = run_import(client, database, settings, imp["id"])
    assert done["status"] == "done"
    assert_problem(client.post(f"/api/v1/imports/{imp['id']}/run"), 409)
    assert_problem(client.put(url, json={"mapping": {"Email": "email"}}), 409)


def test_vcard_file_of_2000_cards(client: TestClient, database: Database,
                                  settings: Settings) -> None:
    cards = []
    for i in range(2000):
        version = ("2.1", "3.0", "4.0")[i % 3]
        tel = f"TEL;CELL:+1 415 555 {i % 10000:04d}" if version == "2.1" else (
            f"TEL;TYPE=cell:+1-415-555-{i % 10000:04d}" if version == "3.0"
            else f"TEL;VALUE=uri;TYPE=cell:tel:+1-415-555-{i % 10000:04d}")
        cards.append(f"BEGIN:VCARD\r\nVERSION:{version}\r\nN:Card{i};Person;;;\r\n"
                     f"FN:Person Card{i}\r\nEMAIL:card{i}@example.com\r\n{tel}\r\n"
                     f"ORG:Org {i % 7}\r\nEND:VCARD\r\n")
    cards.append("BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:nobody\r\nEND:VCARD\r\n")
    imp = upload(client, "all.vcf", "".join(cards).encode())
    assert imp["format"] == "vcard" and imp["total_rows"] == 2001
    settings_fast = settings.model_copy(update={"import_batch_size": 500})
    client.put(f"/api/v1/imports/{imp['id']}/mapping", json={"mapping": imp["mapping"]})
    client.post(f"/api/v1/imports/{imp['id']}/run")
    from amity.jobs.worker import run_until_idle

    run_until_idle(database, settings_fast)
    done = client.get(f"/api/v1/imports/{imp['id']}").json()
    assert (done["created_count"], done["error_count"]) == (2000, 1), done
    assert count(database, Company) == 7
    with database.transaction(write=False) as s:
        c = s.scalars(select(Contact).where(Contact.last_name == "Card1999")).one()
        assert (c.first_name, c.primary_email, c.primary_phone) == (
            "Person", "card1999@example.com", "+14155551999")
