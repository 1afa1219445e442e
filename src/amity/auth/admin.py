"""Managing users and teams: every change audited and announced as an event (roles:
``auth.roles``).

Rules kept here (not in the routers): an administrator cannot deactivate themselves; the last
active administrator cannot be demoted or deactivated; only administrators grant
administrator rights; nobody but an administrator hands out (or defines) a role that can do more
than their own; built-in roles are read-only; a role in use cannot be deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from amity.auth.access import can_see_sensitive, forget_teams
from amity.auth.models import Role, Team, User
from amity.auth.permissions import ACTIONS, ENTITIES, SCOPE_RANK
from amity.auth.service import create_user, role_named
from amity.auth.sessions import end_user_sessions
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import Forbidden, NotFound, ValidationFailed
from amity.core.events import DomainEvent, publish

REASSIGNABLE: dict[str, Any] = {"contacts": Contact, "companies": Company}


@dataclass(frozen=True)
class UserChanged(DomainEvent):
    type = "user.changed"
    user_id: uuid.UUID
    action: str = "update"


@dataclass(frozen=True)
class RecordsReassigned(DomainEvent):
    type = "user.records_reassigned"
    from_user_id: uuid.UUID
    to_user_id: uuid.UUID
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TeamChanged(DomainEvent):
    type = "team.changed"
    team_id: uuid.UUID
    action: str = "update"


# ---- users ---------------------------------------------------------------------------------

def is_administrator(user: User) -> bool:
    return user.is_active and (user.is_admin or (user.role is not None
                                                 and user.role.name == "admin"))


def _other_admins(db: Session, user: User) -> int:
    admin_role = select(Role.id).where(Role.name == "admin").scalar_subquery()
    return int(db.scalar(select(func.count()).select_from(User).where(
        User.id != user.id, User.is_active.is_(True),
        or_(User.is_admin.is_(True), User.role_id == admin_role))) or 0)


def _keep_an_admin(db: Session, user: User) -> None:
    if _other_admins(db, user) == 0:
        raise ValidationFailed("user.last_admin", "This is the last active administrator: "
                               "make someone else an administrator first", "user")


def exceeds(grid: dict[str, Any], actor: User) -> str | None:
    """The first permission in ``grid`` wider than the actor's own, if any."""
    mine = actor.role.permissions if actor.role is not None else {}
    for entity in ENTITIES:
        for action in ACTIONS:
            want = (grid.get(entity) or {}).get(action, "none")
            have = (mine.get(entity) or {}).get(action, "none")
            if SCOPE_RANK.get(want, 0) > SCOPE_RANK.get(have, 0):
                return f"{entity}.{action}"
    if (grid.get("fields") or {}).get("sensitive") and not can_see_sensitive(actor):
        return "fields.sensitive"
    return None


def _may_grant(actor: User, role: Role) -> None:
    if actor.is_admin:
        return
    wider = "admin" if role.name == "admin" else exceeds(role.permissions, actor)
    if wider:
        raise Forbidden(f"Only an administrator may give the role '{role.name}' ({wider} is "
                        "wider than your own)")


def add_user(db: Session, *, email: str, name: str, password: str | None, role: str | None,
             is_admin: bool, actor: User) -> User:
    """Create a user (with a password) or invite one (without: they set it through a reset)."""
    if is_admin and not actor.is_admin:
        raise Forbidden("Only an administrator may create administrators")
    if role is not None:
        _may_grant(actor, role_named(db, role))
    user = create_user(db, email=email, name=name, password=password, is_admin=is_admin,
                       role=role, actor_id=actor.id)
    publish(db, UserChanged(user_id=user.id, action="create"))
    return user


