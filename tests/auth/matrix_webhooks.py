"""Permission-matrix entries for outbound webhooks (see matrix.py): administrators only
(``settings.edit`` in scope ``all``), since a subscription receives events about every record.

``{webhook_id}`` is a fresh subscription pointing at a closed port on 127.0.0.1 (a test ping
answers 200 with the failure recorded); ``{delivery_id}`` one of its delivered deliveries.
"""

from __future__ import annotations

import socket
import uuid
from typing import Any

from amity.core.clock import now
from amity.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.auth.matrix_base import Op, _json

WEBHOOK_IDS = ("webhook_id", "delivery_id")
_W = "/api/v1/webhooks"


def _closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/hook"


WEBHOOKS: dict[tuple[str, str], Op] = {
    ("GET", _W): Op("settings.edit", 200),
    ("POST", _W): Op("settings.edit", 201, body=_json(
        {"url": "https://hooks.example.com/amity", "event_types": ["deal.*"]})),
    ("GET", f"{_W}/{{webhook_id}}"): Op("settings.edit", 200),
    ("PATCH", f"{_W}/{{webhook_id}}"): Op("settings.edit", 200,
                                          body=_json({"description": "Changed"})),
    ("DELETE", f"{_W}/{{webhook_id}}"): Op("settings.edit", 204),
    ("POST", f"{_W}/{{webhook_id}}/rotate-secret"): Op("settings.edit", 200),
    ("POST", f"{_W}/{{webhook_id}}/test"): Op("settings.edit", 200),
    ("GET", f"{_W}/{{webhook_id}}/deliveries"): Op("settings.edit", 200),
    ("POST", f"{_W}/deliveries/{{delivery_id}}/redeliver"): Op("settings.edit", 200),
}


def webhook_targets(s: Any, path: str) -> dict[str, Any]:
    """A fresh subscription (and a delivered delivery) for the operations about one."""
    ids: dict[str, Any] = {}
    if "{webhook_id}" in path or "{delivery_id}" in path:
        sub = WebhookSubscription(id=uuid.uuid4(), url=_closed_url(), description="",
                                  event_types=["deal.*"], secret="whsec_matrix", enabled=True,
                                  consecutive_failures=0, next_seq=1)
        s.add(sub)
        s.flush()
        ids["webhook_id"] = sub.id
        d = WebhookDelivery(id=uuid.uuid4(), subscription_id=sub.id, kind="event", seq=1,
                            event_id=uuid.uuid4(), event_type="deal.won",
                            payload={"type": "deal.won"}, status="delivered", attempts=1,
                            created_at=now(), delivered_at=now())
        s.add(d)
        s.flush()
        ids["delivery_id"] = d.id
    return ids
