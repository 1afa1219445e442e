"""The data layer itself: concurrent SQLite writers, UTC times, engine settings."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from amity.auth import service as auth
from amity.auth.models import User
from amity.core.audit import AuditEntry
from amity.core.db import Database, make_engine


def test_sqlite_pragmas(tmp_path: Path, sqlite_template: Path) -> None:
    db = Database(make_engine(f"sqlite:///{sqlite_template}"))
    with db.transaction(write=False) as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() == 15000
    db.dispose()


def test_concurrent_sqlite_writers_queue_instead_of_failing(tmp_path: Path,
                                                             sqlite_template: Path) -> None:
    """Eight threads each read-then-write in one transaction; BEGIN IMMEDIATE serialises them
    on the lock, so none fails with 'database is locked' and every write lands."""
    path = tmp_path / "busy.db"
    path.write_bytes(sqlite_template.read_bytes())
    db = Database(make_engine(f"sqlite:///{path}"))
    errors: list[BaseException] = []
    per_thread = 15

    def writer(n: int) -> None:
        try:
            for i in range(per_thread):
                with db.transaction() as s:
                    # read first, then write: the pattern that fails with deferred transactions
                    s.scalar(select(func.count()).select_from(User))
                    s.add(User(email=f"w{n}-{i}@example.com", name="w"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 8 * per_thread
    db.dispose()


def test_times_come_back_timezone_aware_utc(database: Database) -> None:
    paris = timezone(timedelta(hours=1))
    at = datetime(2026, 3, 1, 12, 30, tzinfo=paris)
    with database.transaction() as s:
        e = AuditEntry(at=at, action="x", entity_type="t", entity_id=uuid.uuid4(), changes={})
        s.add(e)
        s.flush()
        eid = e.id
    with database.transaction(write=False) as s:
        got = s.get(AuditEntry, eid)
        assert got is not None
        assert got.at.tzinfo is not None and got.at.utcoffset() == timedelta(0)
        assert got.at == datetime(2026, 3, 1, 11, 30, tzinfo=UTC)


def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), database.transaction() as s:
        s.add(AuditEntry(at=datetime(2026, 1, 1), action="x", entity_type="t",
                         changes={}))
        s.flush()
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_unit_of_work_rolls_back_everything_on_error(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as s:
        auth.create_user(s, email="gone@example.com", name="Gone")
        s.flush()
        raise RuntimeError("boom")
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0
