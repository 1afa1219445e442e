"""Builders for the deals API tests: the seeded pipeline's stages, deals made through the API,
a controllable clock and a sales rep with a teammate."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.auth import service as auth
from amity.auth.models import Team, User
from amity.core.clock import set_clock
from amity.core.db import Database
from amity.core.events import EventRecord

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock tests move by hand: ``clock.advance(hours=2)``."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    set_clock(c)
    yield c
    set_clock(None)


def pipeline(client: TestClient, name: str = "New business") -> dict[str, Any]:
    for p in client.get("/api/v1/pipelines").json():
        if p["name"] == name:
            return dict(p)
    raise AssertionError(f"no pipeline {name}")


def stages(client: TestClient, name: str = "New business") -> dict[str, str]:
    """Stage name -> id of a pipeline (the seeded one: Qualification ... Won, Lost)."""
    return {s["name"]: s["id"] for s in pipeline(client, name)["stages"]}


def make_deal(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Deal {uuid.uuid4().hex[:6]}", "currency": "EUR", "amount": "1000.00",
            **fields}
    r = client.post("/api/v1/deals", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def move(client: TestClient, deal_id: str, stage_id: str, **body: Any) -> Any:
    return client.post(f"/api/v1/deals/{deal_id}/move", json={"stage_id": stage_id, **body})


def make_pipeline(client: TestClient, name: str, *open_stages: str) -> dict[str, Any]:
    body = {"name": name, "stages": [
        *({"name": s, "probability": 30} for s in open_stages or ("Start",)),
        {"name": "Signed", "kind": "won"}, {"name": "Dropped", "kind": "lost"}]}
    r = client.post("/api/v1/pipelines", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def events(database: Database, deal_id: str) -> list[tuple[str, dict[str, Any]]]:
    with database.transaction(write=False) as s:
        rows = s.scalars(select(EventRecord).where(EventRecord.entity_id == uuid.UUID(deal_id))
                         .order_by(EventRecord.occurred_at))
        return [(e.type, e.payload) for e in rows]


def user_client(app: Any, database: Database, role: str, team: str | None = None,
                name: str = "Rep") -> tuple[TestClient, uuid.UUID]:
    """A client signed in as a new user with a built-in role (in ``team`` if given)."""
    with database.transaction() as s:
        user = auth.create_user(s, email=f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com",
                                name=name, password=None, role=role)
        _, token = auth.create_api_token(s, user=user, name="tests")
        if team:
            t = s.scalar(select(Team).where(Team.name == team))
            if t is None:
                t = Team(name=team, members=[])
                s.add(t)
            t.members.append(s.get(User, user.id))
        uid = user.id
    c = TestClient(app)
    c.headers["Authorization"] = f"Bearer {token}"
    return c, uid
