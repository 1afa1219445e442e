"""Things a user saves and shares (list views, reports): private, with one of their teams, or
with everyone. Who may share with which team, and who may see a shared thing."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from amity.auth.models import Team, User, team_members
from amity.core.errors import ValidationFailed


def my_team_ids(db: Session, user: User) -> set[uuid.UUID]:
    """Teams the user belongs to or manages, in one statement."""
    rows = db.execute(
        select(Team.id).outerjoin(team_members, team_members.c.team_id == Team.id)
        .where(or_(team_members.c.user_id == user.id, Team.manager_id == user.id)))
    return {r[0] for r in rows}


def check_share(db: Session, user: User, visibility: str, team_id: uuid.UUID | None, *,
                thing: str) -> None:
    """A team share names an existing team the user is in (admins: any team); 422
    ``<thing>.team_required`` / ``<thing>.team_invalid`` otherwise."""
    if visibility != "team":
        return
    if team_id is None:
        raise ValidationFailed(f"{thing}.team_required", "Choose the team to share with",
                               "team_id")
    if db.get(Team, team_id) is None or (not user.is_admin
                                         and team_id not in my_team_ids(db, user)):
        raise ValidationFailed(f"{thing}.team_invalid",
                               "You can share only with a team you are in", "team_id")


def may_see(db: Session, user: User, *, owner_id: uuid.UUID | None, visibility: str,
            team_id: uuid.UUID | None) -> bool:
    """Its owner, everyone when shared with everyone, a team's members when shared with it."""
    return owner_id == user.id or visibility == "everyone" or (
        visibility == "team" and team_id in my_team_ids(db, user))
