"""Permission-matrix entries for lead scoring and sequences (see matrix.py). Rules and
settings are read with settings.view and changed with settings.edit; a contact's score follows
the contact; sequences are read with contacts.view and defined with settings.edit; enrolling a
contact and stopping its enrolment need contacts.edit on that contact."""

from __future__ import annotations

import uuid
from typing import Any

from amity.core.clock import now
from amity.scoring.models import ScoringRule
from amity.sequences.models import Sequence, SequenceEnrolment, SequenceStep
from tests.auth.matrix_base import Op, _hex, _json

SCORING_IDS = ("rule_id", "sequence_id", "enrolment_id")
_R = "/api/v1/scoring/rules"
_S = "/api/v1/sequences"
_WAIT = [{"kind": "wait", "wait_hours": 2}]

SCORING: dict[tuple[str, str], Op] = {
    ("GET", _R): Op("settings.view", 200),
    ("POST", _R): Op("settings.edit", 201, body=_json(
        {"name": "Pricing", "kind": "behaviour", "behaviour": "page_view", "field": "url",
         "operator": "contains", "value": "/pricing", "points": 10})),
    ("GET", f"{_R}/{{rule_id}}"): Op("settings.view", 200),
    ("PATCH", f"{_R}/{{rule_id}}"): Op("settings.edit", 200, body=_json({"points": 7})),
    ("DELETE", f"{_R}/{{rule_id}}"): Op("settings.edit", 204),
    ("GET", "/api/v1/scoring/settings"): Op("settings.view", 200),
    ("PATCH", "/api/v1/scoring/settings"): Op("settings.edit", 200,
                                              body=_json({"threshold": 60})),
    ("POST", "/api/v1/scoring/recompute"): Op("settings.edit", 202),
    ("GET", "/api/v1/contacts/{contact_id}/score"): Op("contacts.view", 200, record=True),
    ("GET", _S): Op("contacts.view", 200),
    ("POST", _S): Op("settings.edit", 201,
                     body=lambda ids: {"name": f"Sequence {_hex()}", "steps": _WAIT}),
    ("GET", f"{_S}/{{sequence_id}}"): Op("contacts.view", 200),
    ("PATCH", f"{_S}/{{sequence_id}}"): Op("settings.edit", 200,
                                           body=_json({"description": "Changed"})),
    ("DELETE", f"{_S}/{{sequence_id}}"): Op("settings.edit", 204),
    ("POST", f"{_S}/{{sequence_id}}/enrol"): Op(
        "contacts.edit", 201, record=True,
        body=lambda ids: {"contact_id": str(ids["contact_id"])}),
    ("GET", f"{_S}/{{sequence_id}}/enrolments"): Op("contacts.view", 200),
    ("POST", f"{_S}/enrolments/{{enrolment_id}}/stop"): Op("contacts.edit", 200, record=True,
                                                           body=_json({})),
}


def scoring_targets(s: Any, path: str) -> dict[str, Any]:
    """A fresh rule or sequence (one wait step) for the operations about one."""
    ids: dict[str, Any] = {}
    if "{rule_id}" in path:
        rule = ScoringRule(id=uuid.uuid4(), name=f"Rule {_hex()}", kind="behaviour",
                           behaviour="email_open", points=5, decay="none", enabled=True)
        s.add(rule)
        s.flush()
        ids["rule_id"] = rule.id
    if "{sequence_id}" in path or "{enrolment_id}" in path:
        seq = Sequence(id=uuid.uuid4(), name=f"Sequence {_hex()}", enabled=True)
        s.add(seq)
        s.flush()
        s.add(SequenceStep(id=uuid.uuid4(), sequence_id=seq.id, position=0, kind="wait",
                           wait_hours=2))
        s.flush()
        ids["sequence_id"] = seq.id
    return ids


def enrolment_target(database: Any, path: str, ids: dict[str, Any]) -> dict[str, Any]:
    """An active enrolment of the record's contact (made after the records exist)."""
    if "{enrolment_id}" not in path or "contact_id" not in ids:
        return {}
    with database.transaction() as s:
        at = now()
        enr = SequenceEnrolment(id=uuid.uuid4(), sequence_id=ids["sequence_id"],
                                contact_id=ids["contact_id"], active_key=str(ids["contact_id"]),
                                status="active", current_step=0, next_run_at=at,
                                enrolled_at=at)
        s.add(enr)
        s.flush()
        return {"enrolment_id": enr.id}
