"""What a permission-matrix entry says (``Op``) and the helpers entries are written with."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ANY = "any"  # every signed-in user (their own things: /users/me, /tokens)
TEAMS_MANAGE = "teams.manage"  # settings.edit or users.edit
ROLES_READ = "roles.read"  # users.view or settings.view
CATALOGUE_READ = "catalogue.read"  # deals.view or orders.view (products, exchange rates)


def _hex() -> str:
    return uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Op:
    perm: str  # "contacts.edit", ANY, TEAMS_MANAGE, ROLES_READ
    ok: int
    record: bool = False  # about one contact/company/note: checked per owner relation
    body: Callable[[dict[str, Any]], Any] | None = None  # ids -> JSON body
    deleted: bool = False  # the target record is soft-deleted first (restore)
    inactive_user: bool = False  # the target user is deactivated first (reactivate)
    admin_only: bool = False  # on top of the permission, only administrators (erasure)


def _json(value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda ids: value


