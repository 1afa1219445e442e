"""Exports from the contact list: the ticked rows, every contact matching the list's filters
(or its search), and the list as shown (GET /contacts/export), as CSV, XLSX or vCard. Only
records the user may export are written; each export is audited; a large one is written by
the export job."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from amity.auth.models import Role, User
from amity.auth.roles import create_role
from amity.config import Settings
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.dataio.models import DataExport
from amity.jobs.worker import run_until_idle
from tests.conftest import make_user
from tests.web.conftest import page_csrf, sign_in


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=str(database.engine.url),
                    secret_key="test-secret-key-that-is-long-enough-0123456789",
                    default_region="US", export_dir=tmp_path / "exports",
                    export_sync_max_rows=4, jobs_backoff_base_s=0.01, jobs_backoff_max_s=0.01)


def _contacts(client: TestClient, owner: uuid.UUID | None = None) -> dict[str, str]:
    made = {}
    for first, last, stage, tags in (("Ada", "Lovelace", "customer", ["vip"]),
                                     ("Bob", "Baker", "lead", []),
                                     ("Cy", "Cole", "customer", []),
                                     ("Di", "Dunn", "lead", ["vip"])):
        body: dict[str, Any] = {"first_name": first, "last_name": last,
                                "lifecycle_stage": stage, "tags": tags,
                                "emails": [{"email": f"{first.lower()}@example.com"}]}
        if owner:
            body["owner_id"] = str(owner)
        r = client.post("/api/v1/contacts", json=body)
        assert r.status_code == 201, r.text
        made[first] = r.json()["id"]
    return made


def _csv_names(body: bytes) -> list[str]:
    rows = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
    return sorted(r["first_name"] for r in rows)


def _exports(database: Database) -> list[AuditEntry]:
    with database.transaction() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "export")))


def test_export_ticked_rows_and_all_matching(signed_in: TestClient, client: TestClient,
                                             database: Database) -> None:
    ids = _contacts(client)
    page = signed_in.get("/contacts").text
    assert '<option value="export">Export</option>' in page and 'name="format"' in page
    token = page_csrf(signed_in)
    r = signed_in.post("/contacts/bulk", data={
        "csrf_token": token, "action": "export", "format": "csv",
        "ids": [ids["Ada"], ids["Cy"]]})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="contacts.csv"'
    assert _csv_names(r.content) == ["Ada", "Cy"]
    # every contact matching the list's filters (stage lead), as vCard
    r = signed_in.post("/contacts/bulk", data={
        "csrf_token": token, "action": "export", "format": "vcard", "all_matching": "1",
        "query": "stage=lead"})
    assert r.status_code == 200 and r.text.count("BEGIN:VCARD") == 2
    assert "FN:Bob Baker" in r.text and "FN:Di Dunn" in r.text
    # the list's search: the contacts it finds, as XLSX
    r = signed_in.post("/contacts/bulk", data={
        "csrf_token": token, "action": "export", "format": "xlsx", "all_matching": "1",
        "query": "q=lovelace"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert len(rows) == 2 and rows[1][1] == "Ada"
    entries = _exports(database)
    assert sorted(e.changes["records"][1] for e in entries) == [1, 2, 2]
    assert sorted(e.changes["format"][1] for e in entries) == ["csv", "vcard", "xlsx"]
    ticked = next(e for e in entries if e.changes["format"][1] == "csv")
    assert sorted(ticked.changes["filters"][1]["ids"]) == sorted([ids["Ada"], ids["Cy"]])
    # nothing ticked, a bad format: a clear 4xx, no export and no audit entry
    r = signed_in.post("/contacts/bulk", data={"csrf_token": token, "action": "export"})
    assert r.status_code == 422 and "Tick the contacts to export" in r.text
    r = signed_in.post("/contacts/bulk", data={"csrf_token": token, "action": "export",
                                               "format": "pdf", "ids": [ids["Ada"]]})
    assert r.status_code == 422 and "CSV, Excel or vCard" in r.text
    assert len(_exports(database)) == 3


def test_export_the_list_as_shown(signed_in: TestClient, client: TestClient,
                                  web_user: User, database: Database) -> None:
    other, _ = make_user(database, email="other@example.com")
    _contacts(client)
    r = client.post("/api/v1/contacts", json={"first_name": "Eve", "lifecycle_stage": "lead",
                                              "owner_id": str(other.id)})
    assert r.status_code == 201
    # the Export menu carries the list's search and filters, owner included
    page = signed_in.get("/contacts", params={"stage": "lead", "owner": str(other.id),
                                              "sort": "-name"}).text
    assert (f'href="/contacts/export?format=xlsx&amp;stage=lead&amp;owner={other.id}"'
            in page)
    r = signed_in.get("/contacts/export", params={"format": "csv", "stage": "lead",
                                                  "owner": str(other.id)})
    assert r.status_code == 200 and _csv_names(r.content) == ["Eve"]
    r = signed_in.get("/contacts/export", params={"format": "csv", "tag": "vip"})
    assert _csv_names(r.content) == ["Ada", "Di"]
    r = signed_in.get("/contacts/export", params={"q": "dunn"})
    assert _csv_names(r.content) == ["Di"]
    # a search that finds nobody exports nobody (not everyone)
    r = signed_in.get("/contacts/export", params={"q": "zzzzqqq"})
    assert r.status_code == 200 and _csv_names(r.content) == []
    assert signed_in.get("/contacts/export", params={"owner": "nobody"}).status_code == 422


def test_exports_hold_only_what_the_user_may_export(web: TestClient, client: TestClient,
                                                    database: Database) -> None:
    """A role that sees every contact but exports only its own: ticking a colleague's
    contact exports nothing of theirs. A role without export is refused (403)."""
    rep, _ = make_user(database, email="rep@example.com")
    with database.transaction() as s:
        root = s.scalar(select(User).where(User.is_admin.is_(True)))
        assert root is not None
        role = create_role(s, name="Exporter", description=None, actor=root, permissions={
            "contacts": {"view": "all", "edit": "own", "export": "own"}})
        s.get(User, rep.id).role_id = role.id  # type: ignore[union-attr]
    others = _contacts(client)
    mine = client.post("/api/v1/contacts", json={"first_name": "Mo",
                                                 "owner_id": str(rep.id)}).json()["id"]
    assert sign_in(web, "rep@example.com").status_code == 303
    token = page_csrf(web)
    r = web.post("/contacts/bulk", data={"csrf_token": token, "action": "export",
                                         "ids": [mine, others["Ada"], others["Bob"]]})
    assert r.status_code == 200 and _csv_names(r.content) == ["Mo"]
    r = web.get("/contacts/export")
    assert _csv_names(r.content) == ["Mo"]
    with database.transaction() as s:
        role_obj = s.get(Role, role.id)
        assert role_obj is not None
        role_obj.permissions = {**role_obj.permissions,
                                "contacts": {**role_obj.permissions["contacts"],
                                             "export": "none"}}
    before = len(_exports(database))
    assert web.get("/contacts/export").status_code == 403
    r = web.post("/contacts/bulk", data={"csrf_token": token, "action": "export",
                                         "ids": [mine]})
    assert r.status_code == 403 and len(_exports(database)) == before
    assert '<option value="export">' not in web.get("/contacts").text


def test_a_large_export_is_written_by_the_job(signed_in: TestClient, client: TestClient,
                                              database: Database, settings: Settings) -> None:
    _contacts(client)
    client.post("/api/v1/contacts", json={"first_name": "Eve", "lifecycle_stage": "lead"})
    token = page_csrf(signed_in)
    r = signed_in.post("/contacts/bulk", data={
        "csrf_token": token, "action": "export", "format": "csv", "all_matching": "1",
        "query": ""})
    assert r.status_code == 200 and "Export in preparation" in r.text
    with database.transaction() as s:
        exp = s.scalar(select(DataExport))
        assert exp is not None and exp.status == "queued"
        exp_id = exp.id
    run_until_idle(database, settings)
    got = signed_in.get(f"/export/file/{exp_id}")
    assert got.status_code == 200 and len(_csv_names(got.content)) == 5


def test_api_exports_chosen_contacts(client: TestClient, database: Database) -> None:
    ids = _contacts(client)
    r = client.get("/api/v1/exports/contacts", params={"format": "csv",
                                                       "id": [ids["Ada"], ids["Di"]]})
    assert r.status_code == 200 and _csv_names(r.content) == ["Ada", "Di"]
    # the other filters still apply
    r = client.get("/api/v1/exports/contacts", params={"id": [ids["Ada"], ids["Di"]],
                                                       "lifecycle_stage": "lead"})
    assert _csv_names(r.content) == ["Di"]
    entry = max(_exports(database), key=lambda e: e.at)
    assert sorted(entry.changes["filters"][1]["ids"]) == sorted([ids["Ada"], ids["Di"]])
    r = client.get("/api/v1/exports/contacts", params={"id": "not-a-uuid"})
    assert r.status_code == 422
    r = client.get("/api/v1/exports/contacts",
                   params={"id": [str(uuid.uuid4()) for _ in range(501)]})
    assert r.status_code == 422
