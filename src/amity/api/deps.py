"""Request dependencies: settings, the unit-of-work session, the signed-in user, paging."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from amity.auth.models import User
from amity.auth.service import user_for_token
from amity.config import Settings
from amity.core.db import Database
from amity.core.errors import Conflict, DomainError, PreconditionFailed, ValidationFailed

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_db(request: Request) -> Iterator[Session]:
    """One unit of work per request: everything commits together at the end, or nothing does."""
    database = get_database(request)
    session = database.session(write=request.method not in READ_METHODS)
    request.state.db_session = session
    session.info["amity.idempotency_ttl"] = timedelta(
        hours=request.app.state.settings.idempotency_ttl_hours)
    try:
        yield session
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise PreconditionFailed() from exc
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("conflict", "The change conflicts with another one made at the same "
                       "time; retry") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]


class Unauthorized(DomainError):
    status = 401

    def __init__(self, message: str = "Sign in or send 'Authorization: Bearer <token>'") -> None:
        super().__init__("auth.required", message)


def current_user(request: Request, db: DbSession,
                 authorization: Annotated[str | None, Header()] = None) -> User:
    """The user behind the bearer token (API) or the signed-in session (web pages)."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <token>'")
        user = user_for_token(db, token.strip())
        if user is None:
            raise Unauthorized("The token is unknown, expired or revoked")
        request.state.user = user  # the request log line names who asked
        return user
    raise Unauthorized()


CurrentUser = Annotated[User, Depends(current_user)]


def parse_if_match(value: str | None) -> int | None:
    """'"v3"', 'W/"v3"', '"3"' or '3' -> 3; '*' or nothing -> None."""
    if value is None or value.strip() == "*":
        return None
    raw = value.strip().removeprefix("W/").strip('"').removeprefix("v")
    if not raw.isdigit():
        raise ValidationFailed("if_match.invalid", "If-Match must be the ETag you read, "
                               'e.g. "v3"', "If-Match")
    return int(raw)


def etag(version: int) -> str:
    return f'"v{version}"'


IfMatch = Annotated[str | None, Header(alias="If-Match",
                                       description='The ETag you read, e.g. "v3"')]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", description="Send the same key when retrying: one record is made")]
Limit = Annotated[int | None, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str | None, Query(max_length=2000,
                                     description="next_cursor from the previous page")]
