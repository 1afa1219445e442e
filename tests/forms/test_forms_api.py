"""The forms API: create with validated fields, consents and redirect URLs, update with
versions, delete, list submissions; the channels API: the secret shown once and rotated."""

from __future__ import annotations

from typing import Any

from amity.activities.forms_models import Form, IngestChannel
from amity.core.audit import AuditEntry
from amity.core.db import Database
from tests.factories import assert_problem, count
from tests.forms.conftest import FIELDS, make_form


def test_form_crud_and_audit(client: Any, database: Database) -> None:
    f = make_form(client, redirect_url="https://example.com/thanks", tags=["web"],
                  lifecycle_stage="subscriber")
    assert len(f["public_key"]) >= 16 and f["enabled"] and f["version"] == 1
    assert [x["maps_to"] for x in f["fields"]][:3] == ["first_name", "last_name", "email"]
    assert f["consents"][0]["purpose"] == "newsletter"
    r = client.patch(f"/api/v1/forms/{f['id']}", json={"title": "Talk to us"},
                     headers={"If-Match": '"v1"'})
    assert r.status_code == 200 and r.json()["version"] == 2, r.text
    assert_problem(client.patch(f"/api/v1/forms/{f['id']}", json={"title": "Again"},
                                headers={"If-Match": '"v1"'}), 412)
    assert [x["title"] for x in client.get("/api/v1/forms").json()] == ["Talk to us"]
    r = client.get(f"/api/v1/forms/{f['id']}/submissions")
    assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}
    assert client.delete(f"/api/v1/forms/{f['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/forms/{f['id']}"), 404)
    with database.transaction(write=False) as s:
        actions = [e.action for e in s.query(AuditEntry).filter_by(entity_type="form")
                   .order_by(AuditEntry.id)]
    assert sorted(actions) == ["create", "delete", "update"]


def test_bad_forms_are_refused_and_nothing_is_stored(client: Any, database: Database) -> None:
    bad: list[dict[str, Any]] = [
        {"redirect_url": "javascript:alert(1)"},
        {"redirect_url": "ftp://example.com/x"},
        {"fields": [{"maps_to": "first_name", "label": "Name"}]},  # no email or phone
        {"fields": [*FIELDS, {"maps_to": "email", "label": "Email again"}]},
        {"fields": [*FIELDS, {"maps_to": "custom", "label": "Size"}]},  # no custom_field
        {"fields": [*FIELDS, {"maps_to": "custom", "custom_field": "size", "label": "Size",
                              "type": "select"}]},  # a select without options
        {"consents": [{"key": "x", "purpose": "spam", "text": "?"}]},
        {"site_id": "00000000-0000-0000-0000-000000000001"},
        {"unknown": 1},
    ]
    for extra in bad:
        body = {"name": "Bad", "fields": FIELDS, **extra}
        r = client.post("/api/v1/forms", json=body)
        assert r.status_code == 422, (extra, r.text)
    assert count(database, Form) == 0


def test_channel_secret_shown_once_and_rotated(client: Any, database: Database) -> None:
    r = client.post("/api/v1/channels", json={"name": "Chat widget", "kind": "chat"})
    assert r.status_code == 201, r.text
    ch = r.json()
    assert ch["secret"].startswith("whsec_") and len(ch["secret"]) > 30
    got = client.get(f"/api/v1/channels/{ch['id']}").json()
    assert "secret" not in got and got["kind"] == "chat" and not got["create_contacts"]
    assert all("secret" not in x for x in client.get("/api/v1/channels").json())
    r = client.post(f"/api/v1/channels/{ch['id']}/rotate-secret")
    assert r.status_code == 200 and r.json()["secret"] != ch["secret"]
    assert r.json()["secret_rotated_at"] is not None
    assert_problem(client.post("/api/v1/channels", json={"name": "x", "kind": "pigeon"}), 422)
    r = client.patch(f"/api/v1/channels/{ch['id']}", json={"enabled": False})
    assert r.status_code == 200 and r.json()["enabled"] is False
    with database.transaction(write=False) as s:
        for e in s.query(AuditEntry).filter_by(entity_type="ingest_channel"):
            assert ch["secret"] not in str(e.changes)
    assert client.delete(f"/api/v1/channels/{ch['id']}").status_code == 204
    assert count(database, IngestChannel) == 1
    assert_problem(client.get(f"/api/v1/channels/{ch['id']}"), 404)
