"""Web UI fixtures: a browser-like client (cookies, no bearer token) and a signed-in one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.auth.models import User
from amity.core.db import Database
from tests.conftest import make_user

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def sign_in(web: TestClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_of(web.get("/login").text)
    return web.post("/login", data={"email": email, "password": password, "csrf_token": token,
                                    "next": "/contacts"}, follow_redirects=False)


@pytest.fixture
def web(app: Any) -> Iterator[TestClient]:
    """A signed-out browser: keeps cookies, follows no redirects unless asked."""
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def web_user(database: Database) -> User:
    # an administrator sees every record; what other roles see is tested in tests/auth/
    user, _ = make_user(database, admin=True, email="sam@example.com")
    return user


@pytest.fixture
def signed_in(web: TestClient, web_user: User) -> TestClient:
    r = sign_in(web, web_user.email)
    assert r.status_code == 303, r.text
    return web


def page_csrf(web: TestClient, path: str = "/contacts") -> str:
    return csrf_of(web.get(path).text)
