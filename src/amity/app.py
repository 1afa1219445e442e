"""The ASGI application: the REST API under /api/v1 and the web UI under /."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from amity import __version__
from amity.api import errors, health
from amity.api.middleware import RequestObservability
from amity.api.v1 import router as v1_router
from amity.api.v1.calendar import feed_router as calendar_feed_router
from amity.config import Settings, get_settings
from amity.core.db import Database, make_engine
from amity.ops.metrics import app_registry as metrics_registry
from amity.ops.metrics import instrument_pool
from amity.web import STATIC_DIR
from amity.web import router as web_router
from amity.web.routes.hooks import router as hooks_router

API_DESCRIPTION = """Amity's REST API.

Authenticate with `Authorization: Bearer <token>` (create one with `amity user token` or
`POST /api/v1/tokens`). Errors are RFC 9457 problem+json with a `code` and the offending `field`.
Lists use keyset pagination: pass `next_cursor` back as `cursor`. Send `If-Match` with the ETag
you read to update safely (412 if someone changed the record since), and `Idempotency-Key` on
POST so a retried create makes one record.
"""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = database or Database(_engine(settings, settings.database_url))
    # Reports and analytics read from the replica when one is configured (api/replica.py).
    replica = (Database(_engine(settings, settings.database_replica_url))
               if settings.database_replica_url else None)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if database is None:
            db.dispose()
        if replica is not None:
            replica.dispose()

    app = FastAPI(title="Amity", version=__version__, description=API_DESCRIPTION,
                  openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs",
                  redoc_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.database = db
    app.state.read_database = replica
    instrument_pool(db.engine, "primary")
    if replica is not None:
        instrument_pool(replica.engine, "replica")
    app.state.metrics = metrics_registry(db)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(v1_router, prefix="/api/v1")
    app.include_router(calendar_feed_router)  # /calendar/{token}.ics: the URL is the secret
    app.include_router(hooks_router)  # /hooks/channels/{id}: signed by the channel's secret
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(web_router, include_in_schema=False)
    app.add_middleware(RequestObservability)  # outermost but for Starlette's error handler
    return app


def _engine(settings: Settings, url: str) -> Engine:
    return make_engine(url, pool_size=settings.db_pool_size,
                       max_overflow=settings.db_max_overflow,
                       busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                       statement_timeout_ms=settings.db_statement_timeout_ms,
                       pool_timeout_s=settings.db_pool_timeout_s)
