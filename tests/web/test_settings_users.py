"""Settings > Users: add or invite a user, change a role, deactivate handing the records on;
refused changes are shown next to their form and change nothing; the audit log has each."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.auth.models import User
from amity.contacts.models import Contact
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.audit import AuditEntry
from amity.core.db import Database
from tests.conftest import make_user
from tests.web.conftest import PASSWORD, page_csrf, sign_in


def _user(database: Database, email: str) -> User:
    with database.transaction() as s:
        u = s.scalar(select(User).where(User.email == email))
        assert u is not None
        s.expunge(u)
        return u


def _audits(database: Database, action: str) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_type == "user", AuditEntry.action == action,
            AuditEntry.actor_id.is_not(None))) or 0)


def test_add_invite_change_role_and_deactivate_with_reassignment(
        signed_in: TestClient, database: Database, web_user: User) -> None:
    token = page_csrf(signed_in, "/settings/users")
    r = signed_in.post("/settings/users", data={
        "csrf_token": token, "name": "Ada Lovelace", "email": "ada@example.com",
        "role": "sales_rep", "password": "a long enough password"})
    assert r.status_code == 303 and r.headers["location"].endswith("notice=created")
    r = signed_in.post("/settings/users", data={
        "csrf_token": token, "name": "Bob Invited", "email": "bob@example.com",
        "role": "sales_rep"})
    assert r.status_code == 303 and r.headers["location"].endswith("notice=invited")
    bob = _user(database, "bob@example.com")
    assert bob.password_hash is None  # invited: chooses a password through a reset
    assert _audits(database, "create") == 2

    ada = _user(database, "ada@example.com")
    r = signed_in.post(f"/settings/users/{ada.id}/role",
                       data={"csrf_token": token, "role": "manager"})
    assert r.status_code == 303
    page = signed_in.get("/settings/users").text
    assert "Ada Lovelace" in page and 'value="manager" selected' in page

    with database.transaction() as s:
        create_contact(s, data=ContactCreate.model_validate({"first_name": "Owned"}),
                       actor=s.get(User, ada.id))
    r = signed_in.post(f"/settings/users/{ada.id}/deactivate",
                       data={"csrf_token": token, "reassign_to": str(web_user.id)})
    assert r.status_code == 303
    with database.transaction() as s:
        contact = s.scalar(select(Contact).where(Contact.first_name == "Owned"))
        assert contact is not None and contact.owner_id == web_user.id
        assert s.get(User, ada.id).is_active is False  # type: ignore[union-attr]
    assert _audits(database, "deactivate") == 1 and _audits(database, "reassign") == 1
    # the deactivated user can no longer sign in
    assert sign_in(TestClient(signed_in.app, follow_redirects=False), "ada@example.com",
                   "a long enough password").status_code != 303


def test_refused_changes_are_shown_inline_and_change_nothing(
        signed_in: TestClient, database: Database, web_user: User) -> None:
    token = page_csrf(signed_in, "/settings/users")
    r = signed_in.post("/settings/users", data={
        "csrf_token": token, "name": "", "email": "x", "role": "sales_rep"})
    assert r.status_code == 422
    assert 'aria-invalid="true" aria-describedby="new.email-error"' in r.text
    r = signed_in.post("/settings/users", data={
        "csrf_token": token, "name": "Again", "email": web_user.email, "role": "sales_rep"})
    assert r.status_code == 422 and "already exists" in r.text
    r = signed_in.post("/settings/users", data={
        "csrf_token": token, "name": "Nope", "email": "nope@example.com", "role": "no_such"})
    assert r.status_code in (404, 422)
    other, _ = make_user(database, email="other@example.com")
    r = signed_in.post(f"/settings/users/{other.id}/deactivate",
                       data={"csrf_token": token, "reassign_to": "not-a-uuid"})
    assert r.status_code == 422 and 'role="alert"' in r.text
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 2
        assert s.get(User, other.id).is_active  # type: ignore[union-attr]
    # without the CSRF token nothing happens
    r = signed_in.post("/settings/users", data={"name": "X", "email": "x@example.com"})
    assert r.status_code == 403


def test_a_user_without_users_edit_cannot_add_users(web: TestClient,
                                                    database: Database) -> None:
    rep, _ = make_user(database, email="rep@example.com")
    assert sign_in(web, rep.email, PASSWORD).status_code == 303
    token = page_csrf(web, "/contacts")
    r = web.post("/settings/users", data={"csrf_token": token, "name": "X",
                                          "email": "x@example.com", "role": "sales_rep"})
    assert r.status_code == 403
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1
