"""Whose numbers a reader may see: the ``reports.view`` scope turned into a list of owners.

A reader with scope ``own`` sees only their own records' numbers, ``team`` their teams' members'
(and their own), ``all`` everyone's. A ``team`` or ``owner`` filter narrows that further; asking
for someone outside the reader's scope is a 403, an unknown team a 404.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.access import Permission, require, scope_for, team_user_ids
from amity.auth.models import Team, User, team_members
from amity.core.errors import Forbidden, NotFound


def owners_for(db: Session, user: User, *, team_id: uuid.UUID | None = None,
               owner_id: uuid.UUID | None = None) -> tuple[uuid.UUID, ...] | None:
    """The owners whose records count, or None for everyone (scope ``all``, no filter)."""
    require(user, Permission.REPORTS_VIEW)
    scope = scope_for(user, Permission.REPORTS_VIEW)
    allowed: set[uuid.UUID] | None = None
    if scope == "own":
        allowed = {user.id}
    elif scope == "team":
        allowed = set(team_user_ids(db, user))
    wanted: set[uuid.UUID] | None = None
    if team_id is not None:
        if db.get(Team, team_id) is None:
            raise NotFound("team")
        wanted = set(db.scalars(select(team_members.c.user_id)
                                .where(team_members.c.team_id == team_id)))
    if owner_id is not None:
        wanted = {owner_id} if wanted is None else wanted & {owner_id}
    if wanted is not None and allowed is not None and not wanted <= allowed:
        raise Forbidden("You may only see the numbers of your own records or team")
    chosen = wanted if wanted is not None else allowed
    return None if chosen is None else tuple(sorted(chosen))


def choices(db: Session) -> tuple[list[Team], list[User]]:
    """Teams and active users for the dashboard's filters (two small queries)."""
    teams = list(db.scalars(select(Team).order_by(Team.name)))
    users = list(db.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))
    return teams, users

