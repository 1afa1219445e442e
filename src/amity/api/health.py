"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from amity import __version__
from amity.db import alembic_config, current_revision, head_revision
from amity.ops import metrics

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


def _schema_check(current: str | None, url: str) -> str:
    """"ok" at this code's head, and also when the database is at a revision this code does not
    know: a newer release has migrated it during a rolling upgrade, and its migrations only
    expand the schema (docs/deploy.md), so this older process keeps serving."""
    head = head_revision(url)
    if current == head:
        return "ok"
    known = {r.revision for r in ScriptDirectory.from_config(alembic_config(url))
             .walk_revisions()}
    if current is not None and current not in known:
        return "ok"
    return f"at {current}, expected {head}"


@router.get("/readyz", summary="The database is reachable and its schema is current")
def readyz(request: Request) -> JSONResponse:
    database = request.app.state.database
    checks: dict[str, Any] = {}
    try:
        with database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
        checks["migrations"] = _schema_check(current_revision(database.engine),
                                             request.app.state.settings.database_url)
    except SQLAlchemyError as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values()) and len(checks) == 2
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def prometheus_metrics(request: Request) -> Response:
    """Request latency by route template, database pool use, job queue depth and age.

    Like /healthz, it needs no sign-in: expose it only where Prometheus can reach it (the
    load balancer in docs/deploy.md does not forward it)."""
    return Response(metrics.render(request.app.state.metrics), media_type=metrics.CONTENT_TYPE)
