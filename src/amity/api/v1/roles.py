"""/roles: permission grids (entity -> action -> scope); built-in roles are read-only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import Field, StringConstraints
from sqlalchemy import select

from amity.api.deps import CurrentUser, DbSession
from amity.auth import roles
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import Role, User
from amity.core.errors import Forbidden
from amity.core.schemas import Input, Output

router = APIRouter(prefix="/roles", tags=["roles"])
RoleName = Annotated[str, StringConstraints(min_length=1, max_length=80,
                                            pattern=r"^[A-Za-z0-9 _.-]+$")]
Description = Annotated[str, StringConstraints(max_length=500)]
GRID_HELP = ('{"contacts": {"view": "team", "edit": "own", ...}, ..., "fields": '
             '{"sensitive": false}}: entities contacts, companies, deals, tickets, orders, '
             'reports, settings, users; actions view, create, edit, delete, export; scopes '
             'none, own, team, all. Missing entries mean none.')


class RoleRead(Output):
    id: uuid.UUID
    name: str
    description: str | None
    builtin: bool
    permissions: dict[str, Any]
    created_at: datetime


class RoleCreate(Input):
    name: RoleName
    description: Description | None = None
    permissions: dict[str, Any] = Field(description=GRID_HELP)


class RoleUpdate(Input):
    name: RoleName | None = None
    description: Description | None = None
    permissions: dict[str, Any] | None = Field(None, description=GRID_HELP)


def _require_read(user: User) -> None:
    if scope_for(user, Permission.USERS_VIEW) == "none" and \
            scope_for(user, Permission.SETTINGS_VIEW) == "none":
        raise Forbidden("You need the 'users.view' or 'settings.view' permission")


@router.get("", response_model=list[RoleRead])
def list_roles(db: DbSession, user: CurrentUser) -> list[Role]:
    _require_read(user)
    return list(db.scalars(select(Role).order_by(Role.builtin.desc(), Role.name)))


@router.post("", status_code=201, response_model=RoleRead)
def create_role(body: RoleCreate, db: DbSession, user: CurrentUser) -> Role:
    require(user, Permission.SETTINGS_MANAGE)
    return roles.create_role(db, name=body.name, description=body.description,
                             permissions=body.permissions, actor=user)


@router.get("/{role_id}", response_model=RoleRead)
def get_role(role_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Role:
    _require_read(user)
    return roles.get_role(db, role_id)


@router.patch("/{role_id}", response_model=RoleRead)
def update_role(role_id: uuid.UUID, body: RoleUpdate, db: DbSession, user: CurrentUser) -> Role:
    require(user, Permission.SETTINGS_MANAGE)
    return roles.update_role(db, role=roles.get_role(db, role_id), actor=user,
                             fields=set(body.model_fields_set), name=body.name,
                             description=body.description, permissions=body.permissions)


@router.delete("/{role_id}", status_code=204)
def delete_role(role_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    roles.delete_role(db, role=roles.get_role(db, role_id), actor=user)
    return Response(status_code=204)
