"""Settings > Teams and Settings > Roles: create and edit teams (name, description, manager,
members) and custom roles (a scope none/own/team/all per entity and action, and whether the
role sees sensitive fields).

Viewing needs ``settings.view``. Teams change with ``settings.edit`` or ``users.edit`` (as in
the API), roles with ``settings.edit``. Input is checked by the API's schemas and written by
``auth.admin`` and ``auth.roles`` (which audit every change); a refused change re-renders the
form with the message next to its field and changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from amity.api.deps import DbSession
from amity.api.v1.roles import RoleCreate
from amity.api.v1.teams import TeamCreate
from amity.auth import admin, roles
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import Role, Team, User
from amity.auth.permissions import ACTIONS, ENTITIES, SCOPES
from amity.core.errors import DomainError, Forbidden
from amity.web import flash
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

# included by ``settings.router`` (prefix /settings)
router = APIRouter(route_class=WebRoute)



async def _form_data(request: Request) -> FormData:
    # read here (async) so the endpoints themselves stay sync and run in the thread pool
    return await request.form()


RawForm = Annotated[FormData, Depends(_form_data)]
TEAM_FIELDS = ("name", "description", "manager_id", "member_ids")
ROLE_FIELDS = ("name", "description", "permissions")


def may_manage_teams(user: User) -> bool:
    return scope_for(user, Permission.SETTINGS_MANAGE) != "none" or \
        scope_for(user, Permission.USERS_MANAGE) != "none"


def _require_teams(user: User) -> None:
    if not may_manage_teams(user):
        raise Forbidden("You need the 'settings.edit' or 'users.edit' permission")


def _pydantic_errors(exc: ValidationError, known: tuple[str, ...]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for e in exc.errors():
        name = str(e["loc"][0]) if e.get("loc") else "_form"
        errors.setdefault(name if name in known else "_form",
                          str(e["msg"]).removeprefix("Value error, "))
    return errors


def _domain_error(exc: DomainError, known: tuple[str, ...]) -> dict[str, str]:
    field = (exc.field or "").split(".", 1)[0]
    return {field if field in known else "_form": exc.message}


# ---- teams ---------------------------------------------------------------------------------

@router.get("/teams")
def teams_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    teams = list(db.scalars(select(Team).order_by(Team.name)))
    managers = {u.id: u for u in db.scalars(select(User).where(
        User.id.in_([t.manager_id for t in teams if t.manager_id])))}
    return render(request, "settings/teams.html", {
        "tab": "teams", "teams": teams, "managers": managers,
        "may_edit": may_manage_teams(user)})


def _team_form(request: Request, db: Session, team: Team | None, *,
               form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
               status_code: int = 200) -> Response:
    users = list(db.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))
    if form is None:
        form = {"name": team.name if team else "", "description": (team.description or "")
                if team else "", "manager_id": str(team.manager_id or "") if team else "",
                "member_ids": [str(m.id) for m in team.members] if team else []}
    return render(request, "settings/team_edit.html", {
        "tab": "teams", "team": team, "users": users, "form": form, "errors": errors or {}},
        status_code=status_code)


@router.get("/teams/new")
def new_team_page(request: Request, db: DbSession, user: WebUser) -> Response:
    _require_teams(user)
    return _team_form(request, db, None)


@router.get("/teams/{team_id}")
def team_page(team_id: uuid.UUID, request: Request, db: DbSession, user: WebUser) -> Response:
    _require_teams(user)
    return _team_form(request, db, admin.get_team(db, team_id))


def _team_input(data: FormData) -> dict[str, Any]:
    return {"name": str(data.get("name") or "").strip(),
            "description": str(data.get("description") or "").strip(),
            "manager_id": str(data.get("manager_id") or ""),
            "member_ids": [str(v) for v in data.getlist("member_ids")][:1000]}


@router.post("/teams", dependencies=[CsrfChecked])
def create_team(request: Request, db: DbSession, user: WebUser, data: RawForm) -> Response:
    _require_teams(user)
    return _save_team(request, db, user, None, _team_input(data))


@router.post("/teams/{team_id}", dependencies=[CsrfChecked])
def update_team(team_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
                data: RawForm) -> Response:
    _require_teams(user)
    return _save_team(request, db, user, admin.get_team(db, team_id), _team_input(data))


def _save_team(request: Request, db: Session, user: User, team: Team | None,
               form: dict[str, Any]) -> Response:
    try:
        body = TeamCreate.model_validate({
            "name": form["name"], "description": form["description"] or None,
            "manager_id": form["manager_id"] or None,
            "member_ids": form["member_ids"]})
    except ValidationError as exc:
        return _team_form(request, db, team, form=form, status_code=422,
                          errors=_pydantic_errors(exc, TEAM_FIELDS))
    try:
        if team is None:
            team = admin.create_team(db, name=body.name, description=body.description,
                                     manager_id=body.manager_id, member_ids=body.member_ids,
                                     actor=user)
        else:
            admin.update_team(db, team=team, actor=user,
                              fields={"name", "description", "manager_id"}, name=body.name,
                              description=body.description, manager_id=body.manager_id,
                              member_ids=body.member_ids)
    except DomainError as exc:
        db.rollback()
        fresh = admin.get_team(db, team.id) if team is not None else None
        return _team_form(request, db, fresh, form=form, status_code=exc.status,
                          errors=_domain_error(exc, TEAM_FIELDS))
    return flash.flash(request, RedirectResponse(f"/settings/teams#team-{team.id}",
                                                 status_code=303), f"Saved team '{team.name}'.")


@router.post("/teams/{team_id}/delete", dependencies=[CsrfChecked])
def delete_team(team_id: uuid.UUID, request: Request, db: DbSession, user: WebUser) -> Response:
    _require_teams(user)
    team = admin.get_team(db, team_id)
    name = team.name
    admin.delete_team(db, team=team, actor=user)
    return flash.flash(request, RedirectResponse("/settings/teams", status_code=303),
                       f"Deleted team '{name}'; its members keep their records.")


# ---- roles ---------------------------------------------------------------------------------

@router.get("/roles")
def roles_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    all_roles = list(db.scalars(select(Role).order_by(Role.builtin.desc(), Role.name)))
    return render(request, "settings/roles.html", {
        "tab": "roles", "roles": all_roles, "entities": ENTITIES, "actions": ACTIONS,
        "may_edit": scope_for(user, Permission.SETTINGS_MANAGE) != "none"})


def _role_form(request: Request, role: Role | None, *, form: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None, status_code: int = 200,
               copy: Role | None = None) -> Response:
    if form is None:
        source = role or copy
        grid = source.permissions if source else {}
        form = {"name": role.name if role else "",
                "description": (source.description or "") if source else "",
                "permissions": {e: {a: (grid.get(e) or {}).get(a, "none") for a in ACTIONS}
                                for e in ENTITIES},
                "sensitive": bool((grid.get("fields") or {}).get("sensitive"))}
    return render(request, "settings/role_edit.html", {
        "tab": "roles", "role": role, "form": form, "errors": errors or {},
        "entities": ENTITIES, "actions": ACTIONS, "scopes": SCOPES}, status_code=status_code)


@router.get("/roles/new")
def new_role_page(request: Request, db: DbSession, user: WebUser,
                  copy: Annotated[uuid.UUID | None, Query()] = None) -> Response:
    """A new role; ``copy`` starts from another role's grid (a built-in one, say)."""
    require(user, Permission.SETTINGS_MANAGE)
    return _role_form(request, None, copy=roles.get_role(db, copy) if copy else None)


