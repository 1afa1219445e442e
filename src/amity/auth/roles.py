"""Custom roles: permission grids validated by ``permissions.validate_permissions``.

Built-in roles are read-only; a role in use cannot be deleted; nobody but an administrator
defines a role wider than their own. A change applies from each user's next request: the role
is read with the user on every request, never cached across requests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amity.auth.admin import exceeds
from amity.auth.models import Role, User
from amity.auth.permissions import ENTITIES, validate_permissions
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from amity.core.events import DomainEvent, publish


@dataclass(frozen=True)
class RoleChanged(DomainEvent):
    type = "role.changed"
    role_id: uuid.UUID
    action: str = "update"


def get_role(db: Session, role_id: uuid.UUID) -> Role:
    role = db.get(Role, role_id)
    if role is None:
        raise NotFound("role")
    return role


def _grid(raw: dict[str, Any], actor: User) -> dict[str, Any]:
    if not isinstance(raw.get("fields") or {}, dict):
        raise ValidationFailed("role.permissions", 'fields must map flags to true/false, e.g. '
                               '{"sensitive": false}', "permissions.fields")
    try:
        grid = validate_permissions(raw)
    except ValueError as exc:
        head = str(exc).split(" ", 1)[0].rstrip(":")
        where = f"permissions.{head}" if head.split(".", 1)[0] in ENTITIES else "permissions"
        raise ValidationFailed("role.permissions", str(exc), where) from exc
    wider = None if actor.is_admin else exceeds(grid, actor)
    if wider:
        raise Forbidden(f"Only an administrator may define a role wider than their own "
                        f"({wider})")
    return grid


def _check_role_name(db: Session, name: str, role_id: uuid.UUID | None = None) -> str:
    clean = name.strip()
    clash = db.scalar(select(Role.id).where(func.lower(Role.name) == clean.lower()))
    if not clean or (clash is not None and clash != role_id):
        raise ValidationFailed("role.exists" if clean else "role.name",
                               f"There is already a role '{clean}'" if clean
                               else "A role needs a name", "name")
    return clean


def _not_builtin(role: Role) -> None:
    if role.builtin:
        raise ValidationFailed("role.builtin", f"The built-in role '{role.name}' cannot be "
                               "changed or deleted; create a custom role instead")


def create_role(db: Session, *, name: str, description: str | None,
                permissions: dict[str, Any], actor: User) -> Role:
    role = Role(id=uuid.uuid4(), name=_check_role_name(db, name), description=description,
                builtin=False, permissions=_grid(permissions, actor))
    db.add(role)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="role", entity_id=role.id,
                 changes={"name": [None, role.name], "permissions": [None, role.permissions]})
    publish(db, RoleChanged(role_id=role.id, action="create"))
    return role


def update_role(db: Session, *, role: Role, actor: User, fields: set[str],
                name: str | None = None, description: str | None = None,
                permissions: dict[str, Any] | None = None) -> Role:
    """Takes effect on each user's next request (roles are read per request, not cached)."""
    _not_builtin(role)
    before = {"name": role.name, "description": role.description,
              "permissions": role.permissions}
    if "name" in fields and name is not None:
        role.name = _check_role_name(db, name, role.id)
    if "description" in fields:
        role.description = description
    if "permissions" in fields and permissions is not None:
        role.permissions = _grid(permissions, actor)
    changes = audit.diff(before, {"name": role.name, "description": role.description,
                                  "permissions": role.permissions})
    if changes:
        role.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="role",
                     entity_id=role.id, changes=changes)
        publish(db, RoleChanged(role_id=role.id))
    return role


def role_users(db: Session, role: Role) -> int:
    return int(db.scalar(select(func.count()).select_from(User)
                         .where(User.role_id == role.id)) or 0)


def delete_role(db: Session, *, role: Role, actor: User) -> None:
    _not_builtin(role)
    in_use = role_users(db, role)
    if in_use:
        raise Conflict("role.in_use", f"{in_use} user(s) have the role '{role.name}': give "
                       "them another role first")
    db.delete(role)
    db.flush()
    audit.record(db, actor_id=actor.id, action="delete", entity_type="role", entity_id=role.id,
                 changes={"name": [role.name, None]})
    publish(db, RoleChanged(role_id=role.id, action="delete"))

