"""Rolling upgrade: the previous release keeps serving its main reads and writes while, and
after, the new release migrates the database under it (expand, migrate, contract: see
docs/deploy.md), and the new release reads what the old one wrote.

The previous release is the newest commit whose schema head differs from HEAD's, taken out of
git into a temporary directory and served by uvicorn in its own process, against a database
that release created. Skipped outside a git checkout.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from amity.core.db import Database, make_engine
from amity.db import current_revision, head_revision, upgrade
from tests.conftest import PG_URL
from tests.ops import rolling_support as rs

pytestmark = pytest.mark.skipif(shutil.which("git") is None or not (rs.REPO / ".git").exists(),
                                reason="needs the git history (a git checkout)")

MAKE_TOKEN = """
from amity.auth import service as auth
from amity.core.db import Database, make_engine
from amity.db import upgrade
import os
url = os.environ["AMITY_DATABASE_URL"]
upgrade(url)
db = Database(make_engine(url))
with db.transaction() as s:
    user = auth.create_user(s, email="ops@example.com", name="Ops", password="correct horse 12",
                            is_admin=True)
    _, token = auth.create_api_token(s, user=user, name="rolling")
print(token)
"""


@pytest.fixture(scope="module")
def old_release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    commit, head = rs.previous_release()
    return rs.extract(commit, tmp_path_factory.mktemp("previous")), head


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rolling.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (AMITY_TEST_DATABASE_URL unset)")
    base = make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"amity_rolling_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.text[:500]}"
    return r.json()


def _work(c: httpx.Client, tag: str) -> dict[str, Any]:
    """The main reads and writes: contacts, companies, notes, deals and their moves."""
    company = _ok(c.post("/api/v1/companies", json={"name": f"Acme {tag}"}), 201)
    contact = _ok(c.post("/api/v1/contacts", json={
        "first_name": "Ada", "last_name": f"Lovelace{tag}", "company_id": company["id"],
        "emails": [{"email": f"ada-{tag}@example.com"}]}), 201)
    etag = c.get(f"/api/v1/contacts/{contact['id']}").headers["etag"]
    _ok(c.patch(f"/api/v1/contacts/{contact['id']}", json={"job_title": "Engineer"},
                headers={"If-Match": etag}))
    _ok(c.post(f"/api/v1/contacts/{contact['id']}/notes", json={"body": f"note {tag}"}), 201)
    stages = {s["name"]: s["id"] for s in _ok(c.get("/api/v1/pipelines"))[0]["stages"]}
    deal = _ok(c.post("/api/v1/deals", json={"name": f"Deal {tag}", "currency": "EUR",
                                             "amount": "1200.00",
                                             "contact_id": contact["id"]}), 201)
    _ok(c.post(f"/api/v1/deals/{deal['id']}/move", json={"stage_id": stages["Proposal"]}))
    got = _ok(c.get(f"/api/v1/contacts/{contact['id']}"))
    assert got["job_title"] == "Engineer" and got["company_id"] == company["id"]
    listed = _ok(c.get("/api/v1/contacts", params={"q": f"Lovelace{tag}"}))
    assert contact["id"] in [x["id"] for x in listed["items"]]  # search is fuzzy
    assert _ok(c.get(f"/api/v1/deals/{deal['id']}"))["stage_id"] == stages["Proposal"]
    return {"contact": contact["id"], "deal": deal["id"], "company": company["id"]}


def test_previous_release_serves_reads_and_writes_across_the_upgrade(
        old_release: tuple[Path, str], empty_url: str, tmp_path: Path) -> None:
    src, old_head = old_release
    env = {"AMITY_DATABASE_URL": empty_url, "AMITY_ENVIRONMENT": "test",
           "AMITY_SECRET_KEY": "s" * 40, "AMITY_EMBEDDED_WORKERS": "0"}
    token = rs.run_old(src, MAKE_TOKEN, env).splitlines()[-1]  # the old release's schema
    new_head = head_revision(empty_url)
    assert old_head != new_head
    database = Database(make_engine(empty_url))
    try:
        assert current_revision(database.engine) == old_head
        with rs.old_server(src, env, tmp_path / "old.log") as base, httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            before = _work(c, "before")
            upgrade(empty_url)  # the new release migrates while the old one serves
            assert current_revision(database.engine) == new_head
            after = _work(c, "after")  # the old code against the new schema
            for made in (before, after):
                assert _ok(c.get(f"/api/v1/contacts/{made['contact']}"))["job_title"]
        # The new release reads everything the old one wrote.
        from fastapi.testclient import TestClient

        from amity.app import create_app
        from amity.config import Settings

        app = create_app(Settings(environment="test", database_url=empty_url,
                                  secret_key="s" * 40), database=database)
        with TestClient(app) as new:
            new.headers["Authorization"] = f"Bearer {token}"
            assert _ok(new.get("/readyz"))["status"] == "ready"
            for made in (before, after):
                contact = _ok(new.get(f"/api/v1/contacts/{made['contact']}"))
                assert contact["job_title"] == "Engineer"
                deal = _ok(new.get(f"/api/v1/deals/{made['deal']}"))
                assert deal["contact_id"] == made["contact"]
    finally:
        database.dispose()


def test_readiness_stays_green_when_a_newer_release_has_migrated(client: Any,
                                                                 database: Database) -> None:
    """An unknown revision is a newer release's (its migrations only add): keep serving. A
    known older one means this release's migrations have not run: not ready."""
    current = current_revision(database.engine)
    try:
        for version, status in (("9999_from_the_future", 200), ("0001", 503), (current, 200)):
            with database.engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": version})
            r = client.get("/readyz")
            assert r.status_code == status, (version, r.text)
    finally:
        with database.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
