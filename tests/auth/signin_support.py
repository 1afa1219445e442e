"""Shared pieces of the sign-in tests: a browser client, a controllable clock, form helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.auth.models import User, WebSession
from amity.core.clock import set_clock
from amity.core.db import Database
from amity.web.auth import COOKIE_NAME
from tests.conftest import make_user
from tests.web.conftest import PASSWORD, csrf_of

__all__ = ["PASSWORD", "csrf_of"]


def sign_in(web: TestClient, email: str, password: str = PASSWORD, next: str = "/contacts"
            ) -> Any:
    page = web.get("/login")
    if page.status_code == 303:  # already signed in: any page carries the session's token
        page = web.get("/contacts")
    token = csrf_of(page.text)
    return web.post("/login", data={"email": email, "password": password, "csrf_token": token,
                                    "next": next})


def post_form(web: TestClient, path: str, data: dict[str, str], page: str = "/account") -> Any:
    return web.post(path, data={**data, "csrf_token": csrf_of(web.get(page).text)})


def is_signed_in(web: TestClient) -> bool:
    r = web.get("/contacts")
    assert r.status_code in (200, 303), r.status_code
    return r.status_code == 200


def cookie(web: TestClient) -> str:
    return str(web.cookies[COOKIE_NAME])


def session_rows(database: Database, user: User) -> list[WebSession]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(WebSession).where(WebSession.user_id == user.id)
                              .order_by(WebSession.created_at)))


@dataclass
class Clock:
    # starts a little ahead of the wall clock: users made before the fixture are in its past
    at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0)
                         + timedelta(seconds=5))

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    set_clock(lambda: c.at)
    yield c
    set_clock(None)


@pytest.fixture
def browser(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def other_browser(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def sam(database: Database) -> User:
    return make_user(database, email="sam@example.com")[0]
