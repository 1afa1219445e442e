"""Permission-matrix entries for the deals API (see matrix.py)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.auth.matrix_base import Op, _hex, _json


def _same_stage(ids: dict[str, Any]) -> dict[str, Any]:
    # the world's deal sits in the default pipeline's first stage: a move to its top
    return {"stage_id": str(ids.get("deal_stage_id", uuid.uuid4())), "position": 0}


def _reversed_stages(ids: dict[str, Any]) -> dict[str, Any]:
    stage_ids = ids.get("stage_ids") or [ids["stage_id"]]
    return {"stage_ids": [str(i) for i in reversed(stage_ids)]}


DEALS: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/deals"): Op("deals.view", 200),
    ("POST", "/api/v1/deals"): Op("deals.create", 201, body=_json({
        "name": "Matrix deal", "currency": "EUR", "amount": "100.00"})),
    ("GET", "/api/v1/deals/{deal_id}"): Op("deals.view", 200, record=True),
    ("PATCH", "/api/v1/deals/{deal_id}"): Op("deals.edit", 200, record=True,
                                             body=_json({"next_step": "Call back"})),
    ("DELETE", "/api/v1/deals/{deal_id}"): Op("deals.delete", 204, record=True),
    ("POST", "/api/v1/deals/{deal_id}/restore"): Op("deals.delete", 200, record=True,
                                                    deleted=True),
    ("GET", "/api/v1/deals/{deal_id}/history"): Op("deals.view", 200, record=True),
    ("GET", "/api/v1/deals/{deal_id}/stage-history"): Op("deals.view", 200, record=True),
    # the contact is the deal owner's: visible wherever the deal may be edited
    ("PUT", "/api/v1/deals/{deal_id}/contacts"): Op("deals.edit", 200, record=True,
                                                    body=lambda ids: {"contacts": [{
                                                        "contact_id": str(ids["contact_id"]),
                                                        "role": "champion"}]}),
    ("PUT", "/api/v1/deals/{deal_id}/lines"): Op("deals.edit", 200, record=True, body=_json({
        "lines": [{"description": "Setup", "quantity": "2", "unit_price": "50"}]})),
    ("POST", "/api/v1/deals/{deal_id}/move"): Op("deals.edit", 200, record=True,
                                                 body=_same_stage),
    ("POST", "/api/v1/deals/{deal_id}/next-step"): Op("deals.edit", 201, record=True,
                                                      body=_json({"title": "Send the offer"})),
}
PIPELINES: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/pipelines"): Op("deals.view", 200),
    ("POST", "/api/v1/pipelines"): Op("settings.edit", 201, body=lambda ids: {
        "name": f"Pipeline {_hex()}", "stages": [
            {"name": "Open", "probability": 20}, {"name": "Won", "kind": "won"},
            {"name": "Lost", "kind": "lost"}]}),
    ("GET", "/api/v1/pipelines/{pipeline_id}"): Op("deals.view", 200),
    ("PATCH", "/api/v1/pipelines/{pipeline_id}"): Op("settings.edit", 200,
                                                     body=_json({"position": 7})),
    ("DELETE", "/api/v1/pipelines/{pipeline_id}"): Op("settings.edit", 204),
    ("GET", "/api/v1/pipelines/{pipeline_id}/stages"): Op("deals.view", 200),
    ("POST", "/api/v1/pipelines/{pipeline_id}/stages"): Op(
        "settings.edit", 201, body=_json({"name": "Demo", "probability": 30})),
    ("PUT", "/api/v1/pipelines/{pipeline_id}/stages"): Op("settings.edit", 200,
                                                          body=_reversed_stages),
    ("GET", "/api/v1/pipelines/{pipeline_id}/board"): Op("deals.view", 200),
    ("GET", "/api/v1/stages/{stage_id}"): Op("deals.view", 200),
    ("PATCH", "/api/v1/stages/{stage_id}"): Op("settings.edit", 200,
                                               body=_json({"name": "Renamed", "stall_days": 5})),
    ("DELETE", "/api/v1/stages/{stage_id}"): Op("settings.edit", 204),
    ("GET", "/api/v1/lost-reasons"): Op("deals.view", 200),
    ("POST", "/api/v1/lost-reasons"): Op("settings.edit", 201,
                                         body=lambda ids: {"name": f"Reason {_hex()}"}),
    ("PATCH", "/api/v1/lost-reasons/{lost_reason_id}"): Op("settings.edit", 200,
                                                           body=_json({"position": 3})),
    ("DELETE", "/api/v1/lost-reasons/{lost_reason_id}"): Op("settings.edit", 204),
}
