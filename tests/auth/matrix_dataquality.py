"""Permission-matrix entries for the data-quality audit and its stewards (see matrix.py): the
audit needs reports.view (and counts only the contacts the reader sees), a contact's score
contacts.view on that contact, stewards settings.view / settings.edit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.dataquality.models import DataSteward
from tests.auth.matrix_base import Op

DATAQUALITY_IDS = ("steward_id",)
DATAQUALITY: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/data-quality/contacts"): Op("reports.view", 200),
    ("GET", "/api/v1/data-quality/contacts/worst"): Op("reports.view", 200),
    ("GET", "/api/v1/contacts/{contact_id}/quality"): Op("contacts.view", 200, record=True),
    ("GET", "/api/v1/data-quality/stewards"): Op("settings.view", 200),
    ("POST", "/api/v1/data-quality/stewards"): Op(
        "settings.edit", 201, body=lambda ids: {"user_id": str(ids["root"]),
                                                "segment_tag": uuid.uuid4().hex[:12]}),
    ("DELETE", "/api/v1/data-quality/stewards/{steward_id}"): Op("settings.edit", 204),
}


def dataquality_targets(s: Session, path: str) -> dict[str, Any]:
    if "{steward_id}" not in path:
        return {}
    user = s.scalar(select(User).where(User.is_active.is_(True)).limit(1))
    assert user is not None
    steward = DataSteward(id=uuid.uuid4(), user_id=user.id, entity="contact",
                          segment_tag=uuid.uuid4().hex[:12])
    s.add(steward)
    s.flush()
    return {"steward_id": steward.id}
