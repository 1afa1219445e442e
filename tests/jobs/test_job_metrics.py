"""Job failures are counted per queue and outcome, and ``amity worker --metrics-port`` shows
them to Prometheus."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client import REGISTRY

from amity.config import Settings
from amity.core.db import Database
from amity.jobs import queue
from amity.jobs.worker import run_until_idle
from tests.jobs.conftest import Clock, Recorder

ROOT = Path(__file__).resolve().parents[2]


def _failures(kind: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("amity_job_failures_total",
                                     {"queue": kind, "outcome": outcome}) or 0.0


def test_failed_and_dead_attempts_are_counted(database: Database, jobs_settings: Settings,
                                              recorder: Recorder, clock: Clock) -> None:
    before = {(k, o): _failures(k, o) for k in ("t.fail", "t.permanent", "t.ok")
              for o in ("failed", "dead")}
    recorder.fail_times = -1  # always
    with database.transaction() as s:
        queue.enqueue(s, "t.fail", {}, max_attempts=2)
        queue.enqueue(s, "t.permanent", {})
        queue.enqueue(s, "t.ok", {"n": 1})
    for _ in range(3):
        run_until_idle(database, jobs_settings)
        clock.advance(hours=2)
    delta = {key: _failures(*key) - value for key, value in before.items()}
    assert delta == {("t.fail", "failed"): 1, ("t.fail", "dead"): 1,
                     ("t.permanent", "failed"): 0, ("t.permanent", "dead"): 1,
                     ("t.ok", "failed"): 0, ("t.ok", "dead"): 0}


def test_worker_serves_its_metrics(database: Database) -> None:
    if database.dialect != "sqlite":
        return  # the endpoint does not depend on the database; once is enough
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {**os.environ, "AMITY_DATABASE_URL": str(database.engine.url),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.Popen([sys.executable, "-m", "amity.cli", "worker", "--metrics-port",
                             str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert r.status_code == 200
        assert "# TYPE amity_job_failures_total counter" in r.text
    finally:
        proc.terminate()
        proc.wait(timeout=60)