def update_user(db: Session, *, user: User, actor: User, fields: set[str], name: str | None,
                role: str | None, is_admin: bool | None, time_zone: str | None = None) -> User:
    if user.is_admin and not actor.is_admin:
        raise Forbidden("Only an administrator may change an administrator")
    before = {"name": user.name, "role": user.role.name if user.role else None,
              "is_admin": user.is_admin, "time_zone": user.time_zone}
    was_admin = is_administrator(user)
    if "name" in fields and name:
        user.name = name.strip()
    if "time_zone" in fields and time_zone:
        user.time_zone = time_zone
    if "is_admin" in fields and is_admin is not None and is_admin != user.is_admin:
        if not actor.is_admin:
            raise Forbidden("Only an administrator may grant or remove administrator rights")
        user.is_admin = is_admin
    if "role" in fields and role is not None:
        new_role = role_named(db, role)
        _may_grant(actor, new_role)
        user.role = new_role
    if was_admin and not is_administrator(user):
        _keep_an_admin(db, user)
    after = {"name": user.name, "role": user.role.name if user.role else None,
             "is_admin": user.is_admin, "time_zone": user.time_zone}
    changes = audit.diff(before, after)
    if changes:
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="user",
                     entity_id=user.id, changes=changes)
        publish(db, UserChanged(user_id=user.id))
    return user


def _active_user(db: Session, user_id: uuid.UUID, field_name: str) -> User:
    target = db.get(User, user_id)
    if target is None or not target.is_active:
        raise ValidationFailed("user.not_found", "No such active user", field_name)
    return target


def reassign_records(db: Session, *, from_user: User, to_user_id: uuid.UUID,
                     entities: list[str], actor: User) -> dict[str, int]:
    """Move ownership of every record of ``from_user`` (deleted ones too): one UPDATE per
    table, each record's version bumped so a stale edit gets its 412."""
    unknown = [e for e in entities if e not in REASSIGNABLE]
    if unknown or not entities:
        raise ValidationFailed("reassign.entities", f"entities must be some of "
                               f"{sorted(REASSIGNABLE)}", "entities")
    to_user = _active_user(db, to_user_id, "to")
    if to_user.id == from_user.id:
        raise ValidationFailed("reassign.same_user", "Choose another user to receive the "
                               "records", "to")
    counts: dict[str, int] = {}
    stamp = now()
    for name in dict.fromkeys(entities):
        model = REASSIGNABLE[name]
        result = db.execute(update(model).where(model.owner_id == from_user.id)
                            .values(owner_id=to_user.id, version=model.version + 1,
                                    updated_at=stamp)
                            .execution_options(synchronize_session=False))
        counts[name] = int(getattr(result, "rowcount", 0) or 0)
    db.expire_all()  # records loaded earlier in this session must not keep the old owner
    audit.record(db, actor_id=actor.id, action="reassign", entity_type="user",
                 entity_id=from_user.id, changes={"to": [None, str(to_user.id)],
                                                  **{k: [None, v] for k, v in counts.items()}})
    publish(db, RecordsReassigned(from_user_id=from_user.id, to_user_id=to_user.id,
                                  counts=counts))
    return counts


def deactivate_user(db: Session, *, user: User, actor: User,
                    reassign_to: uuid.UUID | None = None) -> dict[str, int]:
    """Stop a user signing in or using tokens at once; their records stay (or move)."""
    if user.id == actor.id:
        raise ValidationFailed("user.self", "You cannot deactivate yourself", "user")
    if user.is_admin and not actor.is_admin:
        raise Forbidden("Only an administrator may deactivate an administrator")
    counts: dict[str, int] = {}
    if reassign_to is not None:
        counts = reassign_records(db, from_user=user, to_user_id=reassign_to,
                                  entities=list(REASSIGNABLE), actor=actor)
    if user.is_active:
        if is_administrator(user):
            _keep_an_admin(db, user)
        user.is_active, user.deactivated_at = False, now()
        db.flush()
        end_user_sessions(db, user_id=user.id, reason="deactivated")  # signed out at once
        audit.record(db, actor_id=actor.id, action="deactivate", entity_type="user",
                     entity_id=user.id)
        publish(db, UserChanged(user_id=user.id, action="deactivate"))
    return counts


def reactivate_user(db: Session, *, user: User, actor: User) -> User:
    if user.is_admin and not actor.is_admin:
        raise Forbidden("Only an administrator may reactivate an administrator")
    if not user.is_active:
        user.is_active, user.deactivated_at = True, None
        db.flush()
        audit.record(db, actor_id=actor.id, action="reactivate", entity_type="user",
                     entity_id=user.id)
        publish(db, UserChanged(user_id=user.id, action="reactivate"))
    return user


