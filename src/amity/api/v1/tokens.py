"""/tokens: personal API tokens with scopes and expiry; administrators see and revoke anyone's."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field, StringConstraints

from amity.api.deps import CurrentUser, DbSession
from amity.auth import service
from amity.auth.access import Permission, require
from amity.auth.models import ApiToken, User
from amity.core.errors import Forbidden, NotFound
from amity.core.schemas import Input, Output

router = APIRouter(tags=["tokens"])

Scope = Annotated[str, StringConstraints(min_length=1, max_length=60)]


class TokenCreate(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    expires_at: datetime | None = Field(None, description="Leave out for a token that does "
                                                          "not expire")
    scopes: list[Scope] = Field(default_factory=lambda: ["*"], max_length=50, description=(
        "What the token may do, within the user's own role: '*' (everything), or "
        "'<entity>:read', '<entity>:write', '<entity>:*' for contacts, companies, deals, "
        "tickets, orders, reports, settings, users"))


class TokenRead(Output):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenIssued(TokenRead):
    token: str = Field(description="Shown once; store it now")


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(db: DbSession, user: CurrentUser, user_id: Annotated[uuid.UUID | None, Query(
        description="Another user's tokens (administrators)")] = None) -> list[ApiToken]:
    if user_id is not None and user_id != user.id:
        require(user, Permission.USERS_MANAGE)
        if db.get(User, user_id) is None:
            raise NotFound("user")
    return service.tokens_of(db, user_id=user_id or user.id)


@router.post("/tokens", status_code=201, response_model=TokenIssued)
def create_token(body: TokenCreate, db: DbSession, user: CurrentUser) -> TokenIssued:
    tok, plain = service.create_api_token(db, user=user, name=body.name,
                                          expires_at=body.expires_at, scopes=body.scopes)
    return TokenIssued(**TokenRead.model_validate(tok).model_dump(), token=plain)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    tok = db.get(ApiToken, token_id)
    if tok is None:
        raise NotFound("token")
    if tok.user_id != user.id:
        try:
            require(user, Permission.USERS_MANAGE)
        except Forbidden as exc:
            raise NotFound("token") from exc
    service.revoke_api_token(db, token=tok, actor_id=user.id)
    return Response(status_code=204)