@router.get("/roles/{role_id}")
def role_page(role_id: uuid.UUID, request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    return _role_form(request, roles.get_role(db, role_id))


def _role_input(data: FormData) -> dict[str, Any]:
    return {"name": str(data.get("name") or "").strip(),
            "description": str(data.get("description") or "").strip(),
            "permissions": {e: {a: str(data.get(f"perm.{e}.{a}") or "none")[:20]
                                for a in ACTIONS} for e in ENTITIES},
            "sensitive": data.get("sensitive") == "on"}


@router.post("/roles", dependencies=[CsrfChecked])
def create_role(request: Request, db: DbSession, user: WebUser, data: RawForm) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    return _save_role(request, db, user, None, _role_input(data))


@router.post("/roles/{role_id}", dependencies=[CsrfChecked])
def update_role(role_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
                data: RawForm) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    return _save_role(request, db, user, roles.get_role(db, role_id), _role_input(data))


def _save_role(request: Request, db: Session, user: User, role: Role | None,
               form: dict[str, Any]) -> Response:
    grid = {**form["permissions"], "fields": {"sensitive": form["sensitive"]}}
    try:
        body = RoleCreate.model_validate({"name": form["name"],
                                          "description": form["description"] or None,
                                          "permissions": grid})
    except ValidationError as exc:
        return _role_form(request, role, form=form, status_code=422,
                          errors=_pydantic_errors(exc, ROLE_FIELDS))
    try:
        if role is None:
            role = roles.create_role(db, name=body.name, description=body.description,
                                     permissions=body.permissions, actor=user)
        else:
            roles.update_role(db, role=role, actor=user,
                              fields={"name", "description", "permissions"}, name=body.name,
                              description=body.description, permissions=body.permissions)
    except DomainError as exc:
        db.rollback()
        fresh = roles.get_role(db, role.id) if role is not None else None
        return _role_form(request, fresh, form=form, status_code=exc.status,
                          errors=_domain_error(exc, ROLE_FIELDS))
    return flash.flash(request, RedirectResponse(f"/settings/roles#role-{role.id}",
                                                 status_code=303), f"Saved role '{role.name}'.")


@router.post("/roles/{role_id}/delete", dependencies=[CsrfChecked])
def delete_role(role_id: uuid.UUID, request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    role = roles.get_role(db, role_id)
    name = role.name
    try:
        roles.delete_role(db, role=role, actor=user)
    except DomainError as exc:
        db.rollback()
        return _role_form(request, roles.get_role(db, role_id), status_code=exc.status,
                          errors={"_form": exc.message})
    return flash.flash(request, RedirectResponse("/settings/roles", status_code=303),
                       f"Deleted role '{name}'.")
