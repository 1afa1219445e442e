"""The access chokepoint: the only way a user-requested record is loaded or listed.

Today every active user may see and change every record and only admins manage settings; roles,
teams and record-level scopes fill in ``_visible`` and ``_allowed`` without changing callers.
A record the user may not see is reported as not found (404), so ids do not leak.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core.errors import Forbidden, NotFound

T = TypeVar("T")


class Permission(enum.StrEnum):
    CONTACTS_VIEW = "contacts.view"
    CONTACTS_CREATE = "contacts.create"
    CONTACTS_EDIT = "contacts.edit"
    CONTACTS_DELETE = "contacts.delete"
    COMPANIES_VIEW = "companies.view"
    COMPANIES_CREATE = "companies.create"
    COMPANIES_EDIT = "companies.edit"
    COMPANIES_DELETE = "companies.delete"
    SETTINGS_MANAGE = "settings.manage"
    USERS_MANAGE = "users.manage"


_ADMIN_ONLY = {Permission.SETTINGS_MANAGE, Permission.USERS_MANAGE}


def _allowed(user: User, permission: Permission) -> bool:
    if not user.is_active:
        return False
    return user.is_admin or permission not in _ADMIN_ONLY


def _visible(user: User, record: Any) -> bool:
    return user.is_active


def require(user: User, permission: Permission) -> None:
    """Raise 403 unless the user holds the permission (for actions not tied to one record)."""
    if not _allowed(user, permission):
        raise Forbidden(f"You need the '{permission}' permission")


def access_record(db: Session, user: User, model: type[T], record_id: uuid.UUID,
                  permission: Permission, *, entity: str,
                  include_deleted: bool = False) -> T:
    """Load one record by id for ``user``: 404 if absent or invisible, 403 if not permitted."""
    record = db.get(model, record_id)
    if record is None or not _visible(user, record):
        raise NotFound(entity)
    if getattr(record, "deleted_at", None) is not None and not include_deleted:
        raise NotFound(entity)
    if not _allowed(user, permission):
        raise Forbidden(f"You need the '{permission}' permission")
    return record


def scoped(stmt: Select[Any], user: User, model: type[Any], permission: Permission) -> Select[Any]:
    """Restrict a list query to the rows ``user`` may see."""
    if not _allowed(user, permission):
        raise Forbidden(f"You need the '{permission}' permission")
    return stmt
