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
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        r = anon.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["migrations"].startswith("at older")
    finally:  # the PostgreSQL database is shared by the worker's later tests
        with database.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
