"""The access chokepoint: the only way a user-requested record is loaded or listed.

Every permission is (entity, action). A user's role gives each a scope: ``none``, ``own``
(records they own), ``team`` (records owned by anyone in a team they belong to or manage, and
unowned records) or ``all``. An API token can narrow that further with scopes such as
``contacts:read``. A record the user may not see is reported as not found (404), so ids do not
leak; one they may see but not change is a 403 and nothing changes.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, or_, select, union
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from amity.auth.models import Team, User, team_members
from amity.auth.permissions import SCOPE_RANK
from amity.core.errors import DomainError, Forbidden, NotFound, ValidationFailed

T = TypeVar("T")


class FieldForbidden(DomainError):
    """403 naming the one field the user may not write (``field`` in the problem)."""

    status = 403

    def __init__(self, field: str, message: str) -> None:
        super().__init__("field.forbidden", message, field)


class Permission(enum.StrEnum):
    CONTACTS_VIEW = "contacts.view"
    CONTACTS_CREATE = "contacts.create"
    CONTACTS_EDIT = "contacts.edit"
    CONTACTS_DELETE = "contacts.delete"
    CONTACTS_EXPORT = "contacts.export"
    COMPANIES_VIEW = "companies.view"
    COMPANIES_CREATE = "companies.create"
    COMPANIES_EDIT = "companies.edit"
    COMPANIES_DELETE = "companies.delete"
    COMPANIES_EXPORT = "companies.export"
    DEALS_VIEW = "deals.view"
    DEALS_CREATE = "deals.create"
    DEALS_EDIT = "deals.edit"
    DEALS_DELETE = "deals.delete"
    DEALS_EXPORT = "deals.export"
    ORDERS_VIEW = "orders.view"
    ORDERS_CREATE = "orders.create"
    ORDERS_EDIT = "orders.edit"
    ORDERS_DELETE = "orders.delete"
    ORDERS_EXPORT = "orders.export"
    TICKETS_VIEW = "tickets.view"
    TICKETS_CREATE = "tickets.create"
    TICKETS_EDIT = "tickets.edit"
    TICKETS_DELETE = "tickets.delete"
    TICKETS_EXPORT = "tickets.export"
    REPORTS_VIEW = "reports.view"
    SETTINGS_VIEW = "settings.view"
    SETTINGS_MANAGE = "settings.edit"
    USERS_VIEW = "users.view"
    USERS_MANAGE = "users.edit"
    AUTOMATION_VIEW = "automation.view"
    AUTOMATION_MANAGE = "automation.edit"  # workflows: create, edit, enable, delete

    @property
    def entity(self) -> str:
        return self.value.split(".", 1)[0]

    @property
    def action(self) -> str:
        return self.value.split(".", 1)[1]


def _token_allows(user: User, permission: Permission) -> bool:
    """API tokens may carry scopes: 'contacts:read' covers view; 'contacts:write' the rest."""
    scopes: list[str] | None = getattr(user, "token_scopes", None)
    if scopes is None or "*" in scopes:
        return True
    kind = "read" if permission.action == "view" else "write"
    return f"{permission.entity}:{kind}" in scopes or f"{permission.entity}:*" in scopes


def scope_for(user: User, permission: Permission) -> str:
    """The scope ('none', 'own', 'team', 'all') within which ``user`` holds ``permission``."""
    if not user.is_active or not _token_allows(user, permission):
        return "none"
    if user.is_admin:
        return "all"
    if user.role is None:
        return "none"
    grid = user.role.permissions.get(permission.entity, {})
    scope = grid.get(permission.action, "none") if isinstance(grid, dict) else "none"
    return scope if scope in SCOPE_RANK else "none"


def can_see_sensitive(user: User) -> bool:
    """May the user read personal notes and custom fields marked sensitive?"""
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    return bool(user.role and user.role.permissions.get("fields", {}).get("sensitive"))


def team_user_ids(db: Session, user: User) -> set[uuid.UUID]:
    """The user and everyone in a team they belong to or manage (one query, then cached)."""
    cache: dict[uuid.UUID, set[uuid.UUID]] = db.info.setdefault("amity.team_ids", {})
    if user.id not in cache:
        mine = union(select(team_members.c.team_id).where(team_members.c.user_id == user.id),
                     select(Team.id).where(Team.manager_id == user.id)).subquery()
        ids = set(db.scalars(select(team_members.c.user_id)
                             .where(team_members.c.team_id.in_(select(mine.c[0])))))
        cache[user.id] = ids | {user.id}
    return cache[user.id]


def _owner_of(record: Any) -> uuid.UUID | None:
    owner: uuid.UUID | None = getattr(record, "owner_id", None)
    return owner


def _within(db: Session, user: User, scope: str, record: Any) -> bool:
    if scope == "all":
        return True
    if scope == "none":
        return False
    owner = _owner_of(record)
    if scope == "own":
        return owner == user.id
    return owner is None or owner in team_user_ids(db, user)


def require_any(user: User, *permissions: Permission) -> None:
    """Raise 403 unless the user holds at least one of the permissions in some scope (shared
    reference data such as the product catalogue, read by sales and by service alike)."""
    if all(scope_for(user, p) == "none" for p in permissions):
        names = "' or '".join(permissions)
        raise Forbidden(f"You need the '{names}' permission")


def require(user: User, permission: Permission) -> None:
    """Raise 403 unless the user holds the permission in some scope (actions not tied to one
    record, such as creating)."""
    if scope_for(user, permission) == "none":
        raise Forbidden(f"You need the '{permission}' permission")


def check_owner(db: Session, user: User, owner_id: uuid.UUID | None,
                permission: Permission, *, field: str = "owner_id") -> None:
    """403 unless ``owner_id`` lies within the user's scope for ``permission``: with an 'own'
    create or edit scope a user may only give records to themselves, with 'team' to a
    teammate, so nobody can push a record out of their own reach or into another team."""
    scope = scope_for(user, permission)
    if scope == "all":
        return
    allowed = owner_id == user.id if scope == "own" else (
        scope == "team" and (owner_id is None or owner_id in team_user_ids(db, user)))
    if not allowed:
        raise FieldForbidden(field, f"With the '{permission}' permission in scope '{scope}' "
                             "you may not make this user the owner")


def forget_teams(db: Session) -> None:
    """Drop the per-session team cache after team membership changed in this session."""
    db.info.pop("amity.team_ids", None)


def _view_of(permission: Permission) -> Permission:
    return Permission(f"{permission.entity}.view")


def check_record(db: Session, user: User, record: Any, permission: Permission,
                 *, entity: str) -> None:
    """404 unless ``record`` is visible to ``user``; 403 unless they may do ``permission``."""
    if not _within(db, user, scope_for(user, _view_of(permission)), record):
        raise NotFound(entity)
    if permission.action != "view" and not _within(db, user, scope_for(user, permission),
                                                   record):
        raise Forbidden(f"You need the '{permission}' permission for this record")


def check_reference(db: Session, user: User, model: type[Any], record_id: uuid.UUID | None,
                    permission: Permission, *, field: str, code: str, message: str) -> None:
    """A record referred to by input (company_id, referred_by_id, parent_id) must exist and be
    visible to ``user``; otherwise the same 422 as for an unknown id, so ids do not leak."""
    if record_id is None:
        return
    record = db.get(model, record_id)
    if (record is None or getattr(record, "deleted_at", None) is not None
            or not _within(db, user, scope_for(user, _view_of(permission)), record)):
        raise ValidationFailed(code, message, field)


def access_record(db: Session, user: User, model: type[T], record_id: uuid.UUID,
                  permission: Permission, *, entity: str, include_deleted: bool = False,
                  options: Sequence[ORMOption] = ()) -> T:
    """Load one record by id for ``user``: 404 if absent or invisible, 403 if not permitted.
    ``options`` are loader options for the statement (e.g. its collections joined in)."""
    record = db.get(model, record_id, options=options)
    if record is None:
        raise NotFound(entity)
    check_record(db, user, record, permission, entity=entity)
    if getattr(record, "deleted_at", None) is not None and not include_deleted:
        raise NotFound(entity)
    return record


def scoped(db: Session, stmt: Select[Any], user: User, model: type[Any],
           permission: Permission) -> Select[Any]:
    """Restrict a query on ``model`` to the rows ``user`` may see (403 if none at all)."""
    view_scope = scope_for(user, _view_of(permission))
    if view_scope == "none" or scope_for(user, permission) == "none":
        raise Forbidden(f"You need the '{permission}' permission")
    owner = model.owner_id
    if view_scope == "own":
        return stmt.where(owner == user.id)
    if view_scope == "team":
        # team id lists are small; a literal IN keeps the plan simple and the query count fixed
        return stmt.where(or_(owner.is_(None), owner.in_(sorted(team_user_ids(db, user)))))
    return stmt


def scoped_for_action(db: Session, stmt: Select[Any], user: User, model: type[Any],
                      permission: Permission) -> Select[Any]:
    """Like ``scoped``, and also within the action's own scope: a role that sees all contacts
    but exports only its own gets only its own (403 if it may do neither)."""
    stmt = scoped(db, stmt, user, model, permission)
    action_scope = scope_for(user, permission)
    if action_scope == "own":
        return stmt.where(model.owner_id == user.id)
    if action_scope == "team":
        return stmt.where(or_(model.owner_id.is_(None),
                              model.owner_id.in_(sorted(team_user_ids(db, user)))))
    return stmt
