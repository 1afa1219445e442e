"""Exports: formats, the list filters, record-level access, formula injection neutralised in
CSV, XLSX and the error file, and large exports written by a job."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import vobject
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from amity.config import Settings
from amity.core.db import Database
from amity.dataio.export import safe_cell
from amity.jobs.worker import run_until_idle
from tests.conftest import make_user
from tests.dataio.conftest import run_import, upload
from tests.factories import assert_problem, make_company, make_contact

EVIL = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


def _csv(r: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_safe_cell() -> None:
    assert [safe_cell(v) for v in EVIL] == ["'" + v for v in EVIL]
    assert safe_cell("Ada") == "Ada" and safe_cell(5) == 5 and safe_cell("") == ""


def test_csv_and_xlsx_neutralise_formulas(client: TestClient, tmp_path: Path) -> None:
    stored = EVIL[:4]  # names are trimmed on input: a leading tab or CR cannot be stored
    for i, evil in enumerate(stored):
        make_contact(client, first_name=evil, last_name=f"Evil{i}", job_title="=1+1")
    r = client.get("/api/v1/exports/contacts?format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = _csv(r)
    assert sorted(row["first_name"] for row in rows) == sorted("'" + v for v in stored)
    assert {row["job_title"] for row in rows} == {"'=1+1"}

    r = client.get("/api/v1/exports/contacts?format=xlsx")
    assert r.status_code == 200
    path = tmp_path / "x.xlsx"
    path.write_bytes(r.content)
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    col = header.index("first_name")
    values = [row[col].value for row in ws.iter_rows(min_row=2)]
    assert sorted(values) == sorted("'" + v for v in stored)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.value


def test_formats_and_filters(client: TestClient) -> None:
    acme = make_company(client, name="Acme", domain="acme.example")
    make_contact(client, first_name="Ann", last_name="Lee", lifecycle_stage="customer",
                 emails=[{"email": "ann@acme.example"}], phones=[{"number": "4155550123"}],
                 company_id=acme["id"], tags=["vip"], birthday="1990-05-17")
    make_contact(client, first_name="Bob", last_name="Ray", lifecycle_stage="lead")
    rows = _csv(client.get("/api/v1/exports/contacts?format=csv&lifecycle_stage=customer"))
    assert [(r["first_name"], r["emails"], r["phones"], r["company"], r["tags"],
             r["birthday"]) for r in rows] == [
        ("Ann", "ann@acme.example", "'+14155550123", "Acme", "vip", "1990-05-17")]
    assert len(_csv(client.get("/api/v1/exports/contacts?tag=vip"))) == 1
    data = client.get("/api/v1/exports/contacts?format=json").json()
    assert sorted(d["first_name"] for d in data) == ["Ann", "Bob"]
    cards = list(vobject.readComponents(client.get(
        "/api/v1/exports/contacts?format=vcard&lifecycle_stage=customer").text))
    assert [c.fn.value for c in cards] == ["Ann Lee"]
    assert cards[0].email.value == "ann@acme.example" and cards[0].org.value == ["Acme"]
    comp = _csv(client.get("/api/v1/exports/companies?format=csv"))
    assert [(c["name"], c["domain"]) for c in comp] == [("Acme", "acme.example")]
    assert_problem(client.get("/api/v1/exports/contacts?format=pdf"), 422)
    assert_problem(client.get("/api/v1/exports/contacts?created_after=2024-01-01T00:00:00"),
                   422, "created_after")


def test_export_respects_access(client: TestClient, app: Any, database: Database) -> None:
    make_contact(client, first_name="Admins")
    _, rep_token = make_user(database)  # sales rep: no export permission
    with TestClient(app) as rep:
        rep.headers["Authorization"] = f"Bearer {rep_token}"
        assert_problem(rep.get("/api/v1/exports/contacts"), 403)
        assert_problem(rep.get("/api/v1/exports/companies"), 403)


def test_large_export_runs_as_a_job(client: TestClient, database: Database,
                                    settings: Settings) -> None:
    lines = ["First Name,Email"] + [f"P{i},p{i}@example.com" for i in range(1005)]
    imp = upload(client, "big.csv", "\n".join(lines).encode())
    assert run_import(client, database, settings, imp["id"])["created_count"] == 1005
    r = client.get("/api/v1/exports/contacts?format=csv")
    assert r.status_code == 202, r.text
    exp = r.json()
    assert exp["status"] == "queued" and r.headers["location"] == f"/api/v1/exports/{exp['id']}"
    assert_problem(client.get(f"/api/v1/exports/{exp['id']}/download"), 409)
    run_until_idle(database, settings)
    done = client.get(f"/api/v1/exports/{exp['id']}").json()
    assert done["status"] == "done" and done["row_count"] == 1005
    assert done["download_url"] == f"/api/v1/exports/{exp['id']}/download"
    got = client.get(done["download_url"])
    assert got.status_code == 200
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert len(rows) == 1005 and {r["emails"] for r in rows} == {
        f"p{i}@example.com" for i in range(1005)}
    r = client.get("/api/v1/exports/contacts?format=json")
    assert r.status_code == 202


def test_error_file_neutralises_formulas(client: TestClient, database: Database,
                                         settings: Settings) -> None:
    imp = upload(client, "e.csv", b"Name,Email\n=cmd|' /C calc'!A0,not-an-email\n"
                                  b"\"\tTab\",@x\n\"\rCR\",+1\n")
    done = run_import(client, database, settings, imp["id"])
    assert done["error_count"] == 3
    rows = list(csv.reader(io.StringIO(client.get(
        f"/api/v1/imports/{imp['id']}/errors.csv").text.lstrip("\ufeff"))))
    assert [r[:2] for r in rows[1:]] == [["'=cmd|' /C calc'!A0", "not-an-email"],
                                         ["'\tTab", "'@x"], ["'\rCR", "'+1"]]
    assert json.dumps(rows)  # plain strings only
