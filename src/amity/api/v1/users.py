"""/users: who is signed in, and managing users."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import StringConstraints
from sqlalchemy import select

from amity.api.deps import CurrentUser, DbSession
from amity.auth import service
from amity.auth.access import Permission, require
from amity.auth.models import User
from amity.core.schemas import Input, Output

router = APIRouter(tags=["users"])


class UserRead(Output):
    id: uuid.UUID
    email: str
    name: str
    is_admin: bool
    is_active: bool
    created_at: datetime


class UserCreate(Input):
    email: Annotated[str, StringConstraints(min_length=3, max_length=320)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password: Annotated[str, StringConstraints(min_length=10, max_length=500)] | None = None
    is_admin: bool = False


@router.get("/users/me", response_model=UserRead)
def me(user: CurrentUser) -> User:
    return user


@router.get("/users", response_model=list[UserRead])
def list_users(db: DbSession, user: CurrentUser) -> list[User]:
    return list(db.scalars(select(User).order_by(User.name)))


@router.post("/users", status_code=201, response_model=UserRead)
def create_user(body: UserCreate, db: DbSession, user: CurrentUser) -> User:
    require(user, Permission.USERS_MANAGE)
    return service.create_user(db, email=body.email, name=body.name, password=body.password,
                               is_admin=body.is_admin, actor_id=user.id)
