"""/tokens: each user's personal API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import Field, StringConstraints
from sqlalchemy import select

from amity.api.deps import CurrentUser, DbSession
from amity.auth import service
from amity.auth.models import ApiToken
from amity.core.clock import now
from amity.core.errors import NotFound, ValidationFailed
from amity.core.schemas import Input, Output

router = APIRouter(tags=["tokens"])


class TokenCreate(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    expires_at: datetime | None = Field(None, description="Leave out for a token that does "
                                                          "not expire")


class TokenRead(Output):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenIssued(TokenRead):
    token: str = Field(description="Shown once; store it now")


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(db: DbSession, user: CurrentUser) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                           .order_by(ApiToken.created_at.desc())))


@router.post("/tokens", status_code=201, response_model=TokenIssued)
def create_token(body: TokenCreate, db: DbSession, user: CurrentUser) -> TokenIssued:
    if body.expires_at is not None and (body.expires_at.tzinfo is None
                                        or body.expires_at <= now()):
        raise ValidationFailed("token.expiry", "expires_at must be a future time with a time "
                               "zone", "expires_at")
    tok, plain = service.create_api_token(db, user=user, name=body.name,
                                          expires_at=body.expires_at)
    return TokenIssued(**TokenRead.model_validate(tok).model_dump(), token=plain)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    tok = db.get(ApiToken, token_id)
    if tok is None or tok.user_id != user.id:
        raise NotFound("token")
    service.revoke_api_token(db, token=tok, actor_id=user.id)
    return Response(status_code=204)
