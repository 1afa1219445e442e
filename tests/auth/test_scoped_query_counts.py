"""Scoping costs one statement: a team-scoped sales rep's list and 360 view use the admin's
fixed counts plus the lookup of their team's user ids."""

from __future__ import annotations

from typing import Any

from amity.auth.models import Team, User
from amity.core.db import Database
from tests.api.test_query_counts import LIST_QUERIES, VIEW_360_QUERIES, _populate, _with_history
from tests.conftest import make_user


def _rep_in_admins_team(database: Database, admin: User, anon: Any) -> str:
    rep, token = make_user(database, password=None)
    with database.transaction() as s:
        members = [s.get(User, admin.id), s.get(User, rep.id)]
        s.add(Team(name="Counted", members=members))
    # a token's first use records last_used_at (a write throttled to once in a while): use it
    # once so the counts below compare like with like
    assert anon.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
                    ).status_code == 200
    return token


def _count(anon: Any, queries: Any, token: str, url: str, **params: Any) -> tuple[int, Any]:
    queries.reset()
    r = anon.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return queries.count, r.json()


def test_team_scoped_list_and_360_cost_one_more_statement(
        client: Any, anon: Any, queries: Any, database: Database,
        admin_user: tuple[User, str]) -> None:
    admin, admin_token = admin_user
    rep = _rep_in_admins_team(database, admin, anon)
    _populate(client, 60)
    for sort in ("-created_at", "name"):
        n_admin, as_admin = _count(anon, queries, admin_token, "/api/v1/contacts", limit=50,
                                   sort=sort)
        n_rep, as_rep = _count(anon, queries, rep, "/api/v1/contacts", limit=50, sort=sort)
        assert len(as_rep["items"]) == 50 and as_rep == as_admin
        assert n_admin == LIST_QUERIES
        assert n_rep == LIST_QUERIES + 1, queries.statements
        n_next, _ = _count(anon, queries, rep, "/api/v1/contacts", limit=50, sort=sort,
                           cursor=as_rep["next_cursor"])
        assert n_next == LIST_QUERIES + 1
    busy = _with_history(client, notes=30, referrals=25)
    n_admin, _ = _count(anon, queries, admin_token, f"/api/v1/contacts/{busy}/360")
    n_rep, body = _count(anon, queries, rep, f"/api/v1/contacts/{busy}/360")
    assert body["notes_count"] == 30 and len(body["referrals"]) == 25
    assert n_admin == VIEW_360_QUERIES
    assert n_rep == VIEW_360_QUERIES + 1, queries.statements


def test_custom_fields_cost_the_definitions_once_for_a_rep(
        client: Any, anon: Any, queries: Any, database: Database,
        admin_user: tuple[User, str]) -> None:
    """Redaction reads the field definitions only when a returned record carries custom
    fields, once per request whatever the page size."""
    admin, admin_token = admin_user
    rep = _rep_in_admins_team(database, admin, anon)
    assert client.post("/api/v1/custom-fields", json={
        "entity": "contact", "key": "mood", "label": "Mood", "type": "text"}).status_code == 201
    items = [{"first_name": f"C{i}", "custom_fields": {"mood": "fine"}} for i in range(30)]
    assert client.post("/api/v1/contacts/bulk", json={"items": items}).status_code == 201
    n_small, _ = _count(anon, queries, rep, "/api/v1/contacts", limit=5)
    n_large, body = _count(anon, queries, rep, "/api/v1/contacts", limit=30)
    assert all(c["custom_fields"] == {"mood": "fine"} for c in body["items"])
    assert n_small == n_large
    n_admin, _ = _count(anon, queries, admin_token, "/api/v1/contacts", limit=30)
    assert n_large == n_admin + 2  # the team ids, the definitions
