"""API tokens: scopes (validated, enforced, never widened), expiry, revocation, last use."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from amity.auth.models import ApiToken
from tests.auth.signin_support import csrf_of, post_form, sign_in
from tests.conftest import make_user
from tests.factories import assert_problem, count


def _issue(client, **body):
    r = client.post("/api/v1/tokens", json={"name": "t", **body})
    assert r.status_code == 201, r.text
    return r.json()


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_scopes_are_shown_and_enforced(client, anon):
    read = _issue(client, scopes=["contacts:read"])
    assert read["scopes"] == ["contacts:read"]
    listed = {t["id"]: t for t in client.get("/api/v1/tokens").json()}
    assert listed[read["id"]]["scopes"] == ["contacts:read"]
    h = _h(read["token"])
    assert anon.get("/api/v1/contacts", headers=h).status_code == 200
    assert_problem(anon.post("/api/v1/contacts", json={"first_name": "X"}, headers=h), 403)
    assert_problem(anon.get("/api/v1/companies", headers=h), 403)
    write = _issue(client, scopes=["contacts:write", "companies:*"])
    h = _h(write["token"])
    assert anon.post("/api/v1/contacts", json={"first_name": "X"}, headers=h).status_code == 201
    assert anon.get("/api/v1/companies", headers=h).status_code == 200
    assert_problem(anon.get("/api/v1/contacts", headers=h), 403)
    assert _issue(client)["scopes"] == ["*"]


@pytest.mark.parametrize(("scopes", "field"), [
    (["contacts:read", "contacts:delete"], "scopes.1"),
    (["nothing:read"], "scopes.0"),
    (["contacts"], "scopes.0"),
    (["*", "", "x"], "scopes.1"),
    ([], "scopes"),
])
def test_bad_scopes_are_422_naming_the_item(client, database, scopes, field):
    before = count(database, ApiToken)
    assert_problem(client.post("/api/v1/tokens", json={"name": "t", "scopes": scopes}), 422,
                   field=field)
    assert count(database, ApiToken) == before


def test_a_scoped_token_cannot_mint_a_wider_one(client, anon):
    narrow = _h(_issue(client, scopes=["contacts:read"])["token"])
    assert_problem(anon.post("/api/v1/tokens", json={"name": "x", "scopes": ["*"]},
                             headers=narrow), 422, field="scopes.0")
    assert_problem(anon.post("/api/v1/tokens", json={"name": "x",
                                                     "scopes": ["contacts:read",
                                                                "contacts:write"]},
                             headers=narrow), 422, field="scopes.1")
    same = anon.post("/api/v1/tokens", json={"name": "x", "scopes": ["contacts:read"]},
                     headers=narrow)
    assert same.status_code == 201


def test_expiry(client, anon, clock):
    tok = _issue(client, expires_at=(clock.at + timedelta(hours=1)).isoformat())
    assert anon.get("/api/v1/users/me", headers=_h(tok["token"])).status_code == 200
    clock.advance(hours=1)
    assert_problem(anon.get("/api/v1/users/me", headers=_h(tok["token"])), 401)


def test_last_used_is_written_at_most_once_a_minute(client, anon, database, clock):
    tok = _issue(client)

    def last_used():
        with database.transaction(write=False) as s:
            return s.scalar(select(ApiToken.last_used_at)
                            .where(ApiToken.id == uuid.UUID(tok["id"])))

    assert last_used() is None
    anon.get("/api/v1/users/me", headers=_h(tok["token"]))
    first = last_used()
    assert first == clock.at
    clock.advance(seconds=59)
    anon.get("/api/v1/users/me", headers=_h(tok["token"]))
    assert last_used() == first
    clock.advance(seconds=2)
    anon.get("/api/v1/users/me", headers=_h(tok["token"]))
    assert last_used() == clock.at


def test_admins_list_and_revoke_anyones_tokens(client, anon, database):
    user, token = make_user(database)
    listed = client.get("/api/v1/tokens", params={"user_id": str(user.id)}).json()
    assert [t["user_id"] for t in listed] == [str(user.id)]
    # a non-admin may not look at someone else's tokens, nor revoke them
    other, other_token = make_user(database)
    assert_problem(anon.get("/api/v1/tokens", params={"user_id": str(other.id)},
                            headers=_h(token)), 403)
    assert_problem(anon.delete(f"/api/v1/tokens/{listed[0]['id']}",
                               headers=_h(other_token)), 404)
    assert client.delete(f"/api/v1/tokens/{listed[0]['id']}").status_code == 204
    assert_problem(anon.get("/api/v1/users/me", headers=_h(token)), 401)
    assert_problem(client.get("/api/v1/tokens", params={
        "user_id": "00000000-0000-0000-0000-000000000000"}), 404)


def test_account_page_creates_shows_once_and_revokes_tokens(app, anon, database):
    from fastapi.testclient import TestClient

    user, _ = make_user(database, email="sam@example.com")
    with TestClient(app, follow_redirects=False) as web:
        sign_in(web, user.email)
        bad = post_form(web, "/account/tokens", {"name": "x", "scopes": "contacts:fly"})
        assert bad.status_code == 422 and "Unknown scope" in bad.text
        r = post_form(web, "/account/tokens", {"name": "sync script",
                                               "scopes": "contacts:read, companies:read",
                                               "expires_days": "30"})
        assert r.status_code == 200
        plain = re.search(r'id="new-token">(amy_[\w-]+)<', r.text).group(1)
        assert anon.get("/api/v1/contacts", headers=_h(plain)).status_code == 200
        page = web.get("/account").text
        assert "sync script" in page and plain not in page and plain[:12] in page
        with database.transaction(write=False) as s:
            tok = s.scalar(select(ApiToken).where(ApiToken.name == "sync script"))
        assert tok.scopes == ["contacts:read", "companies:read"]
        assert tok.expires_at > datetime.now(UTC) + timedelta(days=29)
        r = web.post(f"/account/tokens/{tok.id}/revoke", data={"csrf_token": csrf_of(page)})
        assert r.status_code == 303
        assert_problem(anon.get("/api/v1/contacts", headers=_h(plain)), 401)
