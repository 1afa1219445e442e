from __future__ import annotations

from sqlalchemy import text

from amity.core.db import Database


def test_health_and_readiness(anon, database: Database) -> None:
    assert anon.get("/healthz").json()["status"] == "ok"
    r = anon.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"] == {"database": "ok", "migrations": "ok"}


def test_not_ready_when_schema_is_behind(anon, database: Database) -> None:
    with database.engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        # A revision this release knows, before its head (an unknown one would be a newer
        # release's, which keeps it ready: tests/ops/test_rolling_upgrade.py).
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        r = anon.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["migrations"].startswith("at 0001")
    finally:  # the PostgreSQL database is shared by the worker's later tests
        with database.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
