"""Permission-matrix entries for web-to-lead forms, ingestion channels and the ingestion API
(see matrix.py). Forms and channels are settings: read with settings.view, changed with
settings.edit; ingesting interactions from an integration needs settings.edit too."""

from __future__ import annotations

import uuid
from typing import Any

from amity.activities.forms_models import Form, IngestChannel
from tests.auth.matrix_base import Op, _hex, _json

FORMS_IDS = ("form_id", "channel_id")
_FIELDS = [{"maps_to": "email", "label": "Email", "type": "email", "required": True}]

FORMS: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/forms"): Op("settings.view", 200),
    ("POST", "/api/v1/forms"): Op("settings.edit", 201, body=lambda ids: {
        "name": f"Form {_hex()}", "fields": _FIELDS}),
    ("GET", "/api/v1/forms/{form_id}"): Op("settings.view", 200),
    ("PATCH", "/api/v1/forms/{form_id}"): Op("settings.edit", 200,
                                             body=_json({"title": "Changed"})),
    ("DELETE", "/api/v1/forms/{form_id}"): Op("settings.edit", 204),
    ("GET", "/api/v1/forms/{form_id}/submissions"): Op("settings.view", 200),
    ("GET", "/api/v1/channels"): Op("settings.view", 200),
    ("POST", "/api/v1/channels"): Op("settings.edit", 201,
                                     body=_json({"name": "Matrix chat", "kind": "chat"})),
    ("GET", "/api/v1/channels/{channel_id}"): Op("settings.view", 200),
    ("PATCH", "/api/v1/channels/{channel_id}"): Op("settings.edit", 200,
                                                   body=_json({"name": "Changed"})),
    ("DELETE", "/api/v1/channels/{channel_id}"): Op("settings.edit", 204),
    ("POST", "/api/v1/channels/{channel_id}/rotate-secret"): Op("settings.edit", 200),
    ("POST", "/api/v1/interactions/ingest"): Op("settings.edit", 200, body=lambda ids: {
        "source": "matrix", "interactions": [{
            "external_id": _hex(), "channel": "chat", "occurred_at": "2025-01-01T10:00:00Z",
            "from": {"email": f"m-{_hex()}@example.com"}, "body": "hello"}]}),
}


def forms_targets(s: Any, path: str) -> dict[str, Any]:
    """A fresh form or channel for the operations about one."""
    ids: dict[str, Any] = {}
    if "{form_id}" in path:
        form = Form(id=uuid.uuid4(), name=f"Form {_hex()}", public_key=_hex() + _hex(),
                    fields=_FIELDS, consents=[], tags=[])
        s.add(form)
        s.flush()
        ids["form_id"] = form.id
    if "{channel_id}" in path:
        ch = IngestChannel(id=uuid.uuid4(), name=f"Channel {_hex()}", kind="chat",
                           secret=f"whsec_{_hex()}")
        s.add(ch)
        s.flush()
        ids["channel_id"] = ch.id
    return ids
