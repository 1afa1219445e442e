"""Guessing ids: a sales rep asking for another team's records learns nothing (404, exactly
as for an id that does not exist) and changes nothing; token scopes narrow a user's rights."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update

from amity.auth.models import ApiToken, Role, User
from amity.core.db import Database
from tests.auth.world import build_world, fingerprint, make_records
from tests.factories import assert_problem


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _probe(anon: Any, token: str, base: str, rid: Any, note_id: Any) -> list[tuple[str, Any]]:
    h = _h(token)
    return [
        ("GET", anon.get(f"{base}/{rid}", headers=h)),
        ("GET include_deleted", anon.get(f"{base}/{rid}", params={"include_deleted": True},
                                         headers=h)),
        ("PATCH", anon.patch(f"{base}/{rid}", json={"source": "x"} if "contacts" in base
                             else {"industry": "x"}, headers=h)),
        ("DELETE", anon.delete(f"{base}/{rid}", headers=h)),
        ("restore", anon.post(f"{base}/{rid}/restore", headers=h)),
        ("notes", anon.get(f"{base}/{rid}/notes", headers=h)),
        ("add note", anon.post(f"{base}/{rid}/notes", json={"body": "hi"}, headers=h)),
        ("history", anon.get(f"{base}/{rid}/history", headers=h)),
        ("note GET", anon.get(f"/api/v1/notes/{note_id}", headers=h)),
        ("note PATCH", anon.patch(f"/api/v1/notes/{note_id}", json={"body": "x"}, headers=h)),
        ("note DELETE", anon.delete(f"/api/v1/notes/{note_id}", headers=h)),
    ]


def test_sales_rep_gets_404_for_another_teams_contact(anon: Any, database: Database) -> None:
    w = build_world(database)
    theirs = make_records(database, w.ids["outsider"])
    mine = make_records(database, w.ids["sales_rep"])
    rep = w.tokens["sales_rep"]
    before = fingerprint(database)
    cid = theirs["contact_id"]
    answers = _probe(anon, rep, "/api/v1/contacts", cid, theirs["note_id"])
    answers.append(("360", anon.get(f"/api/v1/contacts/{cid}/360", headers=_h(rep))))
    for label, r in answers:
        body = assert_problem(r, 404)
        assert body["code"] in ("contact.not_found", "note.not_found"), (label, body)
    assert fingerprint(database) == before
    # the same answer as for an id that does not exist: nothing tells them it is there
    ghost = anon.get(f"/api/v1/contacts/{uuid.uuid4()}", headers=_h(rep)).json()
    real = anon.get(f"/api/v1/contacts/{cid}", headers=_h(rep)).json()
    assert ghost == real
    # lists and search never contain it, whatever the filters
    their_name = anon.get(f"/api/v1/contacts/{cid}", headers=_h(w.tokens["root"])).json()
    for params in ({}, {"owner_id": str(w.ids["outsider"])}, {"deleted": "include"},
                   {"q": their_name["last_name"]}, {"q": "Rec"}, {"limit": 200}):
        r = anon.get("/api/v1/contacts", params=params, headers=_h(rep))
        assert r.status_code == 200, r.text
        ids = {c["id"] for c in r.json()["items"]}
        assert str(cid) not in ids, params
    listed = anon.get("/api/v1/contacts", headers=_h(rep)).json()["items"]
    assert str(mine["contact_id"]) in {c["id"] for c in listed}


def test_companies_of_another_team_are_hidden_when_the_role_says_team(
        anon: Any, database: Database) -> None:
    """The built-in sales_rep sees every company (companies.view = all, so colleagues can
    attach contacts to any company); a role with companies.view = team gets 404s."""
    w = build_world(database)
    theirs = make_records(database, w.ids["outsider"])
    with database.transaction() as s:
        role = Role(name="strict_rep", builtin=False, permissions={
            "contacts": {"view": "team", "create": "all", "edit": "own"},
            "companies": {"view": "team", "create": "all", "edit": "own"}})
        s.add(role)
        s.flush()
        s.execute(update(User).where(User.id == w.ids["sales_rep"]).values(role_id=role.id))
    rep = w.tokens["sales_rep"]
    before = fingerprint(database)
    for label, r in _probe(anon, rep, "/api/v1/companies", theirs["company_id"],
                           theirs["company_note_id"]):
        body = assert_problem(r, 404)
        assert body["code"] in ("company.not_found", "note.not_found"), (label, body)
    assert fingerprint(database) == before
    listed = anon.get("/api/v1/companies", params={"limit": 200}, headers=_h(rep)).json()
    assert str(theirs["company_id"]) not in {c["id"] for c in listed["items"]}
    # with the built-in role the company is readable but not changeable
    with database.transaction() as s:
        s.execute(update(User).where(User.id == w.ids["sales_rep"]).values(
            role_id=s.query(Role.id).filter(Role.name == "sales_rep").scalar_subquery()))
    url = f"/api/v1/companies/{theirs['company_id']}"
    before = fingerprint(database)
    assert anon.get(url, headers=_h(rep)).status_code == 200
    assert_problem(anon.patch(url, json={"industry": "x"}, headers=_h(rep)), 403)
    assert fingerprint(database) == before


def _scoped_token(database: Database, user_id: uuid.UUID, scopes: list[str]) -> None:
    with database.transaction() as s:  # the world gives each user one token
        s.execute(update(ApiToken).where(ApiToken.user_id == user_id).values(scopes=scopes))


def test_a_read_only_token_can_read_but_not_write(anon: Any, database: Database) -> None:
    w = build_world(database)
    mine = make_records(database, w.ids["sales_rep"])
    token = w.tokens["sales_rep"]
    _scoped_token(database, w.ids["sales_rep"], ["contacts:read"])
    before = fingerprint(database)
    assert anon.get("/api/v1/contacts", headers=_h(token)).status_code == 200
    assert anon.get(f"/api/v1/contacts/{mine['contact_id']}", headers=_h(token)).status_code \
        == 200
    assert_problem(anon.post("/api/v1/contacts", json={"first_name": "No"}, headers=_h(token)),
                   403)
    assert_problem(anon.patch(f"/api/v1/contacts/{mine['contact_id']}", json={"source": "x"},
                              headers=_h(token)), 403)
    assert_problem(anon.post(f"/api/v1/contacts/{mine['contact_id']}/notes",
                             json={"body": "x"}, headers=_h(token)), 403)
    # contacts:read says nothing about companies
    assert_problem(anon.get("/api/v1/companies", headers=_h(token)), 403)
    assert fingerprint(database) == before
    _scoped_token(database, w.ids["sales_rep"], ["contacts:read", "contacts:write"])
    r = anon.post("/api/v1/contacts", json={"first_name": "Yes"}, headers=_h(token))
    assert r.status_code == 201, r.text
