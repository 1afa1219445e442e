"""Permission-matrix entries for workflows (see matrix.py): read with automation.view, changed
with automation.edit (automation.manage); a contact's run log follows the contact."""

from __future__ import annotations

import uuid
from typing import Any

from amity.automation.models import Workflow, WorkflowVersion
from tests.auth.matrix_base import Op, _hex, _json

AUTOMATION_IDS = ("workflow_id", "number")
_W = "/api/v1/workflows"
_DEF = {"trigger": {"type": "event", "event": "deal.won"},
        "actions": [{"type": "add_tag", "tag": "won"}]}

AUTOMATION: dict[tuple[str, str], Op] = {
    ("GET", _W): Op("automation.view", 200),
    ("POST", _W): Op("automation.edit", 201,
                     body=lambda ids: {"name": f"Flow {_hex()}", "definition": _DEF}),
    ("GET", f"{_W}/{{workflow_id}}"): Op("automation.view", 200),
    ("PATCH", f"{_W}/{{workflow_id}}"): Op("automation.edit", 200,
                                           body=_json({"name": "Changed"})),
    ("DELETE", f"{_W}/{{workflow_id}}"): Op("automation.edit", 204),
    ("POST", f"{_W}/{{workflow_id}}/enable"): Op("automation.edit", 200),
    ("POST", f"{_W}/{{workflow_id}}/disable"): Op("automation.edit", 200),
    ("GET", f"{_W}/{{workflow_id}}/versions"): Op("automation.view", 200),
    ("GET", f"{_W}/{{workflow_id}}/versions/{{number}}"): Op("automation.view", 200),
    ("POST", f"{_W}/{{workflow_id}}/dry-run"): Op("automation.view", 200, body=_json({})),
    ("GET", f"{_W}/{{workflow_id}}/runs"): Op("automation.view", 200),
    ("GET", "/api/v1/contacts/{contact_id}/workflow-runs"): Op("contacts.view", 200,
                                                               record=True),
}


def automation_targets(s: Any, path: str) -> dict[str, Any]:
    """A fresh workflow (version 1) for the operations about one."""
    ids: dict[str, Any] = {}
    if "{workflow_id}" in path:
        w = Workflow(id=uuid.uuid4(), name=f"Flow {_hex()}", enabled=False, current_version=1,
                     trigger_key="deal.won")
        s.add(w)
        s.flush()
        s.add(WorkflowVersion(id=uuid.uuid4(), workflow_id=w.id, number=1, definition=_DEF))
        s.flush()
        ids["workflow_id"], ids["number"] = w.id, 1
    return ids
