"""Authentication: 401 problem+json for missing, unknown, revoked and expired tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from amity.auth import service as auth
from amity.auth.models import ApiToken, User
from amity.contacts.models import Contact
from amity.core.clock import set_clock
from tests.conftest import make_user
from tests.factories import assert_problem, count

PROTECTED = [("GET", "/api/v1/contacts"), ("POST", "/api/v1/contacts"),
             ("GET", "/api/v1/users/me"), ("GET", "/api/v1/companies"),
             ("GET", "/api/v1/custom-fields"), ("POST", "/api/v1/contacts/bulk"),
             ("GET", "/api/v1/tokens")]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_no_token_is_401(anon, method, path):
    r = anon.request(method, path, json={"first_name": "X"} if method == "POST" else None)
    assert_problem(r, 401, code="auth.required")
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", [
    "Bearer amy_not-a-real-token", "Bearer nonsense", "Bearer ", "Basic dXNlcjpwYXNz", "amy_x",
    "Bearer amy_" + "x" * 500,
])
def test_bad_tokens_are_401(anon, database, header):
    r = anon.get("/api/v1/contacts", headers={"Authorization": header})
    assert_problem(r, 401, code="auth.required")
    r = anon.post("/api/v1/contacts", json={"first_name": "X"}, headers={"Authorization": header})
    assert_problem(r, 401)
    assert count(database, Contact) == 0


def test_revocation_is_immediate(client, anon):
    r = client.post("/api/v1/tokens", json={"name": "laptop"})
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["token"].startswith("amy_") and issued["prefix"] == issued["token"][:12]
    h = {"Authorization": f"Bearer {issued['token']}"}
    assert anon.get("/api/v1/users/me", headers=h).json()["email"] == "admin@example.com"
    listed = client.get("/api/v1/tokens").json()
    assert issued["id"] in [t["id"] for t in listed]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    # a token can revoke itself; the very next request is refused
    assert anon.delete(f"/api/v1/tokens/{issued['id']}", headers=h).status_code == 204
    assert_problem(anon.get("/api/v1/users/me", headers=h), 401)
    # the admin's own token still works
    assert client.get("/api/v1/users/me").status_code == 200


def test_cannot_revoke_someone_elses_token(client, anon, database):
    # (administrators can: tests/auth/test_tokens.py)
    _, other_token = make_user(database)
    _, my_token = make_user(database)
    with database.transaction(write=False) as s:
        tok_id = s.scalar(select(ApiToken.id).where(ApiToken.token_hash == auth._digest(
            other_token)))
    assert_problem(anon.delete(f"/api/v1/tokens/{tok_id}",
                               headers={"Authorization": f"Bearer {my_token}"}), 404)
    assert client.get("/api/v1/users/me",
                      headers={"Authorization": f"Bearer {other_token}"}).status_code == 200


def test_expired_token_is_401(client, anon, database):
    soon = datetime.now(UTC) + timedelta(hours=1)
    r = client.post("/api/v1/tokens", json={"name": "short", "expires_at": soon.isoformat()})
    assert r.status_code == 201, r.text
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    assert anon.get("/api/v1/users/me", headers=h).status_code == 200
    set_clock(lambda: soon + timedelta(seconds=1))
    try:
        assert_problem(anon.get("/api/v1/users/me", headers=h), 401)
    finally:
        set_clock(None)
    assert_problem(client.post("/api/v1/tokens", json={
        "name": "past", "expires_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()}),
        422, field="expires_at")
    assert_problem(client.post("/api/v1/tokens", json={
        "name": "naive", "expires_at": "2099-01-01T00:00:00"}), 422, field="expires_at")


def test_inactive_user_is_401(anon, database):
    user, token = make_user(database)
    h = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/v1/users/me", headers=h).status_code == 200
    with database.transaction() as s:
        s.get(User, user.id).is_active = False  # type: ignore[union-attr]
    assert_problem(anon.get("/api/v1/users/me", headers=h), 401)


def test_users_admin_only(client, database):
    _, token = make_user(database)
    h = {"Authorization": f"Bearer {token}"}
    body = {"email": "new@example.com", "name": "New", "password": "long enough password"}
    assert_problem(client.post("/api/v1/users", json=body, headers=h), 403)
    r = client.post("/api/v1/users", json=body)
    assert r.status_code == 201 and r.json()["email"] == "new@example.com"
    assert_problem(client.post("/api/v1/users", json=body), 422, field="email",
                   code="user.exists")
    assert_problem(client.post("/api/v1/users", json={**body, "email": "not-an-email"}), 422,
                   field="email")
    with database.transaction(write=False) as s:
        assert auth.authenticate_password(s, email="NEW@example.com",
                                          password="long enough password") is not None
