"""What the request middleware (request id, metrics, log line) costs per request.

    python bench/middleware_overhead.py [--requests 20000]

Calls the ASGI app in-process (no sockets, no HTTP client) for GET /healthz — an endpoint that
touches no database, so the middleware's share is as large as it can be — with and without the
middleware, then with the JSON log line written (to /dev/null). Prints the median and p95 per
request of interleaved rounds, and the difference. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from amity.api.middleware import RequestObservability
from amity.app import create_app
from amity.config import Settings
from amity.ops.logs import configure_logging


def _scope() -> dict[str, Any]:
    return {"type": "http", "http_version": "1.1", "method": "GET", "path": "/healthz",
            "raw_path": b"/healthz", "root_path": "", "scheme": "http", "query_string": b"",
            "headers": [(b"host", b"bench")], "client": ("127.0.0.1", 1), "server": ("b", 80)}


async def _call(app: Any) -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict[str, Any]) -> None:
        return None

    await app(_scope(), receive, send)


async def _round(app: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        await _call(app)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp}/bench.db",
                        secret_key="x" * 40)
    with_mw = create_app(settings)
    # The same app without the middleware: Starlette builds its stack lazily from this list.
    without = create_app(settings)
    without.user_middleware = [m for m in without.user_middleware
                               if m.cls is not RequestObservability]
    samples: dict[str, list[float]] = {"without": [], "with": [], "with+json log": []}
    loop = asyncio.new_event_loop()
    rounds = 10
    per = args.requests // rounds
    devnull = open(os.devnull, "w")  # noqa: SIM115
    for _ in range(rounds):  # interleaved, so load changes on the shared machine hit all three
        logging.getLogger().setLevel(logging.WARNING)
        samples["without"] += loop.run_until_complete(_round(without, per))
        samples["with"] += loop.run_until_complete(_round(with_mw, per))
        configure_logging("info", "json")
        for h in logging.getLogger().handlers:
            if isinstance(h, logging.StreamHandler):
                h.setStream(devnull)
        samples["with+json log"] += loop.run_until_complete(_round(with_mw, per))
        logging.getLogger().handlers.clear()
    base = statistics.median(samples["without"])
    print(f"{args.requests} requests each, GET /healthz in-process, load average "
          f"{os.getloadavg()[0]:.1f}")
    for name, xs in samples.items():
        xs.sort()
        med, p95 = statistics.median(xs), xs[int(len(xs) * 0.95)]
        print(f"{name:>14}: median {med * 1e6:7.1f} µs  p95 {p95 * 1e6:7.1f} µs  "
              f"(+{(med - base) * 1e6:5.1f} µs)")


if __name__ == "__main__":
    main()
