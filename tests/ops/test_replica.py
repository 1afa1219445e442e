"""Read replica routing: with AMITY_DATABASE_REPLICA_URL set, the report endpoints read there
(and nothing else does); without it they read the primary. The "replica" here is a second,
separately migrated database, so a query that went to the wrong one shows in the numbers."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from amity.app import create_app
from amity.config import Settings
from amity.core.db import Database
from amity.db import upgrade
from tests.deals.deal_support import make_deal, stages

REPORTS = ("/api/v1/forecast", "/api/v1/sales-stats")


@pytest.fixture
def replica_url(database: Database, tmp_path: Path) -> Iterator[str]:
    if database.dialect == "sqlite":
        path = tmp_path / "replica.db"
        shutil.copy(str(database.engine.url.database), path)  # empty, migrated: no deals
        yield f"sqlite:///{path}"
        return
    base = make_url(database.engine.url.render_as_string(hide_password=False))
    name = f"amity_replica_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _counting(engine: Any) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, stmt, *_a: seen.append(stmt))
    return seen


def test_reports_read_the_replica_and_everything_else_the_primary(
        client: TestClient, settings: Settings, database: Database, admin_user: Any,
        replica_url: str) -> None:
    make_deal(client, name="Open", amount="100.00")
    make_deal(client, name="Won", amount="250.00", stage_id=stages(client)["Won"])
    from_primary = {path: client.get(path).json() for path in REPORTS}
    assert from_primary["/api/v1/forecast"]["rows"], "the deals count on primary"

    routed = create_app(settings.model_copy(update={"database_replica_url": replica_url}),
                        database=database)
    replica_statements = _counting(routed.state.read_database.engine)
    primary_statements = _counting(database.engine)
    with TestClient(routed) as c:
        c.headers["Authorization"] = f"Bearer {admin_user[1]}"
        for path in REPORTS:
            primary_statements.clear()
            replica_statements.clear()
            r = c.get(path)
            assert r.status_code == 200, r.text
            assert replica_statements, f"{path} sent nothing to the replica"
            # The replica holds no deals: what the report shows came from it.
            assert r.json() != from_primary[path]
            assert not any("deals" in s for s in primary_statements), path
        replica_statements.clear()
        listed = c.get("/api/v1/deals")
        assert listed.status_code == 200 and len(listed.json()["items"]) == 2
        assert replica_statements == [], "lists must read the primary (no replica lag)"
        # Writes are never sent to the replica.
        make_deal(c, name="Deal 3", amount="5.00")
        assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
                       for s in replica_statements)


def test_without_a_replica_reports_share_the_request_session(
        app: Any, client: TestClient, database: Database) -> None:
    assert app.state.read_database is None
    make_deal(client, name="Deal", amount="10.00")
    seen = _counting(database.engine)
    r = client.get("/api/v1/forecast")
    assert r.status_code == 200 and r.json()["rows"]
    assert seen  # the primary answered
