"""Permission-matrix entries for IMAP mailboxes (see matrix.py): all of it needs settings.edit,
reading included (a mailbox holds a login)."""

from __future__ import annotations

import uuid
from typing import Any

from amity.mail.models import Mailbox
from tests.auth.matrix_base import Op, _hex, _json

MAILBOX_IDS = ("mailbox_id",)
_BOX = "/api/v1/mailboxes"

MAILBOXES: dict[tuple[str, str], Op] = {
    ("GET", _BOX): Op("settings.edit", 200),
    ("POST", _BOX): Op("settings.edit", 201, body=lambda ids: {
        "name": f"Mailbox {_hex()}", "host": "imap.example.com", "username": "desk",
        "password": "secret", "purpose": "tickets"}),
    ("GET", f"{_BOX}/{{mailbox_id}}"): Op("settings.edit", 200),
    ("PATCH", f"{_BOX}/{{mailbox_id}}"): Op("settings.edit", 200,
                                            body=_json({"folder": "Support"})),
    ("DELETE", f"{_BOX}/{{mailbox_id}}"): Op("settings.edit", 204),
    # the target's port is closed: the login fails at once and the answer says so (200)
    ("POST", f"{_BOX}/{{mailbox_id}}/test"): Op("settings.edit", 200),
    ("POST", f"{_BOX}/{{mailbox_id}}/poll"): Op("settings.edit", 202),
}


def mailbox_targets(s: Any, path: str) -> dict[str, Any]:
    """A fresh mailbox (on a closed loopback port) for the operations about one."""
    if "{mailbox_id}" not in path:
        return {}
    m = Mailbox(id=uuid.uuid4(), name=f"Mailbox {_hex()}", host="127.0.0.1", port=9,
                security="none", username="desk", password="secret", folder="INBOX",
                purpose="tickets", enabled=True, last_uid=0, failures=0, stored_count=0,
                skipped_count=0, quarantined_count=0)
    s.add(m)
    s.flush()
    return {"mailbox_id": m.id}
