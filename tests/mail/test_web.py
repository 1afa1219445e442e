"""Settings → Mailboxes in the web UI: add (with refusals shown on the form), edit keeping the
password when left empty, test against the real IMAP server, poll now, delete; only for those
who may change settings."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.auth.models import Role, User
from amity.core.db import Database
from amity.jobs.models import Job
from amity.mail.models import Mailbox
from tests.conftest import make_user
from tests.mail.conftest import PASSWORD, USER, Imap
from tests.web.conftest import page_csrf, sign_in


def mailboxes(database: Database) -> list[Mailbox]:
    with database.transaction() as s:
        rows = list(s.scalars(select(Mailbox).order_by(Mailbox.name)))
        s.expunge_all()
        return rows


def test_mailboxes_settings_tab(signed_in: TestClient, database: Database,
                                imap_server: Imap) -> None:
    assert 'href="/settings/mailboxes"' in signed_in.get("/settings/users").text
    token = page_csrf(signed_in, "/settings/mailboxes/new")
    folder = imap_server.new_folder()
    form = {"csrf_token": token, "name": "Support", "host": "imap.example.com", "port": "",
            "security": "none", "username": USER, "password": PASSWORD, "folder": folder,
            "purpose": "tickets", "enabled": "on"}
    r = signed_in.post("/settings/mailboxes", data=form)
    assert r.status_code == 422 and 'id="security-error"' in r.text
    assert PASSWORD not in r.text and mailboxes(database) == []
    r = signed_in.post("/settings/mailboxes", data={**form, "host": "127.0.0.1",
                                                    "port": str(imap_server.port)})
    assert r.status_code == 303
    [m] = mailboxes(database)
    assert (m.host, m.port, m.security, m.enabled, m.password) == (
        "127.0.0.1", imap_server.port, "none", True, PASSWORD)
    page = signed_in.get("/settings/mailboxes").text
    assert "Support" in page and "Not polled yet" in page and PASSWORD not in page

    r = signed_in.post(f"/settings/mailboxes/{m.id}/test", data={"csrf_token": token})
    assert r.status_code == 200 and "Connected: the folder holds 0 messages" in r.text

    edit = signed_in.get(f"/settings/mailboxes/{m.id}").text
    assert PASSWORD not in edit
    r = signed_in.post(f"/settings/mailboxes/{m.id}", data={
        **form, "host": "127.0.0.1", "port": str(imap_server.port), "password": "",
        "name": "Help desk", "version": str(m.version)})
    assert r.status_code == 303
    [m] = mailboxes(database)
    assert m.name == "Help desk" and m.password == PASSWORD  # empty: kept

    r = signed_in.post(f"/settings/mailboxes/{m.id}/poll", data={"csrf_token": token})
    assert r.status_code == 303
    with database.transaction(write=False) as s:
        assert s.scalar(select(Job.kind).where(Job.kind == "mail.poll")) == "mail.poll"
    r = signed_in.post(f"/settings/mailboxes/{m.id}", data={
        **form, "host": "127.0.0.1", "port": "99999", "version": str(m.version)})
    assert r.status_code == 422 and 'id="port-error"' in r.text
    r = signed_in.post(f"/settings/mailboxes/{m.id}/delete", data={"csrf_token": token})
    assert r.status_code == 303
    assert "No mailboxes yet" in signed_in.get("/settings/mailboxes").text


def test_mailboxes_need_settings_edit(web: TestClient, database: Database) -> None:
    manager, _ = make_user(database, email="manager@example.com")
    with database.transaction() as s:
        role = s.scalar(select(Role).where(Role.name == "manager"))
        u = s.get(User, manager.id)
        assert role is not None and u is not None
        u.role_id = role.id
    assert sign_in(web, "manager@example.com").status_code == 303
    assert 'href="/settings/mailboxes"' not in web.get("/settings/users").text
    assert web.get("/settings/mailboxes").status_code == 403
