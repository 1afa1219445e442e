"""Saved views: create, change, delete (audited, with events) and read what a user may see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.auth.sharing import check_share, may_see, my_team_ids
from amity.core import audit
from amity.core.errors import Forbidden, NotFound, PreconditionFailed
from amity.core.events import DomainEvent, publish
from amity.views.models import SavedView
from amity.views.schemas import ViewCreate, ViewUpdate


@dataclass(frozen=True)
class ViewChanged(DomainEvent):
    type = "view.changed"
    view_id: uuid.UUID
    action: str = "update"


def _snapshot(v: SavedView) -> dict[str, Any]:
    return {"name": v.name, "visibility": v.visibility, "team_id": v.team_id,
            "params": dict(v.params)}


def visible_views(db: Session, user: User, entity: str) -> list[SavedView]:
    """The user's own views, those shared with everyone and with their teams; by name."""
    teams = sorted(my_team_ids(db, user))
    cond = or_(SavedView.owner_id == user.id, SavedView.visibility == "everyone",
               (SavedView.visibility == "team") & SavedView.team_id.in_(teams))
    return list(db.scalars(select(SavedView).where(SavedView.entity == entity, cond)
                           .order_by(SavedView.name, SavedView.id)))


def access_view(db: Session, user: User, view_id: uuid.UUID, *, change: bool = False
                ) -> SavedView:
    """A view the user may see (404 otherwise); ``change``: only its owner or an admin (403)."""
    view = db.get(SavedView, view_id)
    if view is None:
        raise NotFound("view")
    mine = view.owner_id == user.id
    if not may_see(db, user, owner_id=view.owner_id, visibility=view.visibility,
                   team_id=view.team_id):
        raise NotFound("view")
    if change and not (mine or user.is_admin):
        raise Forbidden("Only the person who saved this view can change it")
    return view


def create_view(db: Session, *, data: ViewCreate, actor: User) -> SavedView:
    check_share(db, actor, data.visibility, data.team_id, thing="view")
    view = SavedView(id=uuid.uuid4(), owner_id=actor.id, entity=data.entity, name=data.name,
                     visibility=data.visibility,
                     team_id=data.team_id if data.visibility == "team" else None,
                     params=data.params.model_dump(mode="json"))
    db.add(view)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="saved_view",
                 entity_id=view.id, changes={k: [None, v] for k, v in _snapshot(view).items()})
    publish(db, ViewChanged(view_id=view.id, action="create"))
    return view


def update_view(db: Session, *, view: SavedView, data: ViewUpdate, actor: User,
                expected_version: int | None = None) -> SavedView:
    if expected_version is not None and expected_version != view.version:
        raise PreconditionFailed()
    before = _snapshot(view)
    given = data.model_fields_set
    if "name" in given and data.name:
        view.name = data.name
    if "visibility" in given and data.visibility:
        view.visibility = data.visibility
    if "team_id" in given or "visibility" in given:
        view.team_id = data.team_id if "team_id" in given else view.team_id
        if view.visibility != "team":
            view.team_id = None
        check_share(db, actor, view.visibility, view.team_id, thing="view")
    if "params" in given and data.params is not None:
        view.params = data.params.model_dump(mode="json")
    after = _snapshot(view)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changed:
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="saved_view",
                     entity_id=view.id, changes=changed)
        publish(db, ViewChanged(view_id=view.id))
    return view


def delete_view(db: Session, *, view: SavedView, actor: User) -> None:
    audit.record(db, actor_id=actor.id, action="delete", entity_type="saved_view",
                 entity_id=view.id, changes={k: [v, None] for k, v in _snapshot(view).items()})
    publish(db, ViewChanged(view_id=view.id, action="delete"))
    db.delete(view)
    db.flush()
