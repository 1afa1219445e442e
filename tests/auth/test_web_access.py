"""The web pages that read or write records go through the same access checks as the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from amity.auth.models import User, WebSession
from amity.auth.service import hash_password
from amity.core.db import Database
from tests.auth.world import World, build_world, fingerprint, make_records
from tests.web.conftest import PASSWORD, csrf_of, sign_in

SECRET = "prefers window seats"


def _browser(app: Any, database: Database, w: World, who: str) -> TestClient:
    with database.transaction() as s:
        s.execute(update(User).where(User.id == w.ids[who]).values(
            password_hash=hash_password(PASSWORD)))
        email = s.get(User, w.ids[who]).email  # type: ignore[union-attr]
    web = TestClient(app, follow_redirects=False)
    r = sign_in(web, email)
    assert r.status_code == 303, r.text
    return web


def test_sales_rep_pages_follow_record_access(app: Any, anon: Any, database: Database) -> None:
    w = build_world(database)
    theirs = make_records(database, w.ids["outsider"])
    mine = make_records(database, w.ids["mate"])
    root = {"Authorization": f"Bearer {w.tokens['root']}"}
    anon.patch(f"/api/v1/contacts/{mine['contact_id']}", headers=root,
               json={"personal_notes": SECRET, "first_name": "Teammate"})
    anon.patch(f"/api/v1/contacts/{theirs['contact_id']}", headers=root,
               json={"first_name": "Hidden"})
    web = _browser(app, database, w, "sales_rep")
    listing = web.get("/contacts")
    assert listing.status_code == 200
    assert "Teammate" in listing.text and "Hidden" not in listing.text
    assert str(theirs["contact_id"]) not in listing.text
    found = web.get("/contacts", params={"q": "Hidden"}, headers={"HX-Request": "true"})
    assert "No contacts match" in found.text
    assert str(theirs["contact_id"]) not in found.text
    assert web.get(f"/contacts/{theirs['contact_id']}").status_code == 404
    page = web.get(f"/contacts/{mine['contact_id']}")
    assert page.status_code == 200 and "Teammate" in page.text
    assert SECRET not in page.text  # personal notes are not for sales reps
    assert 'href="/settings"' not in page.text
    assert web.get("/settings/users").status_code == 403
    token = csrf_of(web.get("/contacts/new").text)
    assert 'name="personal_notes"' not in web.get("/contacts/new").text
    before = fingerprint(database)
    r = web.post(f"/contacts/{theirs['contact_id']}/notes",
                 data={"body": "sneaky", "csrf_token": token})
    assert r.status_code == 404
    # a teammate's contact is readable, but a sales rep edits only their own
    r = web.post(f"/contacts/{mine['contact_id']}/notes",
                 data={"body": "sneaky", "csrf_token": token})
    assert r.status_code == 403
    r = web.post("/contacts", data={"first_name": "Crafted", "personal_notes": "x",
                                    "csrf_token": token})
    assert r.status_code == 403 and "personal_notes" in r.text
    assert fingerprint(database) == before
    r = web.post("/contacts", data={"first_name": "Fine", "csrf_token": token})
    assert r.status_code == 303
    mine_now = r.headers["location"]
    r = web.post(f"{mine_now}/notes", data={"body": "my note", "csrf_token": token})
    assert r.status_code == 303


def test_read_only_user_cannot_create_and_admin_sees_settings(
        app: Any, database: Database) -> None:
    w = build_world(database)
    ro = _browser(app, database, w, "read_only")
    assert ro.get("/contacts").status_code == 200
    assert ro.get("/contacts/new").status_code == 403
    before = fingerprint(database)
    token = csrf_of(ro.get("/contacts").text)
    assert ro.post("/contacts", data={"first_name": "X", "csrf_token": token}).status_code \
        == 403
    assert fingerprint(database) == before
    admin = _browser(app, database, w, "root")
    home = admin.get("/contacts")
    assert 'href="/settings"' in home.text
    users = admin.get("/settings/users")
    assert users.status_code == 200 and "outsider" in users.text
    teams = admin.get("/settings/teams")
    assert "Team A" in teams.text and "mate" in teams.text
    roles = admin.get("/settings/roles")
    assert "support_agent" in roles.text and "Built-in" in roles.text
    token = csrf_of(users.text)
    victim = _browser(app, database, w, "outsider")
    assert victim.get("/contacts").status_code == 200
    r = admin.post(f"/settings/users/{w.ids['outsider']}/deactivate",
                   data={"csrf_token": token})
    assert r.status_code == 303
    with database.transaction(write=False) as s:
        outsider = s.get(User, w.ids["outsider"])
        assert outsider is not None and not outsider.is_active
        rows = list(s.scalars(select(WebSession).where(WebSession.user_id == outsider.id)))
        assert rows and all(row.revoked_at is not None for row in rows)
    r = victim.get("/contacts")  # signed out at once
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    manager = _browser(app, database, w, "manager")  # settings.view, not users.edit
    assert manager.get("/settings/roles").status_code == 200
    before = fingerprint(database)
    r = manager.post(f"/settings/users/{w.ids['outsider']}/reactivate",
                     data={"csrf_token": csrf_of(manager.get("/settings/users").text)})
    assert r.status_code == 403
    assert fingerprint(database) == before
