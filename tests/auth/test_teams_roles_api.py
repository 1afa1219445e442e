"""/teams and /roles: membership decides 'team' scope; custom roles, built-ins read-only."""

from __future__ import annotations

from typing import Any

from amity.core.db import Database
from tests.auth.world import build_world, fingerprint, make_records
from tests.factories import assert_problem


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_team_crud_and_membership_drive_team_scope(anon: Any, database: Database) -> None:
    w = build_world(database)
    root, rep = _h(w.tokens["root"]), _h(w.tokens["sales_rep"])
    theirs = make_records(database, w.ids["outsider"])
    url = f"/api/v1/contacts/{theirs['contact_id']}"
    assert anon.get(url, headers=rep).status_code == 404
    r = anon.post("/api/v1/teams", headers=root, json={
        "name": "Bakers", "manager_id": str(w.ids["manager"]),
        "member_ids": [str(w.ids["sales_rep"]), str(w.ids["outsider"])]})
    assert r.status_code == 201, r.text
    team = r.json()
    assert team["manager_id"] == str(w.ids["manager"])
    assert {m["id"] for m in team["members"]} == {str(w.ids["sales_rep"]),
                                                  str(w.ids["outsider"])}
    # the very next request sees the new membership
    assert anon.get(url, headers=rep).status_code == 200
    before = fingerprint(database)
    assert_problem(anon.post("/api/v1/teams", headers=root, json={"name": "bakers"}), 422,
                   field="name", code="team.exists")
    assert_problem(anon.put(f"/api/v1/teams/{team['id']}/members", headers=root,
                            json={"member_ids": [str(w.ids["mate"]), str(w.team_a)]}), 422,
                   field="member_ids.1")
    assert_problem(anon.post("/api/v1/teams", headers=rep, json={"name": "Mine"}), 403)
    assert fingerprint(database) == before
    r = anon.delete(f"/api/v1/teams/{team['id']}/members/{w.ids['outsider']}", headers=root)
    assert r.status_code == 200 and len(r.json()["members"]) == 1
    assert anon.get(url, headers=rep).status_code == 404
    assert_problem(anon.delete(f"/api/v1/teams/{team['id']}/members/{w.ids['outsider']}",
                               headers=root), 404)
    r = anon.post(f"/api/v1/teams/{team['id']}/members/{w.ids['outsider']}", headers=root)
    assert r.status_code == 200 and len(r.json()["members"]) == 2
    r = anon.put(f"/api/v1/teams/{team['id']}/members", headers=root,
                 json={"member_ids": [str(w.ids["mate"])]})
    assert [m["id"] for m in r.json()["members"]] == [str(w.ids["mate"])]
    r = anon.patch(f"/api/v1/teams/{team['id']}", headers=root,
                   json={"name": "Pastry", "manager_id": None})
    assert r.json()["name"] == "Pastry" and r.json()["manager_id"] is None
    names = [t["name"] for t in anon.get("/api/v1/teams", headers=rep).json()]
    assert names == ["Pastry", "Team A", "Team B"]
    assert anon.delete(f"/api/v1/teams/{team['id']}", headers=root).status_code == 204
    assert_problem(anon.get(f"/api/v1/teams/{team['id']}", headers=root), 404)


def test_a_manager_sees_the_teams_they_manage(anon: Any, database: Database) -> None:
    w = build_world(database)
    theirs = make_records(database, w.ids["outsider"])
    mgr = _h(w.tokens["manager"])
    url = f"/api/v1/contacts/{theirs['contact_id']}"
    assert anon.get(url, headers=mgr).status_code == 404
    assert anon.patch(f"/api/v1/teams/{w.team_b}", headers=_h(w.tokens["root"]),
                      json={"manager_id": str(w.ids["manager"])}).status_code == 200
    assert anon.get(url, headers=mgr).status_code == 200
    assert anon.patch(url, headers=mgr, json={"source": "managed"}).status_code == 200


def test_custom_roles_validated_and_applied_on_the_next_request(
        anon: Any, database: Database) -> None:
    w = build_world(database)
    root = _h(w.tokens["root"])
    before = fingerprint(database)
    bad = {"contacts": {"view": "everything"}}
    assert_problem(anon.post("/api/v1/roles", headers=root, json={
        "name": "odd", "permissions": bad}), 422, field="permissions.contacts.view",
        code="role.permissions")
    assert_problem(anon.post("/api/v1/roles", headers=root, json={
        "name": "odd", "permissions": {"contacts": {"fly": "all"}}}), 422,
        field="permissions.contacts")
    assert_problem(anon.post("/api/v1/roles", headers=root, json={
        "name": "odd", "permissions": {"boats": {"view": "all"}}}), 422, field="permissions")
    assert_problem(anon.post("/api/v1/roles", headers=root, json={
        "name": "Manager", "permissions": {}}), 422, field="name", code="role.exists")
    assert_problem(anon.post("/api/v1/roles", headers=root, json={
        "name": "odd", "permissions": {"fields": ["sensitive"]}}), 422,
        field="permissions.fields")
    assert fingerprint(database) == before
    r = anon.post("/api/v1/roles", headers=root, json={
        "name": "auditor", "description": "Reads nothing yet", "permissions": {}})
    assert r.status_code == 201, r.text
    role = r.json()
    assert role["permissions"]["contacts"]["view"] == "none" and not role["builtin"]
    assert role["permissions"]["fields"] == {"sensitive": False}
    assert anon.patch(f"/api/v1/users/{w.ids['mate']}", headers=root,
                      json={"role": "auditor"}).status_code == 200
    mate = _h(w.tokens["mate"])
    assert_problem(anon.get("/api/v1/contacts", headers=mate), 403)
    r = anon.patch(f"/api/v1/roles/{role['id']}", headers=root,
                   json={"permissions": {"contacts": {"view": "all"}}})
    assert r.status_code == 200, r.text
    assert anon.get("/api/v1/contacts", headers=mate).status_code == 200
    assert_problem(anon.delete(f"/api/v1/roles/{role['id']}", headers=root), 409,
                   code="role.in_use")
    assert anon.patch(f"/api/v1/users/{w.ids['mate']}", headers=root,
                      json={"role": "sales_rep"}).status_code == 200
    assert anon.delete(f"/api/v1/roles/{role['id']}", headers=root).status_code == 204
    assert_problem(anon.get(f"/api/v1/roles/{role['id']}", headers=root), 404)


def test_built_in_roles_are_read_only(anon: Any, database: Database) -> None:
    w = build_world(database)
    root = _h(w.tokens["root"])
    roles = anon.get("/api/v1/roles", headers=_h(w.tokens["read_only"])).json()
    builtin = {r["name"]: r for r in roles if r["builtin"]}
    assert set(builtin) == {"admin", "manager", "sales_rep", "support_agent", "read_only"}
    before = fingerprint(database)
    for role in builtin.values():
        assert_problem(anon.patch(f"/api/v1/roles/{role['id']}", headers=root,
                                  json={"description": "mine now"}), 422, code="role.builtin")
        assert_problem(anon.delete(f"/api/v1/roles/{role['id']}", headers=root), 422,
                       code="role.builtin")
    assert fingerprint(database) == before
    assert builtin["sales_rep"]["permissions"]["contacts"]["view"] == "team"
