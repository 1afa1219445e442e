"""Web sign-in: server-side session cookie, CSRF on every POST, redirects when signed out."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from amity.auth.models import User
from amity.core.db import Database
from amity.web.auth import COOKIE_NAME
from tests.web.conftest import PASSWORD, csrf_of, page_csrf, sign_in


def test_login_page_gives_a_session_cookie_with_csrf(web: TestClient) -> None:
    r = web.get("/login")
    assert r.status_code == 200
    assert 'name="csrf_token"' in r.text and 'name="password"' in r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http (tests); see the https test below
    assert "Max-Age=" in cookie
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_sign_in_succeeds_and_shows_the_user(web: TestClient, web_user: User) -> None:
    r = sign_in(web, web_user.email)
    assert r.status_code == 303
    assert r.headers["location"] == "/contacts"
    page = web.get("/contacts")
    assert page.status_code == 200
    assert "Test User" in page.text and "Sign out" in page.text


def test_sign_in_is_case_insensitive_on_email(web: TestClient, web_user: User) -> None:
    assert sign_in(web, web_user.email.upper()).status_code == 303


@pytest.mark.parametrize("email,password", [
    ("sam@example.com", "wrong password!"),
    ("nobody@example.com", PASSWORD),
    ("sam@example.com", ""),
])
def test_failed_sign_in_says_the_same_thing_whoever_you_are(
        web: TestClient, web_user: User, email: str, password: str) -> None:
    r = sign_in(web, email, password)
    assert r.status_code == 401
    assert "That email and password do not match an active account." in r.text
    assert "does not exist" not in r.text and "unknown" not in r.text.lower()
    assert f'value="{email}"' in r.text  # the email is kept, the password never echoed
    assert web.get("/contacts").status_code == 303  # still signed out


def test_inactive_user_cannot_sign_in(web: TestClient, web_user: User,
                                      database: Database) -> None:
    with database.transaction() as s:
        s.execute(update(User).where(User.id == web_user.id).values(is_active=False))
    assert sign_in(web, web_user.email).status_code == 401


def test_deactivated_user_is_signed_out(signed_in: TestClient, web_user: User,
                                        database: Database) -> None:
    with database.transaction() as s:
        s.execute(update(User).where(User.id == web_user.id).values(is_active=False))
    assert signed_in.get("/contacts").status_code == 303


@pytest.mark.parametrize("path", ["/contacts", "/contacts/new", "/"])
def test_signed_out_pages_redirect_to_login(web: TestClient, path: str) -> None:
    r = web.get(path, follow_redirects=True)
    assert r.status_code == 200
    assert r.url.path == "/login"
    assert 'name="password"' in r.text


def test_redirect_keeps_the_page_and_query_as_next(web: TestClient) -> None:
    r = web.get("/contacts?q=ada")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/contacts%3Fq%3Dada"


def test_htmx_request_when_signed_out_asks_for_a_full_page_redirect(web: TestClient) -> None:
    r = web.get("/contacts?q=ada", headers={"HX-Request": "true"})
    assert r.status_code == 401
    assert r.headers["HX-Redirect"].startswith("/login?next=")


@pytest.mark.parametrize("next_value,expected", [
    ("/contacts/new", "/contacts/new"),
    ("/contacts?q=a%20b", "/contacts?q=a%20b"),
    ("https://evil.example/", "/contacts"),
    ("//evil.example/x", "/contacts"),
    ("/\\evil.example", "/contacts"),
    ("javascript:alert(1)", "/contacts"),
    ("", "/contacts"),
])
def test_next_only_allows_local_paths(web: TestClient, web_user: User, next_value: str,
                                      expected: str) -> None:
    token = csrf_of(web.get("/login").text)
    r = web.post("/login", data={"email": web_user.email, "password": PASSWORD,
                                 "csrf_token": token, "next": next_value})
    assert r.status_code == 303
    assert r.headers["location"] == expected


def test_login_page_escapes_next(web: TestClient) -> None:
    r = web.get('/login?next=/x"><script>alert(1)</script>')
    assert "<script>alert(1)</script>" not in r.text


def test_sign_in_without_csrf_token_is_refused(web: TestClient, web_user: User) -> None:
    web.get("/login")
    r = web.post("/login", data={"email": web_user.email, "password": PASSWORD})
    assert r.status_code == 403
    assert web.get("/contacts").status_code == 303


def test_sign_in_without_any_session_cookie_is_refused(web: TestClient, web_user: User) -> None:
    r = web.post("/login", data={"email": web_user.email, "password": PASSWORD,
                                 "csrf_token": "made-up"})
    assert r.status_code == 403


def test_signing_in_rotates_the_csrf_token(web: TestClient, web_user: User) -> None:
    before = csrf_of(web.get("/login").text)
    sign_in(web, web_user.email)
    after = page_csrf(web)
    assert before != after
    r = web.post("/logout", data={"csrf_token": before})
    assert r.status_code == 403


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_post_without_the_right_csrf_token_is_403_and_writes_nothing(
        signed_in: TestClient, token: str | None, database: Database) -> None:
    from amity.contacts.models import Contact
    from tests.factories import count

    data: dict[str, Any] = {"first_name": "Eve"}
    if token is not None:
        data["csrf_token"] = token
    r = signed_in.post("/contacts", data=data)
    assert r.status_code == 403
    assert "security token" in r.text
    assert count(database, Contact) == 0


def test_csrf_token_is_accepted_from_the_htmx_header(signed_in: TestClient) -> None:
    token = page_csrf(signed_in)
    r = signed_in.post("/contacts", data={"first_name": "Hannah"},
                       headers={"X-CSRF-Token": token})
    assert r.status_code == 303


def test_logout_needs_csrf_and_ends_the_session(signed_in: TestClient) -> None:
    assert signed_in.post("/logout").status_code == 403
    assert signed_in.get("/contacts").status_code == 200
    r = signed_in.post("/logout", data={"csrf_token": page_csrf(signed_in)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert signed_in.get("/contacts").status_code == 303


def test_tampered_cookie_counts_as_signed_out(signed_in: TestClient) -> None:
    value = signed_in.cookies[COOKIE_NAME]
    signed_in.cookies.clear()
    signed_in.cookies.set(COOKIE_NAME, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert signed_in.get("/contacts").status_code == 303


def test_expired_session_counts_as_signed_out(web: TestClient, web_user: User,
                                              settings: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from amity.core.clock import set_clock

    start = datetime.now(UTC)
    set_clock(lambda: start)
    try:
        assert sign_in(web, web_user.email).status_code == 303
        assert web.get("/contacts").status_code == 200
        later = start + timedelta(seconds=settings.session_max_age_s + 60)
        set_clock(lambda: later)
        assert web.get("/contacts").status_code == 303
    finally:
        set_clock(None)


def test_cookie_is_secure_over_https(app: Any, web_user: User) -> None:
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as web:
        r = sign_in(web, web_user.email)
        assert r.status_code == 303
        assert "Secure" in r.headers["set-cookie"]
