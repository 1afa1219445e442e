"""Every error leaves as RFC 9457 problem+json with a stable code and the offending field."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from amity.core.errors import DomainError

log = logging.getLogger("amity.api")
PROBLEM = "application/problem+json"


class ProblemError(BaseModel):
    field: str
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error is sent."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable code, e.g. 'email.invalid'")
    field: str | None = Field(description="The offending field, e.g. 'emails.0.email'")
    errors: list[ProblemError] | None = Field(None, description="Every validation error")


_PROBLEM_CONTENT = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text, "content": _PROBLEM_CONTENT}
    for status, text in ((400, "The body could not be read (not JSON, or not UTF-8)"),
                         (401, "Not signed in, or the token is unknown, expired or revoked"),
                         (403, "Not permitted"), (404, "Not found"),
                         (409, "Conflicts with a concurrent change; retry"),
                         (412, "The version sent is not the current one"),
                         (422, "Invalid input: `field` names what to fix"))
}


def problem(status: int, code: str, detail: str, field: str | None = None,
            headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": f"/problems/{code}", "title": code.replace(".", " ").replace(
        "_", " "), "status": status, "detail": detail, "code": code, "field": field}
    body.update(extra)
    out = dict(headers or {})
    if status == 401:
        out["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=out or None)


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if len(parts) > 1 else parts
    return ".".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.message, exc.field, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _loc(tuple(e.get("loc", ()))), "message": e.get("msg", ""),
                   "type": e.get("type", "")} for e in exc.errors()]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        field = str(first["field"]) if first["field"] else None
        detail = f"{field}: {first['message']}" if field else str(first["message"])
        return problem(422, "validation_error", detail, field, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "auth.required",
                403: "forbidden"}.get(exc.status_code, f"http_{exc.status_code}")
        # keep the exception's headers: a 405 must say which methods are allowed (Allow)
        return problem(exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "Something went wrong on our side; it was logged")
