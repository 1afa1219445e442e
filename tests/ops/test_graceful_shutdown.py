"""SIGTERM to ``amity serve --workers 2`` while requests are in flight: they all complete, a
request sent after the signal is not served, nothing is lost, and the server exits cleanly.

Requests are kept in flight by a lock the test holds: creating a contact waits for it (on
PostgreSQL a SHARE ROW EXCLUSIVE lock on ``contacts`` blocks inserts; on SQLite an open
``BEGIN IMMEDIATE`` blocks every writer until the busy timeout, raised here to a minute).
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from amity.contacts.models import Contact
from amity.core.db import Database
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]
IN_FLIGHT = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _writers_blocked(database: Database) -> Iterator[None]:
    url = database.engine.url
    if database.dialect == "sqlite":
        conn = sqlite3.connect(str(url.database), isolation_level=None, timeout=30)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
    else:
        with database.engine.connect() as c:
            c.execute(text("LOCK TABLE contacts IN SHARE ROW EXCLUSIVE MODE"))
            try:
                yield
            finally:
                c.rollback()


def _waiting_on_lock(database: Database) -> int:
    """PostgreSQL: backends of this database waiting for a lock (SQLite cannot tell)."""
    with database.engine.connect() as c:
        return int(c.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).scalar_one())


def _count(database: Database, prefix: str) -> int:
    with database.transaction(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(Contact)
                            .where(Contact.first_name.like(f"{prefix}%"))) or 0)


def test_sigterm_lets_requests_in_flight_finish_and_takes_no_new_ones(
        database: Database, tmp_path: Path) -> None:
    _, token = make_user(database, admin=True, email="ops@example.com")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "AMITY_DATABASE_URL": database.engine.url.render_as_string(
        hide_password=False), "AMITY_EMBEDDED_WORKERS": "0",
        "AMITY_SQLITE_BUSY_TIMEOUT_MS": "60000",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("AMITY_ENVIRONMENT", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "amity.cli", "serve", "--port", str(port), "--workers", "2",
         "--no-access-log", "--graceful-timeout", "60"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        # generous: two processes importing the app took 50 s at a load average of 20 here
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "server exited during start-up"
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        # both worker processes answer, so both can hold requests when the signal comes
        for _ in range(4):
            assert httpx.get(f"{base}/api/v1/contacts", headers=headers,
                             timeout=30).status_code == 200

        results: dict[str, Any] = {}

        def create(name: str) -> None:
            try:
                r = httpx.post(f"{base}/api/v1/contacts", headers=headers, timeout=90,
                               json={"first_name": name, "last_name": "Inflight"})
                results[name] = r.status_code
            except httpx.HTTPError as exc:
                results[name] = type(exc).__name__

        with _writers_blocked(database):
            threads = [threading.Thread(target=create, args=(f"flight{i}",))
                       for i in range(IN_FLIGHT)]
            for t in threads:
                t.start()
            if database.dialect == "postgresql":
                until = time.monotonic() + 30
                while _waiting_on_lock(database) < IN_FLIGHT and time.monotonic() < until:
                    time.sleep(0.1)
                assert _waiting_on_lock(database) == IN_FLIGHT
            else:
                time.sleep(3)  # the creates are waiting for SQLite's write lock
            assert results == {}  # none has been answered: all are in flight
            server.send_signal(signal.SIGTERM)
            time.sleep(2)  # the workers close their listening sockets
            late = threading.Thread(target=create, args=("late",))
            late.start()
            late.join(timeout=5)
            assert server.poll() is None  # still finishing the requests in flight
            assert all(name not in results for name in ("flight0", "flight1"))
        # the lock is released: the requests in flight complete
        for t in threads:
            t.join(timeout=60)
        late.join(timeout=60)
        assert {results[f"flight{i}"] for i in range(IN_FLIGHT)} == {201}
        assert results["late"] != 201 and isinstance(results["late"], str), results
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert _count(database, "flight") == IN_FLIGHT
    assert _count(database, "late") == 0