def get_user(db: Session, user_id: uuid.UUID) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("user")
    return user


# ---- teams ---------------------------------------------------------------------------------

def get_team(db: Session, team_id: uuid.UUID) -> Team:
    team = db.get(Team, team_id)
    if team is None:
        raise NotFound("team")
    return team


def _users(db: Session, ids: list[uuid.UUID], field_name: str) -> list[User]:
    wanted = list(dict.fromkeys(ids))
    found = {u.id: u for u in db.scalars(select(User).where(User.id.in_(wanted)))} \
        if wanted else {}
    for i, uid in enumerate(wanted):
        if uid not in found:
            raise ValidationFailed("user.not_found", f"No user {uid}", f"{field_name}.{i}")
    return [found[uid] for uid in wanted]


def _check_team_name(db: Session, name: str, team_id: uuid.UUID | None = None) -> str:
    clean = name.strip()
    if not clean:
        raise ValidationFailed("team.name", "A team needs a name", "name")
    clash = db.scalar(select(Team.id).where(func.lower(Team.name) == clean.lower()))
    if clash is not None and clash != team_id:
        raise ValidationFailed("team.exists", f"There is already a team '{clean}'", "name")
    return clean


def _team_state(team: Team) -> dict[str, Any]:
    return {"name": team.name, "description": team.description, "manager_id": team.manager_id,
            "members": sorted(str(m.id) for m in team.members)}


def create_team(db: Session, *, name: str, description: str | None,
                manager_id: uuid.UUID | None, member_ids: list[uuid.UUID],
                actor: User) -> Team:
    team = Team(id=uuid.uuid4(), name=_check_team_name(db, name), description=description,
                manager_id=_active_user(db, manager_id, "manager_id").id if manager_id else None)
    team.members = _users(db, member_ids, "member_ids")
    db.add(team)
    db.flush()
    forget_teams(db)
    audit.record(db, actor_id=actor.id, action="create", entity_type="team", entity_id=team.id,
                 changes=audit.diff({}, _team_state(team)))
    publish(db, TeamChanged(team_id=team.id, action="create"))
    return team


def update_team(db: Session, *, team: Team, actor: User, fields: set[str],
                name: str | None = None, description: str | None = None,
                manager_id: uuid.UUID | None = None,
                member_ids: list[uuid.UUID] | None = None) -> Team:
    """Change what was sent; ``member_ids`` replaces the whole membership."""
    before = _team_state(team)
    if "name" in fields and name is not None:
        team.name = _check_team_name(db, name, team.id)
    if "description" in fields:
        team.description = description
    if "manager_id" in fields:
        team.manager_id = _active_user(db, manager_id, "manager_id").id if manager_id else None
    if member_ids is not None:
        team.members = _users(db, member_ids, "member_ids")
    changes = audit.diff(before, _team_state(team))
    if changes:
        team.updated_at = now()
        db.flush()
        forget_teams(db)
        audit.record(db, actor_id=actor.id, action="update", entity_type="team",
                     entity_id=team.id, changes=changes)
        publish(db, TeamChanged(team_id=team.id))
    return team


def add_team_member(db: Session, *, team: Team, user_id: uuid.UUID, actor: User) -> Team:
    ids = [m.id for m in team.members]
    return update_team(db, team=team, actor=actor, fields=set(),
                       member_ids=ids if user_id in ids else [*ids, user_id])


def remove_team_member(db: Session, *, team: Team, user_id: uuid.UUID, actor: User) -> Team:
    ids = [m.id for m in team.members]
    if user_id not in ids:
        raise NotFound("team_member", "That user is not a member of this team")
    return update_team(db, team=team, actor=actor, fields=set(),
                       member_ids=[i for i in ids if i != user_id])


def delete_team(db: Session, *, team: Team, actor: User) -> None:
    """Remove the team; its members and their records stay (they lose the shared view)."""
    state = _team_state(team)
    db.delete(team)
    db.flush()
    forget_teams(db)
    audit.record(db, actor_id=actor.id, action="delete", entity_type="team", entity_id=team.id,
                 changes=audit.diff(state, {}))
    publish(db, TeamChanged(team_id=team.id, action="delete"))
