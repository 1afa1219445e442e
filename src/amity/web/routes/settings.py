"""Settings pages: users (create or invite, change role, deactivate with reassignment,
reactivate). Teams and roles are in ``settings_teams``.

Shown to users who may view settings (``settings.view``); changing users needs ``users.edit``.
The work is done by ``auth.admin``, the same services as the API (which audit every change);
a refused change re-renders the page with its message next to the form that caused it (422).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.api.deps import DbSession
from amity.api.v1.users import UserCreate
from amity.auth import admin
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import Role, User
from amity.core.errors import DomainError
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.routes import settings_teams
from amity.web.templating import render, templates

router = APIRouter(prefix="/settings", route_class=WebRoute)
Text = Annotated[str, Form(max_length=1000)]


def can_view_settings(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.SETTINGS_VIEW) != "none"


# base.html shows the Settings link only to those who may open it
templates.env.globals["can_view_settings"] = can_view_settings


def _page(request: Request, name: str, tab: str, status_code: int = 200,
          **ctx: object) -> Response:
    return render(request, f"settings/{name}.html", {"tab": tab, **ctx},
                  status_code=status_code)


@router.get("")
def settings_home(user: WebUser) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    return RedirectResponse("/settings/users", status_code=303)


def _users_page(request: Request, db: Session, user: User, *,
                errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                notice: str | None = None, status_code: int = 422) -> Response:
    users = list(db.scalars(select(User).order_by(User.is_active.desc(), User.name)))
    roles = list(db.scalars(select(Role).order_by(Role.builtin.desc(), Role.name)))
    return _page(request, "users", "users", users=users, roles=roles, errors=errors or {},
                 form=form or {"name": "", "email": "", "role": "sales_rep"}, notice=notice,
                 may_edit=scope_for(user, Permission.USERS_MANAGE) != "none",
                 status_code=status_code if errors else 200)


def _refused(request: Request, db: Session, user: User, key: str, exc: DomainError,
             form: dict[str, str] | None = None) -> Response:
    """Show a refused change next to its form; the request's writes are undone."""
    db.rollback()
    known = key == "new" and exc.field in ("name", "email", "role", "password")
    field = f"new.{exc.field}" if known else key
    return _users_page(request, db, user, errors={field: exc.message}, form=form,
                       status_code=exc.status)


@router.get("/users")
def users_page(request: Request, db: DbSession, user: WebUser,
               notice: str | None = None) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    notices = {"invited": "Invited: they choose a password with \u201cForgot password\u201d on "
                          "the sign-in page.", "created": "User created."}
    return _users_page(request, db, user, notice=notices.get(notice or ""))


@router.post("/users", dependencies=[CsrfChecked])
def create_user(request: Request, db: DbSession, user: WebUser, name: Text = "",
                email: Text = "", role: Text = "", password: Text = "",
                is_admin: Text = "") -> Response:
    require(user, Permission.USERS_MANAGE)
    form = {"name": name, "email": email, "role": role}
    try:
        body = UserCreate(name=name.strip(), email=email.strip(), role=role or None,
                          password=password or None, is_admin=is_admin == "on")
    except ValidationError as exc:
        errors = {f"new.{'.'.join(str(p) for p in e['loc'])}":
                  str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()}
        return _users_page(request, db, user, errors=errors, form=form)
    try:
        admin.add_user(db, email=body.email, name=body.name, password=body.password,
                       role=body.role, is_admin=body.is_admin, actor=user)
    except DomainError as exc:
        return _refused(request, db, user, "new", exc, form)
    done = "created" if body.password else "invited"
    return RedirectResponse(f"/settings/users?notice={done}", status_code=303)


@router.post("/users/{user_id}/role", dependencies=[CsrfChecked])
def change_role(user_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
                role: Text = "") -> Response:
    require(user, Permission.USERS_MANAGE)
    target = admin.get_user(db, user_id)
    try:
        admin.update_user(db, user=target, actor=user, fields={"role"}, name=None,
                          role=role or None, is_admin=None)
    except DomainError as exc:
        return _refused(request, db, user, f"row.{user_id}", exc)
    return RedirectResponse("/settings/users", status_code=303)


@router.post("/users/{user_id}/deactivate", dependencies=[CsrfChecked])
def deactivate(user_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
               reassign_to: Text = "") -> Response:
    """Deactivate; with ``reassign_to`` their contacts and companies go to that user first."""
    require(user, Permission.USERS_MANAGE)
    target = admin.get_user(db, user_id)
    try:
        heir = uuid.UUID(reassign_to) if reassign_to else None
    except ValueError:
        return _refused(request, db, user, f"row.{user_id}", DomainError(
            "user.not_found", "Choose a user from the list to receive the records"))
    try:
        admin.deactivate_user(db, user=target, actor=user, reassign_to=heir)
    except DomainError as exc:
        return _refused(request, db, user, f"row.{user_id}", exc)
    return RedirectResponse("/settings/users", status_code=303)


@router.post("/users/{user_id}/reactivate", dependencies=[CsrfChecked])
def reactivate(user_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.USERS_MANAGE)
    admin.reactivate_user(db, user=admin.get_user(db, user_id), actor=user)
    return RedirectResponse("/settings/users", status_code=303)


router.include_router(settings_teams.router)  # teams and roles: /settings/teams, /roles
