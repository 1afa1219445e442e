"""Editing, archiving and deleting custom field definitions through /api/v1/custom-fields
without losing stored values: a type or options change that would leave a stored value
invalid is refused (422) and changes nothing; a field with values is archived, not deleted."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.contacts.models import Contact
from amity.core.audit import AuditEntry
from amity.core.db import Database

API = "/api/v1/custom-fields"


def _define(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post(API, json={"entity": "contact", **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _contact(client: TestClient, **custom: Any) -> str:
    r = client.post("/api/v1/contacts", json={"first_name": "Ada", "custom_fields": custom})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_edit_label_help_flags_and_options(client: TestClient, database: Database) -> None:
    d = _define(client, key="tier", label="Tier", type="select", options=["gold", "silver"])
    _contact(client, tier="gold")
    r = client.patch(f"{API}/{d['id']}", json={
        "label": "Customer tier", "help_text": "As agreed in the contract",
        "options": ["gold", "silver", "bronze"], "required": True, "sensitive": True})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["label"], got["help_text"], got["options"], got["required"],
            got["sensitive"]) == ("Customer tier", "As agreed in the contract",
                                  ["gold", "silver", "bronze"], True, True)
    # an unused option may go; one a record still uses may not
    assert client.patch(f"{API}/{d['id']}", json={"options": ["gold", "bronze"]}
                        ).status_code == 200
    r = client.patch(f"{API}/{d['id']}", json={"options": ["bronze"]})
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "custom_field.values_lost" and "gold" in problem["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"{API}/{d['id']}").json()["options"] == ["gold", "bronze"]
    # key and entity are fixed, an empty label is refused
    assert client.patch(f"{API}/{d['id']}", json={"key": "level"}).status_code == 422
    assert client.patch(f"{API}/{d['id']}", json={"label": ""}).status_code == 422
    with database.transaction() as s:
        updates = s.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "custom_field", AuditEntry.action == "update")).all()
        assert len(updates) == 2


def test_type_change_is_refused_when_values_would_be_lost(client: TestClient,
                                                          database: Database) -> None:
    d = _define(client, key="shoe", label="Shoe size", type="text")
    cid = _contact(client, shoe="42")
    other = _contact(client, shoe="large")
    # "large" is not a number: refused, nothing changes
    r = client.patch(f"{API}/{d['id']}", json={"type": "number"})
    assert r.status_code == 422 and r.json()["code"] == "custom_field.values_lost"
    assert "large" in r.json()["detail"] and r.json()["field"] == "type"
    assert client.get(f"{API}/{d['id']}").json()["type"] == "text"
    # once that value is cleared the change is allowed, and the stored "42" is still there
    assert client.patch(f"/api/v1/contacts/{other}", json={"custom_fields": {"shoe": None}},
                        headers={"If-Match": client.get(f"/api/v1/contacts/{other}")
                                 .headers["ETag"]}).status_code == 200
    assert client.patch(f"{API}/{d['id']}", json={"type": "number"}).status_code == 200
    assert client.get(f"/api/v1/contacts/{cid}").json()["custom_fields"] == {"shoe": "42"}
    # a field without values may change type freely
    empty = _define(client, key="nick", label="Nickname", type="text")
    r = client.patch(f"{API}/{empty['id']}", json={"type": "select", "options": ["a"]})
    assert r.status_code == 200 and r.json()["type"] == "select"


def test_archive_keeps_values_hides_the_field_and_refuses_new_values(
        client: TestClient, database: Database) -> None:
    d = _define(client, key="allergy", label="Allergy", type="text", required=True)
    cid = _contact(client, allergy="nuts")
    r = client.post(f"{API}/{d['id']}/archive")
    assert r.status_code == 200 and r.json()["archived_at"]
    assert [x["key"] for x in client.get(API).json()] == []
    assert [x["key"] for x in client.get(API, params={"archived": "only"}).json()] == ["allergy"]
    # stored values stay; a required archived field is not required any more
    assert client.get(f"/api/v1/contacts/{cid}").json()["custom_fields"] == {"allergy": "nuts"}
    assert client.post("/api/v1/contacts", json={"first_name": "Bo"}).status_code == 201
    r = client.post("/api/v1/contacts", json={"first_name": "Cy",
                                              "custom_fields": {"allergy": "milk"}})
    assert r.status_code == 422 and r.json()["code"] == "custom_field.archived"
    # deleting a field with values is refused: archive it instead
    r = client.delete(f"{API}/{d['id']}")
    assert r.status_code == 409 and "archive" in r.json()["detail"]
    assert client.get(f"{API}/{d['id']}").status_code == 200
    r = client.post(f"{API}/{d['id']}/restore")
    assert r.status_code == 200 and r.json()["archived_at"] is None
    assert [x["key"] for x in client.get(API).json()] == ["allergy"]
    with database.transaction() as s:
        actions = sorted(s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_type == "custom_field")))
        assert actions == ["archive", "create", "restore"]
        assert s.scalar(select(Contact.custom_fields).where(
            Contact.first_name == "Ada")) == {"allergy": "nuts"}


def test_delete_unused_field_and_unknown_ids(client: TestClient) -> None:
    d = _define(client, key="spare", label="Spare", type="boolean")
    other = _define(client, key="other", label="Other", type="number")
    _contact(client)
    _contact(client, other=3)  # records without a value for "spare" do not count
    assert client.delete(f"{API}/{other['id']}").status_code == 409
    assert client.delete(f"{API}/{d['id']}").status_code == 204
    assert client.get(f"{API}/{d['id']}").status_code == 404
    assert client.patch(f"{API}/{d['id']}", json={"label": "x"}).status_code == 404
    assert client.post(f"{API}/{d['id']}/archive").status_code == 404
