"""The /imports screen (upload, mapping, preview, run, progress, errors, rollback), the
contact list's Export button, and `amity import` / `amity export`."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from amity.cli import app as cli_app
from amity.config import Settings, get_settings
from amity.contacts.models import Contact
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.dataio.models import DataImport
from amity.jobs.worker import run_until_idle
from tests.conftest import make_user
from tests.factories import count
from tests.web.conftest import csrf_of, page_csrf, sign_in

CSV = ("First Name;Last Name;E-mail Address;Mobile Phone\n"
       "ada;LOVELACE;ada@example.com;415 555 0123\n"
       "Bad;Row;nope;\n")


@pytest.fixture
def web(app: Any) -> Any:
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def signed_in(web: TestClient, database: Database) -> TestClient:
    user, _ = make_user(database, admin=True, email="sam@example.com")
    assert sign_in(web, user.email).status_code == 303
    return web


def test_import_screen_end_to_end(signed_in: TestClient, database: Database,
                                  settings: Settings) -> None:
    page = signed_in.get("/contacts").text
    assert 'href="/imports"' in page and 'id="export-contacts"' in page
    token = page_csrf(signed_in, "/imports")
    r = signed_in.post("/imports", data={"csrf_token": token, "entity": "contacts"},
                       files={"file": ("people.csv", CSV.encode())})
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    page = signed_in.get(url).text
    assert 'delimiter “;”' in page and '<option value="phone:mobile" selected>' in page
    assert '<option value="" selected>Automatic: in bulk from 5,000 rows</option>' in page
    form = {"csrf_token": csrf_of(page), "col-0": "first_name", "col-1": "last_name",
            "col-2": "email", "col-3": "phone:mobile", "match": "update_empty", "bulk": "off"}
    r = signed_in.post(f"{url}/mapping", data={**form, "action": "preview"})
    assert r.status_code == 200
    assert "Would create 1, update 0, skip 0; 1 row(s) with errors." in r.text
    assert count(database, Contact) == 0
    assert '<option value="off" selected>' in r.text
    r = signed_in.post(f"{url}/mapping", data={**form, "action": "run"})
    assert r.status_code == 303
    assert 'hx-trigger="every 1s"' in signed_in.get(url).text  # queued: the bar polls
    run_until_idle(database, settings)
    progress = signed_in.get(f"{url}/progress").text
    assert "hx-trigger" not in progress and "created 1" in progress and "errors 1" in progress
    errors = signed_in.get(f"{url}/errors.csv")
    rows = list(csv.reader(io.StringIO(errors.text.lstrip("\ufeff"))))
    assert rows[1][:3] == ["Bad", "Row", "nope"]
    with database.transaction(write=False) as s:
        [ada] = s.scalars(select(Contact)).all()
        assert (ada.first_name, ada.last_name, ada.primary_phone) == (
            "Ada", "Lovelace", "+14155550123")
    exported = signed_in.get("/export/contacts?format=csv")
    assert exported.status_code == 200 and "ada@example.com" in exported.text
    r = signed_in.post(f"{url}/rollback", data={"csrf_token": csrf_of(progress) if
                                                "csrf_token" in progress else
                                                page_csrf(signed_in, url)})
    assert r.status_code == 303
    run_until_idle(database, settings)
    assert "rolled_back" in signed_in.get(url).text
    with database.transaction(write=False) as s:
        assert s.scalars(select(Contact).where(Contact.deleted_at.is_(None))).all() == []


def test_sales_rep_sees_no_export_button(web: TestClient, database: Database) -> None:
    rep, _ = make_user(database, email="rep@example.com")
    assert sign_in(web, rep.email).status_code == 303
    page = web.get("/contacts").text
    assert 'id="export-contacts"' not in page and 'href="/imports"' in page
    assert web.get("/export/contacts").status_code == 403


def test_cli_import_and_export(database: Database, settings: Settings, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(database, admin=True, email="boss@example.com")
    for key, value in (("DATABASE_URL", str(database.engine.url.render_as_string(
            hide_password=False))), ("IMPORT_DIR", str(tmp_path / "imp")),
                       ("ENVIRONMENT", "test")):
        monkeypatch.setenv(f"AMITY_{key}", value)
    get_settings.cache_clear()
    src = tmp_path / "people.csv"
    src.write_text(CSV)
    runner = CliRunner()
    r = runner.invoke(cli_app, ["import", str(src), "--entity", "contacts", "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "create 1" in r.output and "error 1" in r.output
    assert count(database, Contact) == 0
    r = runner.invoke(cli_app, ["import", str(src), "--entity", "contacts", "--bulk"])
    assert r.exit_code == 1, r.output  # one row refused
    assert "created 1" in r.output and "errors 1" in r.output
    assert count(database, Contact) == 1
    with database.transaction(write=False) as s:
        [imp] = s.scalars(select(DataImport)).all()
        assert imp.options["bulk"] is True
        assert s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_id == imp.id, AuditEntry.action == "bulk_create")).all() == [
                "bulk_create"]
    out = tmp_path / "out.csv"
    r = runner.invoke(cli_app, ["export", "contacts", "--format", "csv", "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    assert [(x["first_name"], x["phones"]) for x in rows] == [("Ada", "'+14155550123")]
    get_settings.cache_clear()

