"""The one request middleware: request id, latency metric by route template, one log line.

A plain ASGI middleware (not Starlette's BaseHTTPMiddleware, which adds a task and a stream per
request): it reads the request id from ``X-Request-ID`` (kept if it is a sane token, otherwise
a new one is made, so a client cannot write arbitrary text into the logs), puts it in the
logging context and on the response, and after the response records the route *template*
(``/api/v1/contacts/{contact_id}``, never the raw path, so the metric has a bounded number of
series) with the status, the duration and the signed-in user's id.
"""

from __future__ import annotations

import logging
import re
import uuid
from time import perf_counter
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from amity.ops import metrics
from amity.ops.logs import request_id_var

log = logging.getLogger("amity.request")
HEADER = b"x-request-id"
_SANE = re.compile(rb"^[A-Za-z0-9._:/+=-]{1,128}$")
UNMATCHED = "<unmatched>"  # 404s for unknown paths share one series
# Any token is a valid HTTP method: made-up ones share one series too.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == HEADER:
            return value.decode("ascii") if _SANE.match(value) else None
    return None


def route_template(scope: Scope) -> str:
    # FastAPI keeps included routers nested: scope["route"] holds the path relative to its
    # router ("/contacts/{contact_id}"); the effective context holds the full template. Its
    # key is not a documented API: tests/ops/test_observability.py fails if it changes.
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = (getattr(context, "path_format", None)
            or getattr(scope.get("route"), "path_format", None))
    if isinstance(path, str) and path:
        return path
    if scope.get("endpoint") is not None and scope.get("root_path"):  # a mount: /static
        return f"{scope['root_path']}/{{path}}"
    return UNMATCHED


def _user_id(scope: Scope) -> str | None:
    user = scope.get("state", {}).get("user")
    uid = getattr(user, "id", None)
    return str(uid) if uid is not None else None


class RequestObservability:
    """Request id in and out, one metric sample and one log line per HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(rid)
        scope.setdefault("state", {})
        status = 500  # what the client gets if the app fails before answering
        started = perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = perf_counter() - started
            route = route_template(scope)
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            metrics.LATENCY.labels(method, route).observe(elapsed)
            metrics.REQUESTS.labels(method, route, str(status)).inc()
            if log.isEnabledFor(logging.INFO):
                extra: dict[str, Any] = {
                    "method": method, "route": route, "path": scope["path"], "status": status,
                    "duration_ms": round(elapsed * 1000, 2), "user_id": _user_id(scope),
                    "request_id": rid}
                log.info("%s %s %d %.1f ms", method, scope["path"], status, elapsed * 1000,
                         extra=extra)
            request_id_var.reset(token)
