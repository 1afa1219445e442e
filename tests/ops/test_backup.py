"""Backups and restores on both databases: every table comes back exactly as it was; a damaged
or foreign file is refused and changes nothing; a SQLite backup taken while writers write is a
consistent database."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from amity.core.db import Base, Database
from amity.ops.backup import BackupError, Manifest, backup, manifest_path, restore
from tests.commerce.support import make_order
from tests.deals.deal_support import make_deal
from tests.factories import make_contact


def _url(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=False)


def _every_table(database: Database) -> dict[str, list[str]]:
    """Each table's rows as sorted JSON strings: equal dicts mean equal contents."""
    out: dict[str, list[str]] = {}
    with database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(table.select()).mappings().all()
            out[table.name] = sorted(json.dumps(dict(r), default=str, sort_keys=True)
                                     for r in rows)
    return out


def _business(client: TestClient) -> None:
    for i, name in enumerate(("Ada", "Grace", "Linus", "Margaret", "Alan")):
        c = make_contact(client, first_name=name, last_name="Ünïcode",
                         emails=[{"email": f"p{i}@example.com"}], tags=["vip"])
        client.post(f"/api/v1/contacts/{c['id']}/notes", json={"body": f"note {i}"})
        make_order(client, c, {"description": "Croissant", "quantity": "3",
                               "unit_price": "0.10"})
        make_deal(client, name=f"Deal {i}", contact_id=c["id"], amount="0.30")


def test_backup_then_restore_brings_every_table_back(client: TestClient, database: Database,
                                                    tmp_path: Path) -> None:
    _business(client)
    before = _every_table(database)
    assert len(before["contacts"]) == 5 and len(before["orders"]) == 5
    out = tmp_path / "amity.backup"
    manifest = backup(_url(database), out)
    assert out.is_file() and manifest_path(out).is_file()
    assert manifest.tables["contacts"] == 5 and manifest.tables["deals"] == 5
    assert manifest.revision is not None

    # the business goes on, then something goes wrong
    make_contact(client, first_name="After", last_name="Backup")
    with database.transaction() as s:
        s.execute(text("DELETE FROM notes"))
    assert _every_table(database) != before

    database.engine.dispose()  # a restore wants Amity's connections closed
    restored = restore(_url(database), out)
    assert restored == Manifest.read(manifest_path(out))
    assert _every_table(database) == before
    r = client.get("/api/v1/contacts", params={"q": "Margaret"})
    assert [c["first_name"] for c in r.json()["items"]] == ["Margaret"]  # search index too


def test_damaged_or_foreign_backups_are_refused_and_change_nothing(
        client: TestClient, database: Database, tmp_path: Path) -> None:
    _business(client)
    out = tmp_path / "a.backup"
    backup(_url(database), out)
    with pytest.raises(BackupError, match="exists already"):
        backup(_url(database), out)
    make_contact(client, first_name="Kept")
    before = _every_table(database)

    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(out.read_bytes()[:-10] + b"0123456789")
    manifest_path(damaged).write_text(manifest_path(out).read_text())
    with pytest.raises(BackupError, match="SHA-256"):
        restore(_url(database), damaged)
    foreign = tmp_path / "foreign.backup"
    foreign.write_bytes(out.read_bytes())
    data = json.loads(manifest_path(out).read_text())
    data["kind"] = "postgresql" if data["kind"] == "sqlite" else "sqlite"
    manifest_path(foreign).write_text(json.dumps(data))
    with pytest.raises(BackupError, match="backup; the target is"):
        restore(_url(database), foreign)
    with pytest.raises(BackupError, match="cannot read the manifest"):
        (tmp_path / "bare.backup").write_bytes(b"x")
        restore(_url(database), tmp_path / "bare.backup")
    assert _every_table(database) == before


def test_cli_backup_and_restore(client: TestClient, database: Database, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from amity.cli import app
    from amity.config import get_settings

    _business(client)
    before = _every_table(database)
    monkeypatch.setenv("AMITY_DATABASE_URL", _url(database))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = tmp_path / "cli.backup"
        r = runner.invoke(app, ["backup", str(out)])
        assert r.exit_code == 0, r.output
        assert "backed up" in r.output and out.is_file()
        with database.transaction() as s:
            s.execute(text("DELETE FROM order_lines"))
        r = runner.invoke(app, ["restore", str(out)])
        assert r.exit_code == 2 and "--yes" in r.output  # nothing replaced without --yes
        assert _every_table(database)["order_lines"] == []
        database.engine.dispose()
        r = runner.invoke(app, ["restore", str(out), "--yes"])
        assert r.exit_code == 0, r.output
        assert _every_table(database) == before
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_backup_while_writers_write_is_consistent(client: TestClient,
                                                         database: Database,
                                                         tmp_path: Path) -> None:
    _business(client)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            with database.transaction() as s:
                s.execute(text("UPDATE contacts SET job_title = :t"), {"t": f"title {n}"})
            n += 1
        written.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        manifests: list[Any] = [backup(_url(database), tmp_path / f"live-{i}.backup")
                                for i in range(3)]
    finally:
        stop.set()
        thread.join()
    assert written and written[0] > 0
    for i, manifest in enumerate(manifests):
        path = tmp_path / f"live-{i}.backup"
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            # one moment: every contact carries the same title (each update is atomic)
            titles = {row[0] for row in conn.execute("SELECT job_title FROM contacts")}
            assert len(titles) == 1, titles
            assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == \
                manifest.tables["contacts"] == 5
        finally:
            conn.close()
