"""``amity worker`` and the workers inside ``amity serve``, run as a user would (SQLite file)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from amity.core.db import Database, make_engine
from amity.db import upgrade
from amity.jobs import queue
from amity.jobs.models import Job
from tests.auth.signin_support import csrf_of
from tests.conftest import make_user
from tests.jobs import fault_handlers
from tests.jobs.conftest import Inbox

ROOT = Path(__file__).resolve().parents[2]
AMITY = [sys.executable, "-m", "amity.cli"]
assert fault_handlers


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[str, Database]]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    db = Database(make_engine(url))
    yield url, db
    db.dispose()


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "AMITY_DATABASE_URL": url, "AMITY_JOBS_LEASE_S": "2",
           "AMITY_JOBS_POLL_INTERVAL_S": "0.05", "AMITY_JOBS_DISPATCH_INTERVAL_S": "0.05",
           "AMITY_JOBS_MODULES": "tests.jobs.fault_handlers",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("AMITY_ENVIRONMENT", None)
    return {**env, **extra}


def _status(db: Database, job_id: object) -> str:
    with db.transaction(write=False) as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job.status


def test_burst_runs_what_is_due_and_exits(sqlite_file: tuple[str, Database],
                                          tmp_path: Path) -> None:
    url, db = sqlite_file
    with db.transaction() as s:
        ids = [queue.enqueue(s, "fault.count", {"log": str(tmp_path / "runs.log")}).id
               for _ in range(3)]
    out = subprocess.run([*AMITY, "worker", "--burst"], env=_env(url), cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Ran 3 job(s)" in out.stdout
    assert {_status(db, i) for i in ids} == {"done"}


def test_a_worker_refuses_a_database_that_is_not_upgraded(tmp_path: Path) -> None:
    out = subprocess.run([*AMITY, "worker"], env=_env(f"sqlite:///{tmp_path / 'new.db'}"),
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "amity db upgrade" in out.stderr


def test_sigterm_lets_the_job_in_hand_finish(sqlite_file: tuple[str, Database],
                                             tmp_path: Path) -> None:
    url, db = sqlite_file
    with db.transaction() as s:
        job = queue.enqueue(s, "fault.count", {"log": str(tmp_path / "runs.log"),
                                               "sleep": 1.5})
    proc = subprocess.Popen([*AMITY, "worker", "--concurrency", "1"], env=_env(url), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while _status(db, job.id) != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _status(db, job.id) == "running"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert _status(db, job.id) == "done"  # finished, not abandoned to its lease
    finally:
        if proc.poll() is None:
            proc.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("embedded", ["1", "0"])
def test_serve_runs_jobs_in_process_unless_turned_off(sqlite_file: tuple[str, Database],
                                                      inbox: Inbox, embedded: str) -> None:
    """The forgot-password page queues the email; the server's own worker thread sends it."""
    url, db = sqlite_file
    make_user(db, email="sam@example.com")
    port = _free_port()
    env = _env(url, AMITY_EMBEDDED_WORKERS=embedded, AMITY_SMTP_HOST="127.0.0.1",
               AMITY_SMTP_PORT=str(inbox.port), AMITY_SMTP_STARTTLS="false",
               AMITY_BASE_URL=f"http://127.0.0.1:{port}")
    server = subprocess.Popen([*AMITY, "serve", "--port", str(port), "--no-access-log"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=5) as web:
            deadline = time.monotonic() + 60  # a loaded machine can take a while to start it
            while True:
                try:
                    page = web.get("/password/forgot")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "server did not start in 60 s"
                    time.sleep(0.1)
            r = web.post("/password/forgot", data={"email": "sam@example.com",
                                                   "csrf_token": csrf_of(page.text)})
            assert r.status_code == 200
        deadline = time.monotonic() + (10 if embedded == "1" else 1.5)
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        with db.transaction(write=False) as s:
            [job] = s.query(Job).filter(Job.kind == "accounts.password_reset_mail").all()
        if embedded == "1":
            assert len(inbox.messages) == 1 and job.status == "done"
            body = bytes(inbox.messages[0].get_payload(decode=True)).decode()
            assert re.search(rf"{base}/password/reset\?token=[\w-]+", body)
        else:
            assert inbox.messages == [] and job.status == "queued"
    finally:
        server.terminate()
        assert server.wait(timeout=20) in (0, -signal.SIGTERM)
