"""Settings > Teams, Roles and Custom fields as screens: create and edit teams and their
members, custom roles with their per-entity scopes, and edit/archive/delete field
definitions. Each refusal is shown next to the field that caused it and changes nothing."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.auth.models import Role, Team, User
from amity.core.audit import AuditEntry
from amity.core.customfields import CustomFieldDefinition
from amity.core.db import Database
from tests.conftest import make_user
from tests.web.conftest import page_csrf, sign_in


def _error_next_to(html: str, name: str) -> str:
    """The message shown for field ``name``, checked to sit right after that field."""
    # the field, marked invalid, then its message before any other field begins
    match = re.search(rf'name="{re.escape(name)}"[^>]*aria-describedby="{name}-error"[^>]*>'
                      r'(?:(?!name=")[\s\S]){0,4000}?'
                      rf'<p class="field-error" id="{name}-error">([^<]+)</p>', html)
    assert match, f"no error next to {name}"
    return match.group(1)


def _count(database: Database, model: type) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_create_and_edit_a_team_with_members(signed_in: TestClient, database: Database,
                                             web_user: User) -> None:
    ann, _ = make_user(database, email="ann@example.com")
    bob, _ = make_user(database, email="bob@example.com")
    assert "No teams yet" in signed_in.get("/settings/teams").text
    token = page_csrf(signed_in, "/settings/teams/new")
    r = signed_in.post("/settings/teams", data={
        "csrf_token": token, "name": "North", "description": "Northern accounts",
        "manager_id": str(ann.id), "member_ids": [str(ann.id), str(bob.id)]})
    assert r.status_code == 303, r.text
    with database.transaction() as s:
        team = s.scalar(select(Team).where(Team.name == "North"))
        assert team is not None and team.manager_id == ann.id
        assert {m.email for m in team.members} == {"ann@example.com", "bob@example.com"}
        team_id = team.id
    page = signed_in.get("/settings/teams").text
    assert "North" in page and "Northern accounts" in page and f"/settings/teams/{team_id}" in page
    edit = signed_in.get(f"/settings/teams/{team_id}").text
    assert 'value="North"' in edit and f'value="{bob.id}" checked' in edit
    # rename and drop Bob
    r = signed_in.post(f"/settings/teams/{team_id}", data={
        "csrf_token": token, "name": "North-East", "description": "", "manager_id": "",
        "member_ids": [str(ann.id)]})
    assert r.status_code == 303
    with database.transaction() as s:
        team = s.get(Team, team_id)
        assert team is not None and team.name == "North-East" and team.manager_id is None
        assert [m.email for m in team.members] == ["ann@example.com"]
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_type == "team")) == 2
    # refusals: an empty name, a duplicate name, an unknown member; nothing changes
    r = signed_in.post("/settings/teams", data={"csrf_token": token, "name": ""})
    assert r.status_code == 422 and _error_next_to(r.text, "name")
    r = signed_in.post("/settings/teams", data={"csrf_token": token, "name": "north-east"})
    assert r.status_code == 422 and "already a team" in _error_next_to(r.text, "name")
    r = signed_in.post(f"/settings/teams/{team_id}", data={
        "csrf_token": token, "name": "Renamed", "member_ids": [str(uuid.uuid4())]})
    assert r.status_code == 422 and 'id="member_ids-error"' in r.text
    r = signed_in.post(f"/settings/teams/{team_id}", data={
        "csrf_token": token, "name": "Renamed", "member_ids": ["not-a-uuid"]})
    assert r.status_code == 422 and 'id="member_ids-error"' in r.text
    with database.transaction() as s:
        team = s.get(Team, team_id)
        assert team is not None and team.name == "North-East" and len(team.members) == 1
    assert _count(database, Team) == 1
    r = signed_in.post(f"/settings/teams/{team_id}/delete", data={"csrf_token": token})
    assert r.status_code == 303 and _count(database, Team) == 0


def _grid(**overrides: str) -> dict[str, str]:
    form = {f"perm.{e}.{a}": "none" for e in ("contacts", "companies", "deals", "tickets",
                                              "orders", "reports", "settings", "users",
                                              "automation")
            for a in ("view", "create", "edit", "delete", "export")}
    form.update(overrides)
    return form


def test_create_and_edit_a_custom_role(signed_in: TestClient, database: Database) -> None:
    page = signed_in.get("/settings/roles").text
    assert 'href="/settings/roles/new"' in page
    new = signed_in.get("/settings/roles/new").text
    assert 'name="perm.contacts.view"' in new and 'name="perm.automation.export"' in new
    token = page_csrf(signed_in, "/settings/roles/new")
    r = signed_in.post("/settings/roles", data={
        "csrf_token": token, "name": "Field agent", "description": "Visits customers",
        **_grid(**{"perm.contacts.view": "team", "perm.contacts.edit": "own",
                   "perm.deals.view": "all"}), "sensitive": "on"})
    assert r.status_code == 303, r.text
    with database.transaction() as s:
        role = s.scalar(select(Role).where(Role.name == "Field agent"))
        assert role is not None and not role.builtin
        assert role.permissions["contacts"]["view"] == "team"
        assert role.permissions["contacts"]["edit"] == "own"
        assert role.permissions["deals"]["view"] == "all"
        assert role.permissions["tickets"]["view"] == "none"
        assert role.permissions["fields"] == {"sensitive": True}
        role_id = role.id
        builtin_id = s.scalar(select(Role.id).where(Role.name == "sales_rep"))
    edit = signed_in.get(f"/settings/roles/{role_id}").text
    assert re.search(r'name="perm.contacts.view">(?:<option[^>]*>[a-z]+</option>)*'
                     r'<option value="team" selected>', edit)
    r = signed_in.post(f"/settings/roles/{role_id}", data={
        "csrf_token": token, "name": "Field agent", **_grid(**{"perm.contacts.view": "all"})})
    assert r.status_code == 303
    with database.transaction() as s:
        role = s.get(Role, role_id)
        assert role is not None and role.permissions["contacts"]["view"] == "all"
        assert role.permissions["contacts"]["edit"] == "none"
        assert role.permissions["fields"] == {"sensitive": False}
    # refusals: a bad scope, a bad name, a duplicate name; the role stays as it was
    r = signed_in.post(f"/settings/roles/{role_id}", data={
        "csrf_token": token, "name": "Field agent", **_grid(**{"perm.deals.edit": "galaxy"})})
    assert r.status_code == 422 and "deals.edit" in r.text and 'id="permissions-error"' in r.text
    r = signed_in.post("/settings/roles", data={"csrf_token": token, "name": "bad/name",
                                                **_grid()})
    assert r.status_code == 422 and _error_next_to(r.text, "name")
    r = signed_in.post("/settings/roles", data={"csrf_token": token, "name": "FIELD AGENT",
                                                **_grid()})
    assert r.status_code == 422 and "already a role" in _error_next_to(r.text, "name")
    with database.transaction() as s:
        role = s.get(Role, role_id)
        assert role is not None and role.permissions["contacts"]["view"] == "all"
        assert s.scalar(select(func.count()).select_from(Role).where(
            Role.builtin.is_(False))) == 1
    # a built-in role is not editable here, but can be copied
    assert 'name="perm.contacts.view"' not in signed_in.get(f"/settings/roles/{builtin_id}").text
    copy = signed_in.get(f"/settings/roles/new?copy={builtin_id}").text
    assert re.search(r'name="perm.contacts.view">(?:<option[^>]*>[a-z]+</option>)*'
                     r'<option value="team" selected>', copy)
    # a role in use cannot be deleted; an unused one can
    with database.transaction() as s:
        rep, _ = make_user(database, email="rep@example.com")
        s.get(User, rep.id).role_id = role_id  # type: ignore[union-attr]
    r = signed_in.post(f"/settings/roles/{role_id}/delete", data={"csrf_token": token})
    assert r.status_code == 409 and 'id="form-error"' in r.text
    with database.transaction() as s:
        s.get(User, rep.id).role_id = builtin_id  # type: ignore[union-attr]
    r = signed_in.post(f"/settings/roles/{role_id}/delete", data={"csrf_token": token})
    assert r.status_code == 303
    with database.transaction() as s:
        assert s.get(Role, role_id) is None


def test_a_user_without_settings_edit_cannot_change_teams_or_roles(
        web: TestClient, database: Database) -> None:
    make_user(database, email="rep@example.com")
    assert sign_in(web, "rep@example.com").status_code == 303
    token = page_csrf(web, "/contacts")
    assert web.get("/settings/teams/new").status_code == 403
    assert web.post("/settings/teams", data={"csrf_token": token, "name": "X"}
                    ).status_code == 403
    assert web.post("/settings/roles", data={"csrf_token": token, "name": "X", **_grid()}
                    ).status_code == 403
    assert _count(database, Team) == 0


def test_edit_archive_and_delete_custom_fields(signed_in: TestClient, client: TestClient,
                                               database: Database) -> None:
    r = client.post("/api/v1/custom-fields", json={
        "entity": "contact", "key": "tier", "label": "Tier", "type": "select",
        "options": ["gold", "silver"]})
    field_id = r.json()["id"]
    assert client.post("/api/v1/contacts", json={
        "first_name": "Ada", "custom_fields": {"tier": "gold"}}).status_code == 201
    page = signed_in.get("/settings/fields").text
    assert f'href="/settings/fields/{field_id}"' in page
    edit = signed_in.get(f"/settings/fields/{field_id}").text
    assert "1 record holds a value" in edit and 'value="gold, silver"' in edit
    token = page_csrf(signed_in, f"/settings/fields/{field_id}")
    r = signed_in.post(f"/settings/fields/{field_id}", data={
        "csrf_token": token, "label": "Customer tier", "type": "select",
        "options": "gold, silver, bronze", "help_text": "From the contract", "required": "on"})
    assert r.status_code == 303
    # refusals next to their fields: dropping a used option, a type that loses values, no label
    r = signed_in.post(f"/settings/fields/{field_id}", data={
        "csrf_token": token, "label": "Tier", "type": "select", "options": "bronze"})
    assert r.status_code == 422 and "gold" in _error_next_to(r.text, "options")
    r = signed_in.post(f"/settings/fields/{field_id}", data={
        "csrf_token": token, "label": "Tier", "type": "number", "options": ""})
    assert r.status_code == 422 and "no longer be valid" in _error_next_to(r.text, "type")
    r = signed_in.post(f"/settings/fields/{field_id}", data={
        "csrf_token": token, "label": "", "type": "select", "options": "gold"})
    assert r.status_code == 422 and _error_next_to(r.text, "label")
    with database.transaction() as s:
        d = s.get(CustomFieldDefinition, uuid.UUID(field_id))
        assert d is not None and d.label == "Customer tier" and d.required
        assert d.options == ["gold", "silver", "bronze"] and d.help_text == "From the contract"
    # delete is refused while a record has a value; archive keeps it, restore brings it back
    r = signed_in.post(f"/settings/fields/{field_id}/delete", data={"csrf_token": token})
    assert r.status_code == 409 and "archive the field instead" in r.text
    r = signed_in.post(f"/settings/fields/{field_id}/archive", data={"csrf_token": token})
    assert r.status_code == 303
    assert "Archived" in signed_in.get("/settings/fields").text
    assert client.get("/api/v1/custom-fields").json() == []
    r = signed_in.post(f"/settings/fields/{field_id}/archive", data={"csrf_token": token,
                                                                     "restore": "1"})
    assert r.status_code == 303
    assert [d["key"] for d in client.get("/api/v1/custom-fields").json()] == ["tier"]
    with database.transaction() as s:
        assert s.get(CustomFieldDefinition, uuid.UUID(field_id)) is not None
