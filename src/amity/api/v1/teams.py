"""/teams: groups of users whose records a 'team' scope shares; a manager per team."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import Field, StringConstraints, model_validator
from sqlalchemy import select

from amity.api.deps import CurrentUser, DbSession
from amity.auth import admin
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import Team, User
from amity.core.errors import Forbidden
from amity.core.schemas import Input, Output

router = APIRouter(prefix="/teams", tags=["teams"])
TeamName = Annotated[str, StringConstraints(min_length=1, max_length=120)]
Description = Annotated[str, StringConstraints(max_length=500)]


class MemberRead(Output):
    id: uuid.UUID
    name: str
    email: str


class TeamRead(Output):
    id: uuid.UUID
    name: str
    description: str | None
    manager_id: uuid.UUID | None
    members: list[MemberRead]
    created_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _sorted(cls, data: object) -> object:
        if isinstance(data, Team):
            return {**{k: getattr(data, k) for k in cls.model_fields if k != "members"},
                    "members": sorted(data.members, key=lambda u: (u.name, u.email))}
        return data


class TeamCreate(Input):
    name: TeamName
    description: Description | None = None
    manager_id: uuid.UUID | None = None
    member_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)


class TeamUpdate(Input):
    name: TeamName | None = None
    description: Description | None = None
    manager_id: uuid.UUID | None = None


class Members(Input):
    member_ids: list[uuid.UUID] = Field(max_length=1000, description="The whole membership")


def _require_manage(user: User) -> None:
    """Teams decide who sees whose records: settings.edit or users.edit may change them."""
    if scope_for(user, Permission.SETTINGS_MANAGE) == "none" and \
            scope_for(user, Permission.USERS_MANAGE) == "none":
        raise Forbidden("You need the 'settings.edit' or 'users.edit' permission")


@router.get("", response_model=list[TeamRead])
def list_teams(db: DbSession, user: CurrentUser) -> list[Team]:
    require(user, Permission.USERS_VIEW)
    return list(db.scalars(select(Team).order_by(Team.name)))


@router.post("", status_code=201, response_model=TeamRead)
def create_team(body: TeamCreate, db: DbSession, user: CurrentUser) -> Team:
    _require_manage(user)
    return admin.create_team(db, name=body.name, description=body.description,
                             manager_id=body.manager_id, member_ids=body.member_ids, actor=user)


@router.get("/{team_id}", response_model=TeamRead)
def get_team(team_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Team:
    require(user, Permission.USERS_VIEW)
    return admin.get_team(db, team_id)


@router.patch("/{team_id}", response_model=TeamRead)
def update_team(team_id: uuid.UUID, body: TeamUpdate, db: DbSession, user: CurrentUser) -> Team:
    _require_manage(user)
    return admin.update_team(db, team=admin.get_team(db, team_id), actor=user,
                             fields=set(body.model_fields_set), name=body.name,
                             description=body.description, manager_id=body.manager_id)


@router.delete("/{team_id}", status_code=204)
def delete_team(team_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    _require_manage(user)
    admin.delete_team(db, team=admin.get_team(db, team_id), actor=user)
    return Response(status_code=204)


@router.put("/{team_id}/members", response_model=TeamRead)
def set_members(team_id: uuid.UUID, body: Members, db: DbSession, user: CurrentUser) -> Team:
    _require_manage(user)
    return admin.update_team(db, team=admin.get_team(db, team_id), actor=user, fields=set(),
                             member_ids=body.member_ids)


@router.post("/{team_id}/members/{user_id}", response_model=TeamRead)
def add_member(team_id: uuid.UUID, user_id: uuid.UUID, db: DbSession,
               user: CurrentUser) -> Team:
    _require_manage(user)
    return admin.add_team_member(db, team=admin.get_team(db, team_id), user_id=user_id,
                                 actor=user)


@router.delete("/{team_id}/members/{user_id}", response_model=TeamRead)
def remove_member(team_id: uuid.UUID, user_id: uuid.UUID, db: DbSession,
                  user: CurrentUser) -> Team:
    _require_manage(user)
    return admin.remove_team_member(db, team=admin.get_team(db, team_id), user_id=user_id,
                                    actor=user)
