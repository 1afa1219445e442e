"""Permission-matrix entries for email to contacts, email templates, sites and web events
(see matrix.py). Templates are read with contacts.view and managed with settings.edit."""

from __future__ import annotations

import uuid
from typing import Any

from amity.activities.outreach_models import EmailTemplate, WebSite
from tests.auth.matrix_base import ANY, Op, _hex, _json

OUTREACH_IDS = ("template_id", "site_id")
_TPL = "/api/v1/email-templates"
_EVENT = {"type": "page_view", "url": "https://example.com/", "visitor_id": "matrix-visitor"}

OUTREACH: dict[tuple[str, str], Op] = {
    # The world's contact has no email address: an allowed sender gets the 422 that says so
    # (tests/activities/test_email.py sends real mail).
    ("POST", "/api/v1/contacts/{contact_id}/emails"): Op(
        "contacts.edit", 422, record=True,
        body=_json({"subject": "Hello", "body": "Hi", "purpose": "transactional"})),
    ("GET", _TPL): Op("contacts.view", 200),
    ("POST", _TPL): Op("settings.edit", 201, body=lambda ids: {
        "name": f"Template {_hex()}", "subject": "Hello {{ first_name }}", "body": "Hi"}),
    ("GET", f"{_TPL}/{{template_id}}"): Op("contacts.view", 200),
    ("PATCH", f"{_TPL}/{{template_id}}"): Op("settings.edit", 200,
                                             body=_json({"subject": "Changed"})),
    ("DELETE", f"{_TPL}/{{template_id}}"): Op("settings.edit", 204),
    # Web events are sent with a site's public key, never a user's token: without the key
    # everyone gets 401 (tests/activities/test_webevents.py sends with keys).
    ("POST", "/api/v1/events"): Op(ANY, 401, body=_json({"events": [_EVENT]})),
    ("GET", "/api/v1/sites"): Op("settings.view", 200),
    ("POST", "/api/v1/sites"): Op("settings.edit", 201, body=_json({"name": "Matrix site"})),
    ("GET", "/api/v1/sites/{site_id}"): Op("settings.view", 200),
    ("PATCH", "/api/v1/sites/{site_id}"): Op("settings.edit", 200,
                                             body=_json({"name": "Changed"})),
    ("DELETE", "/api/v1/sites/{site_id}"): Op("settings.edit", 204),
}


def outreach_targets(s: Any, path: str) -> dict[str, Any]:
    """A fresh template or site for the operations about one."""
    ids: dict[str, Any] = {}
    if "{template_id}" in path:
        t = EmailTemplate(id=uuid.uuid4(), name=f"Template {_hex()}", subject="Hi",
                          body="Hello", purpose="marketing")
        s.add(t)
        s.flush()
        ids["template_id"] = t.id
    if "{site_id}" in path:
        site = WebSite(id=uuid.uuid4(), name=f"Site {_hex()}", public_key=f"pk_{_hex()}",
                       allowed_origins=[], rate_limit_per_minute=100)
        s.add(site)
        s.flush()
        ids["site_id"] = site.id
    return ids
