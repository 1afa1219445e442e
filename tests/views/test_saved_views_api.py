"""Saved views over the API: private, shared with everyone or a team; only the owner changes
one; params validated; ETag/If-Match; audited."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.auth.models import Team, User
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.views.models import SavedView
from tests.conftest import make_user
from tests.factories import assert_problem, count

PARAMS = {"lifecycle_stage": ["customer"], "tag": "vip", "sort": "-created_at",
          "columns": ["company", "owner"]}


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_create_read_update_delete_with_etag(client: TestClient, database: Database) -> None:
    r = client.post("/api/v1/views", json={"name": "VIP customers", "params": PARAMS})
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["visibility"] == "private" and view["params"]["tag"] == "vip"
    assert view["params"]["columns"] == ["company", "owner"]
    got = client.get(f"/api/v1/views/{view['id']}")
    assert got.headers["etag"] == '"v1"'
    assert_problem(client.patch(f"/api/v1/views/{view['id']}", json={"name": "x"},
                                headers={"If-Match": '"v9"'}), 412)
    r = client.patch(f"/api/v1/views/{view['id']}", json={"name": "VIPs"},
                     headers={"If-Match": '"v1"'})
    assert r.status_code == 200 and r.json()["name"] == "VIPs" and r.headers["etag"] == '"v2"'
    assert [v["name"] for v in client.get("/api/v1/views").json()] == ["VIPs"]
    assert client.delete(f"/api/v1/views/{view['id']}").status_code == 204
    assert client.get(f"/api/v1/views/{view['id']}").status_code == 404
    with database.transaction() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_type == "saved_view")))
    assert sorted(actions) == ["create", "delete", "update"]


def test_bad_params_are_refused_and_nothing_is_stored(client: TestClient,
                                                      database: Database) -> None:
    for body in ({"name": "", "params": {}},
                 {"name": "x", "params": {"sort": "salary"}},
                 {"name": "x", "params": {"lifecycle_stage": ["king"]}},
                 {"name": "x", "params": {"columns": ["password"]}},
                 {"name": "x", "params": {"unknown": 1}},
                 {"name": "x", "params": {"created_from": "2026-02-01",
                                          "created_to": "2026-01-01"}},
                 {"name": "x", "visibility": "team"},
                 {"name": "x", "entity": "users"}):
        assert_problem(client.post("/api/v1/views", json=body), 422)
    assert count(database, SavedView) == 0


def test_sharing_private_everyone_and_team(client: TestClient, anon: TestClient,
                                           database: Database,
                                           admin_user: tuple[User, str]) -> None:
    mate, mate_token = make_user(database)
    _, out_token = make_user(database)
    with database.transaction() as s:
        team = Team(name="Bakers", members=[s.get(User, admin_user[0].id), s.get(User, mate.id)])
        s.add(team)
        s.flush()
        team_id = str(team.id)
    ids: dict[str, Any] = {}
    for name, vis in (("Mine", "private"), ("All", "everyone"), ("Team", "team")):
        body = {"name": name, "visibility": vis, **({"team_id": team_id} if vis == "team" else {})}
        r = client.post("/api/v1/views", json=body)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    names = [v["name"] for v in anon.get("/api/v1/views", headers=_as(mate_token)).json()]
    assert names == ["All", "Team"]
    names = [v["name"] for v in anon.get("/api/v1/views", headers=_as(out_token)).json()]
    assert names == ["All"]
    # a private view is invisible to others (404, not 403); a shared one is read-only to them
    assert anon.get(f"/api/v1/views/{ids['Mine']}", headers=_as(mate_token)).status_code == 404
    assert anon.get(f"/api/v1/views/{ids['Team']}", headers=_as(out_token)).status_code == 404
    assert_problem(anon.patch(f"/api/v1/views/{ids['All']}", json={"name": "Hijacked"},
                              headers=_as(mate_token)), 403)
    assert_problem(anon.delete(f"/api/v1/views/{ids['Team']}", headers=_as(mate_token)), 403)
    # nobody shares with a team they are not in
    assert_problem(anon.post("/api/v1/views", json={"name": "x", "visibility": "team",
                                                    "team_id": team_id},
                             headers=_as(out_token)), 422)
    assert count(database, SavedView) == 3
