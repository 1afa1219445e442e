"""Permission-matrix entries for saved views (see matrix.py): every signed-in user keeps their
own views, so ``{view_id}`` is a private view of the acting user."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from amity.views.models import SavedView
from tests.auth.matrix_base import ANY, Op, _json

VIEWS_IDS = ("view_id",)

VIEWS: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/views"): Op(ANY, 200),
    ("POST", "/api/v1/views"): Op(ANY, 201, body=_json({"name": "Matrix view"})),
    ("GET", "/api/v1/views/{view_id}"): Op(ANY, 200),
    ("PATCH", "/api/v1/views/{view_id}"): Op(ANY, 200, body=_json({"name": "Renamed"})),
    ("DELETE", "/api/v1/views/{view_id}"): Op(ANY, 204),
}


def views_targets(s: Session, path: str, actor_id: uuid.UUID) -> dict[str, Any]:
    if "{view_id}" not in path:
        return {}
    view = SavedView(id=uuid.uuid4(), owner_id=actor_id, entity="contacts", name="Target",
                     visibility="private", params={})
    s.add(view)
    s.flush()
    return {"view_id": view.id}
