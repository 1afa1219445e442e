"""/users: who is signed in, and managing users (create or invite, roles, deactivation)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import Field, StringConstraints, model_validator
from sqlalchemy import select

from amity.api.deps import CurrentUser, DbSession
from amity.auth import admin
from amity.auth.access import Permission, require
from amity.auth.models import User
from amity.core.schemas import Input, Output, TimeZoneName

router = APIRouter(tags=["users"])
RoleName = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Entity = Literal["contacts", "companies"]
ENTITIES: tuple[Entity, ...] = ("contacts", "companies")


class UserRead(Output):
    id: uuid.UUID
    email: str
    name: str
    is_admin: bool
    is_active: bool
    role: str | None = Field(description="The role's name")
    created_at: datetime
    deactivated_at: datetime | None
    last_login_at: datetime | None
    time_zone: str = Field("UTC", description="Their agenda and reminders use it")

    @model_validator(mode="before")
    @classmethod
    def _role_name(cls, data: object) -> object:
        if isinstance(data, User):
            return {**{k: getattr(data, k) for k in cls.model_fields if k != "role"},
                    "role": data.role.name if data.role else None}
        return data


class UserCreate(Input):
    email: Annotated[str, StringConstraints(min_length=3, max_length=320)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password: Annotated[str, StringConstraints(min_length=10, max_length=500)] | None = Field(
        None, description="Leave out to invite: the user sets a password through a reset")
    is_admin: bool = False
    role: RoleName | None = Field(None, description="Role name; default 'admin' for "
                                                    "administrators, else 'sales_rep'")


class UserUpdate(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    role: RoleName | None = None
    is_admin: bool | None = Field(None, description="Only administrators may change it")
    time_zone: TimeZoneName = Field(None, description="IANA name, e.g. 'Europe/Paris'")


class Deactivate(Input):
    reassign_to: uuid.UUID | None = Field(None, description="Give all their contacts and "
                                                            "companies to this user")


class Reassign(Input):
    to: uuid.UUID
    entities: list[Entity] = Field(default_factory=lambda: list(ENTITIES), min_length=1)


class Reassigned(Output):
    user: UserRead
    reassigned: dict[str, int]


@router.get("/users/me", response_model=UserRead)
def me(user: CurrentUser) -> User:
    return user


@router.get("/users", response_model=list[UserRead])
def list_users(db: DbSession, user: CurrentUser) -> list[User]:
    require(user, Permission.USERS_VIEW)
    return list(db.scalars(select(User).order_by(User.name, User.email)))


@router.post("/users", status_code=201, response_model=UserRead)
def create_user(body: UserCreate, db: DbSession, user: CurrentUser) -> User:
    require(user, Permission.USERS_MANAGE)
    return admin.add_user(db, email=body.email, name=body.name, password=body.password,
                          role=body.role, is_admin=body.is_admin, actor=user)


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(user_id: uuid.UUID, db: DbSession, user: CurrentUser) -> User:
    require(user, Permission.USERS_VIEW)
    return admin.get_user(db, user_id)


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(user_id: uuid.UUID, body: UserUpdate, db: DbSession, user: CurrentUser) -> User:
    require(user, Permission.USERS_MANAGE)
    return admin.update_user(db, user=admin.get_user(db, user_id), actor=user,
                             fields=set(body.model_fields_set), name=body.name, role=body.role,
                             is_admin=body.is_admin, time_zone=body.time_zone)


@router.post("/users/{user_id}/deactivate", response_model=Reassigned,
             summary="Stop a user signing in; optionally hand their records to someone")
def deactivate_user(user_id: uuid.UUID, db: DbSession, user: CurrentUser,
                    body: Deactivate | None = None) -> Reassigned:
    require(user, Permission.USERS_MANAGE)
    target = admin.get_user(db, user_id)
    counts = admin.deactivate_user(db, user=target, actor=user,
                                   reassign_to=body.reassign_to if body else None)
    return Reassigned(user=UserRead.model_validate(target), reassigned=counts)


@router.post("/users/{user_id}/reactivate", response_model=UserRead)
def reactivate_user(user_id: uuid.UUID, db: DbSession, user: CurrentUser) -> User:
    require(user, Permission.USERS_MANAGE)
    return admin.reactivate_user(db, user=admin.get_user(db, user_id), actor=user)


@router.post("/users/{user_id}/reassign", response_model=Reassigned,
             summary="Give all of a user's contacts and/or companies to another user")
def reassign(user_id: uuid.UUID, body: Reassign, db: DbSession, user: CurrentUser) -> Reassigned:
    require(user, Permission.USERS_MANAGE)
    target = admin.get_user(db, user_id)
    counts = admin.reassign_records(db, from_user=target, to_user_id=body.to,
                                    entities=list(body.entities), actor=user)
    return Reassigned(user=UserRead.model_validate(target), reassigned=counts)
