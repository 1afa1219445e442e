"""gunicorn settings for Amity.

    gunicorn -c python:amity.ops.gunicorn_conf 'amity.app:create_app()'

uvicorn workers, Amity's log format for gunicorn's own lines, a clean metrics directory at
start and a dead worker's live gauges dropped, and a graceful timeout matching
``amity serve``'s. Override any of it on the command line (``--workers 8 --bind ...``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from amity.config import get_settings
from amity.ops.logs import log_config

worker_class = "uvicorn.workers.UvicornWorker"
# Two processes a core: one process's thread pool serialises on the interpreter lock once
# several requests are in it (measured at 1,000,000 contacts on 2 cores, 16 clients: 62
# requests/s with 2 processes, 97 with 4; bench/README.md, loadtest.py).
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
bind = os.environ.get("AMITY_BIND", "127.0.0.1:8000")
graceful_timeout = 30  # SIGTERM: stop accepting, finish requests in flight, then exit
timeout = 60  # a worker silent this long is restarted
keepalive = 5  # above nginx's upstream keepalive idle time would be wrong; below is fine
_settings = get_settings()
logconfig_dict = log_config(_settings.log_level, _settings.log_format)

# Several processes write their metrics to files here, summed when /metrics is scraped. Set
# before any worker imports prometheus_client (workers are forked after this file is read).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="amity-metrics-")


def on_starting(_server: Any) -> None:
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(directory, ignore_errors=True)  # a previous run's dead processes
    directory.mkdir(parents=True, exist_ok=True)


def child_exit(_server: Any, worker: Any) -> None:
    from amity.ops.metrics import mark_process_dead

    mark_process_dead(worker.pid)
