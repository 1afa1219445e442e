"""Sensitive values never reach the audit log in clear; the entry still says they changed."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.core import audit
from amity.core.audit import AuditEntry
from amity.core.db import Database
from tests.factories import define_field, make_contact


def _entries(database: Database, entity_id: str) -> list[AuditEntry]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "contact")
                              .order_by(AuditEntry.at)))


def _raw_log(database: Database) -> str:
    with database.transaction(write=False) as s:
        return json.dumps([e.changes for e in s.scalars(select(AuditEntry))])


def test_personal_notes_and_sensitive_custom_fields_are_masked(
        client: TestClient, database: Database) -> None:
    define_field(client, key="passport_no", type="text", sensitive=True)
    define_field(client, key="shoe_size", type="text")
    c = make_contact(client, personal_notes="Allergic to walnuts",
                     custom_fields={"passport_no": "X1234567Q", "shoe_size": "44"})
    r = client.patch(f"/api/v1/contacts/{c['id']}", json={
        "personal_notes": "Now allergic to pecans",
        "custom_fields": {"passport_no": "Y7654321Z", "shoe_size": "45"}})
    assert r.status_code == 200, r.text
    raw = _raw_log(database)
    for secret in ("walnuts", "pecans", "X1234567Q", "Y7654321Z"):
        assert secret not in raw
    created, updated = _entries(database, c["id"])
    assert created.changes["personal_notes"] == [None, "***"]
    assert created.changes["custom_fields"][1] == {"passport_no": "***", "shoe_size": "44"}
    assert updated.changes["personal_notes"] == ["***", "***"]
    assert updated.changes["custom_fields"] == [{"passport_no": "***", "shoe_size": "44"},
                                                {"passport_no": "***", "shoe_size": "45"}]
    history = client.get(f"/api/v1/contacts/{c['id']}/history").json()
    assert history[0]["changes"]["personal_notes"] == ["***", "***"]
    # clearing a sensitive field still shows that it was cleared
    client.patch(f"/api/v1/contacts/{c['id']}", json={"personal_notes": None})
    latest = client.get(f"/api/v1/contacts/{c['id']}/history").json()[0]
    assert latest["changes"]["personal_notes"] == ["***", None]


def test_secret_like_names_and_explicit_keys_are_masked(database: Database) -> None:
    changes: dict[str, Any] = {"password_hash": [None, "argon2$abc"], "name": ["a", "b"],
                               "totp_secret": "JBSWY3DP", "nested": {"api_token": "amy_x"},
                               "pin": [1234, 4321]}
    with database.transaction() as s:
        audit.record(s, actor_id=None, action="update", entity_type="user", entity_id=None,
                     changes=changes, sensitive=["pin"])
    with database.transaction(write=False) as s:
        stored = s.scalars(select(AuditEntry)).one().changes
    assert stored == {"password_hash": [None, "***"], "name": ["a", "b"],
                      "totp_secret": "***", "nested": {"api_token": "***"},
                      "pin": ["***", "***"]}


def test_users_own_audit_of_their_creation_holds_no_password(
        client: TestClient, database: Database) -> None:
    r = client.post("/api/v1/users", json={"email": "new@example.com", "name": "New",
                                           "password": "a very long password 1"})
    assert r.status_code in (200, 201), r.text
    assert "a very long password 1" not in _raw_log(database)
