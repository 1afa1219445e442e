"""/users: create or invite, role changes, deactivation (with reassignment), last-admin rule."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from amity.auth.models import Role, User
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.core.events import EventRecord
from tests.auth.world import build_world, fingerprint, make_records
from tests.factories import assert_problem


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_create_with_password_or_invite_with_a_role(anon: Any, database: Database) -> None:
    w = build_world(database)
    root = _h(w.tokens["root"])
    r = anon.post("/api/v1/users", headers=root, json={
        "email": "Kim@Example.com", "name": "Kim", "password": "long enough password",
        "role": "manager"})
    assert r.status_code == 201, r.text
    kim = r.json()
    assert kim["email"] == "kim@example.com" and kim["role"] == "manager"
    assert kim["is_active"] and not kim["is_admin"]
    invited = anon.post("/api/v1/users", headers=root,
                        json={"email": "lee@example.com", "name": "Lee"}).json()
    assert invited["role"] == "sales_rep"
    with database.transaction(write=False) as s:
        lee = s.scalar(select(User).where(User.email == "lee@example.com"))
        assert lee is not None and lee.password_hash is None  # sets it through a reset
    before = fingerprint(database)
    assert_problem(anon.post("/api/v1/users", headers=root, json={
        "email": "x@example.com", "name": "X", "role": "wizard"}), 422, field="role",
        code="role.not_found")
    assert_problem(anon.post("/api/v1/users", headers=root, json={
        "email": "KIM@example.com", "name": "Again"}), 422, field="email", code="user.exists")
    assert_problem(anon.post("/api/v1/users", headers=root, json={
        "email": "not-an-email", "name": "X"}), 422, field="email")
    assert fingerprint(database) == before
    assert anon.get(f"/api/v1/users/{kim['id']}", headers=_h(w.tokens["read_only"])).json()[
        "name"] == "Kim"


def _custom_user_manager(anon: Any, database: Database, w: Any) -> dict[str, str]:
    """A non-admin who may edit users: role 'hr' (users.edit all, contacts view own)."""
    root = _h(w.tokens["root"])
    r = anon.post("/api/v1/roles", headers=root, json={"name": "hr", "permissions": {
        "users": {"view": "all", "edit": "all"}, "contacts": {"view": "own"}}})
    assert r.status_code == 201, r.text
    assert anon.patch(f"/api/v1/users/{w.ids['mate']}", headers=root,
                      json={"role": "hr"}).status_code == 200
    return _h(w.tokens["mate"])


def test_no_escalation_by_non_administrators(anon: Any, database: Database) -> None:
    w = build_world(database)
    hr = _custom_user_manager(anon, database, w)
    before = fingerprint(database)
    assert_problem(anon.post("/api/v1/users", headers=hr, json={
        "email": "boss@example.com", "name": "Boss", "is_admin": True}), 403)
    assert_problem(anon.post("/api/v1/users", headers=hr, json={
        "email": "boss@example.com", "name": "Boss", "role": "manager"}), 403)
    assert_problem(anon.patch(f"/api/v1/users/{w.ids['mate']}", headers=hr,
                              json={"role": "admin"}), 403)
    assert_problem(anon.patch(f"/api/v1/users/{w.ids['outsider']}", headers=hr,
                              json={"is_admin": True}), 403)
    assert_problem(anon.patch(f"/api/v1/users/{w.ids['root']}", headers=hr,
                              json={"name": "Pwned"}), 403)
    assert_problem(anon.post(f"/api/v1/users/{w.ids['root']}/deactivate", headers=hr), 403)
    assert fingerprint(database) == before
    # a role no wider than their own is fine
    r = anon.post("/api/v1/users", headers=hr, json={"email": "p@example.com", "name": "P",
                                                      "role": "hr"})
    assert r.status_code == 201, r.text


def test_deactivate_stops_tokens_at_once_and_reassigns_records(
        anon: Any, database: Database) -> None:
    w = build_world(database)
    root = _h(w.tokens["root"])
    rep_id, mate_id = w.ids["sales_rep"], w.ids["mate"]
    recs = [make_records(database, rep_id) for _ in range(3)]
    assert anon.get("/api/v1/users/me", headers=_h(w.tokens["sales_rep"])).status_code == 200
    old_version = anon.get(f"/api/v1/contacts/{recs[0]['contact_id']}", headers=root).json()[
        "version"]
    r = anon.post(f"/api/v1/users/{rep_id}/deactivate", headers=root,
                  json={"reassign_to": str(mate_id)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reassigned"] == {"contacts": 3, "companies": 3}
    assert body["user"]["is_active"] is False and body["user"]["deactivated_at"]
    assert_problem(anon.get("/api/v1/users/me", headers=_h(w.tokens["sales_rep"])), 401)
    for rec in recs:
        c = anon.get(f"/api/v1/contacts/{rec['contact_id']}", headers=root).json()
        assert c["owner_id"] == str(mate_id) and c["version"] == old_version + 1
        co = anon.get(f"/api/v1/companies/{rec['company_id']}", headers=root).json()
        assert co["owner_id"] == str(mate_id)
    with database.transaction(write=False) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "reassign"))
        assert entry is not None and entry.entity_id == rep_id
        assert entry.changes["contacts"] == [None, 3] and entry.changes["companies"] == [None, 3]
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "deactivate"))
        assert s.scalar(select(EventRecord).where(
            EventRecord.type == "user.records_reassigned"))
    # a stale edit of a moved record is refused
    assert_problem(anon.patch(f"/api/v1/contacts/{recs[0]['contact_id']}", headers=root,
                              json={"source": "x", "version": old_version}), 412)
    r = anon.post(f"/api/v1/users/{rep_id}/reactivate", headers=root)
    assert r.status_code == 200 and r.json()["is_active"] and not r.json()["deactivated_at"]
    assert anon.get("/api/v1/users/me", headers=_h(w.tokens["sales_rep"])).status_code == 200


def test_reassign_only_the_entities_asked(anon: Any, database: Database) -> None:
    w = build_world(database)
    root = _h(w.tokens["root"])
    rec = make_records(database, w.ids["outsider"])
    before = fingerprint(database)
    url = f"/api/v1/users/{w.ids['outsider']}/reassign"
    assert_problem(anon.post(url, headers=root, json={"to": str(w.ids["outsider"])}), 422,
                   field="to")
    assert_problem(anon.post(url, headers=root, json={"to": str(w.ids["mate"]),
                                                      "entities": ["deals"]}), 422)
    assert anon.post(f"/api/v1/users/{w.ids['mate']}/deactivate", headers=root).status_code \
        == 200
    before = fingerprint(database)
    assert_problem(anon.post(url, headers=root, json={"to": str(w.ids["mate"])}), 422,
                   field="to", code="user.not_found")
    assert fingerprint(database) == before
    r = anon.post(url, headers=root, json={"to": str(w.ids["root"]), "entities": ["contacts"]})
    assert r.status_code == 200 and r.json()["reassigned"] == {"contacts": 1}
    assert anon.get(f"/api/v1/contacts/{rec['contact_id']}", headers=root).json()[
        "owner_id"] == str(w.ids["root"])
    assert anon.get(f"/api/v1/companies/{rec['company_id']}", headers=root).json()[
        "owner_id"] == str(w.ids["outsider"])


def test_self_deactivation_and_the_last_administrator(anon: Any, database: Database) -> None:
    w = build_world(database)
    root_h, admin_h = _h(w.tokens["root"]), _h(w.tokens["admin"])
    before = fingerprint(database)
    assert_problem(anon.post(f"/api/v1/users/{w.ids['root']}/deactivate", headers=root_h), 422,
                   code="user.self")
    assert fingerprint(database) == before
    # two administrators: one may demote the other, then the last one cannot be demoted
    r = anon.patch(f"/api/v1/users/{w.ids['admin']}", headers=root_h,
                   json={"is_admin": False, "role": "manager"})
    assert r.status_code == 200 and r.json()["role"] == "manager", r.text
    before = fingerprint(database)
    assert_problem(anon.patch(f"/api/v1/users/{w.ids['root']}", headers=root_h,
                              json={"is_admin": False, "role": "sales_rep"}), 422,
                   code="user.last_admin")
    assert fingerprint(database) == before
    assert_problem(anon.patch(f"/api/v1/users/{w.ids['root']}", headers=admin_h,
                              json={"is_admin": False}), 403)
    with database.transaction(write=False) as s:
        root = s.get(User, w.ids["root"])
        assert root is not None and root.is_admin and root.is_active
        assert root.role is not None and root.role.name == "admin"
        assert s.scalar(select(Role.builtin).where(Role.name == "admin"))
