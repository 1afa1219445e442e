"""Settings pages: users (deactivate, reactivate), teams and roles with their permission grid.

Shown to users who may view settings (``settings.view``); changing users needs ``users.edit``.
The work is done by ``auth.admin``, the same services as the API.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from amity.api.deps import DbSession
from amity.auth import admin
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import Role, Team, User
from amity.auth.permissions import ACTIONS, ENTITIES
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render, templates

router = APIRouter(prefix="/settings", route_class=WebRoute)


def can_view_settings(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.SETTINGS_VIEW) != "none"


# base.html shows the Settings link only to those who may open it
templates.env.globals["can_view_settings"] = can_view_settings


def _page(request: Request, name: str, tab: str, **ctx: object) -> Response:
    return render(request, f"settings/{name}.html", {"tab": tab, **ctx})


@router.get("")
def settings_home(user: WebUser) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    return RedirectResponse("/settings/users", status_code=303)


@router.get("/users")
def users_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    users = list(db.scalars(select(User).order_by(User.is_active.desc(), User.name)))
    return _page(request, "users", "users", users=users,
                 may_edit=scope_for(user, Permission.USERS_MANAGE) != "none")


@router.post("/users/{user_id}/deactivate", dependencies=[CsrfChecked])
def deactivate(user_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.USERS_MANAGE)
    admin.deactivate_user(db, user=admin.get_user(db, user_id), actor=user)
    return RedirectResponse("/settings/users", status_code=303)


@router.post("/users/{user_id}/reactivate", dependencies=[CsrfChecked])
def reactivate(user_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.USERS_MANAGE)
    admin.reactivate_user(db, user=admin.get_user(db, user_id), actor=user)
    return RedirectResponse("/settings/users", status_code=303)


@router.get("/teams")
def teams_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    teams = list(db.scalars(select(Team).order_by(Team.name)))
    managers = {u.id: u for u in db.scalars(select(User).where(
        User.id.in_([t.manager_id for t in teams if t.manager_id])))}
    return _page(request, "teams", "teams", teams=teams, managers=managers)


@router.get("/roles")
def roles_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    roles = list(db.scalars(select(Role).order_by(Role.builtin.desc(), Role.name)))
    return _page(request, "roles", "roles", roles=roles, entities=ENTITIES, actions=ACTIONS)
