"""Import/export tests: files under the test's own directory; jobs run inline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.config import Settings
from amity.core.db import Database
from amity.jobs.worker import run_until_idle


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=str(database.engine.url),
                    secret_key="test-secret-key-that-is-long-enough-0123456789",
                    default_region="US", import_dir=tmp_path / "imports",
                    export_dir=tmp_path / "exports", import_batch_size=50,
                    export_sync_max_rows=1000, jobs_backoff_base_s=0.01,
                    jobs_backoff_max_s=0.01)


def upload(client: TestClient, name: str, data: bytes, entity: str = "contacts",
           status: int = 201) -> dict[str, Any]:
    r = client.post("/api/v1/imports", files={"file": (name, data)}, data={"entity": entity})
    assert r.status_code == status, r.text
    return dict(r.json())


def run_import(client: TestClient, database: Database, settings: Settings, imp_id: str,
               mapping: dict[str, str] | None = None,
               options: dict[str, Any] | None = None) -> dict[str, Any]:
    if mapping is not None or options is not None:
        body: dict[str, Any] = {"mapping": mapping or client.get(
            f"/api/v1/imports/{imp_id}").json()["mapping"], "options": options or {}}
        r = client.put(f"/api/v1/imports/{imp_id}/mapping", json=body)
        assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/imports/{imp_id}/run")
    assert r.status_code == 202, r.text
    run_until_idle(database, settings)
    return dict(client.get(f"/api/v1/imports/{imp_id}").json())
