"""POST /contacts/bulk: up to 1,000 at once, all or nothing, errors name the item."""

from __future__ import annotations

import pytest

from amity.contacts.models import Contact, ContactEmail
from amity.core.audit import AuditEntry
from amity.core.events import EventRecord
from amity.core.tags import Tag
from tests.factories import assert_problem, counts, define_field

TABLES = (Contact, ContactEmail, Tag, AuditEntry, EventRecord)


def _items(n):
    return [{"first_name": f"First{i}", "last_name": f"Last{i:04d}",
             "emails": [{"email": f"person{i}@example.com"}], "tags": ["imported"]}
            for i in range(n)]


def test_thousand_items(client, database):
    r = client.post("/api/v1/contacts/bulk", json={"items": _items(1000)})
    assert r.status_code == 201, r.text[:500]
    body = r.json()
    assert body["created"] == 1000 and len(set(body["ids"])) == 1000
    assert counts(database, Contact, ContactEmail, Tag) == {
        "contacts": 1000, "contact_emails": 1000, "tags": 1}
    assert counts(database, AuditEntry, EventRecord)["events"] == 1000
    got = client.get(f"/api/v1/contacts/{body['ids'][7]}").json()
    assert got["last_name"] == "Last0007" and got["tags"] == ["imported"]
    page = client.get("/api/v1/contacts", params={"tag": "imported", "limit": 200}).json()
    assert len(page["items"]) == 200 and page["next_cursor"]


@pytest.mark.parametrize(("index", "bad", "field"), [
    (0, {"emails": [{"email": "broken"}]}, "items.0.emails.0.email"),
    (517, {"phones": [{"number": "000"}]}, "items.517.phones.0.number"),
    (999, {"custom_fields": {"unknown": 1}}, "items.999.custom_fields.unknown"),
    (3, {"custom_fields": {"level": "high"}}, "items.3.custom_fields.level"),
    (42, {"lifecycle_stage": "alien"}, "items.42.lifecycle_stage"),
    (8, {"unexpected": True}, "items.8.unexpected"),
    (12, {"company_id": "00000000-0000-4000-8000-000000000000"}, "items.12.company_id"),
])
def test_one_bad_item_writes_nothing(client, database, index, bad, field):
    define_field(client, key="level", type="number")
    before = counts(database, *TABLES)
    items = _items(1000)
    items[index] = {**items[index], **bad}
    r = client.post("/api/v1/contacts/bulk", json={"items": items})
    assert_problem(r, 422, field=field)
    assert counts(database, *TABLES) == before


def test_bulk_limits(client, database):
    assert_problem(client.post("/api/v1/contacts/bulk", json={"items": []}), 422, field="items")
    r = client.post("/api/v1/contacts/bulk", json={"items": _items(1001)})
    assert_problem(r, 422, field="items")
    assert counts(database, Contact) == {"contacts": 0}


def test_bulk_applies_required_custom_fields(client, database):
    define_field(client, key="segment", type="text", required=True)
    items = [{"first_name": "A", "custom_fields": {"segment": "smb"}}, {"first_name": "B"}]
    assert_problem(client.post("/api/v1/contacts/bulk", json={"items": items}), 422,
                   field="items.1.custom_fields.segment")
    assert counts(database, Contact) == {"contacts": 0}


def test_new_tags_shared_by_later_items(client, database):
    """A tag first seen on item 2 and used again on item 6 is created once."""
    items = [{"first_name": f"T{i}", "tags": ["common", f"group{i % 4}"]} for i in range(12)]
    r = client.post("/api/v1/contacts/bulk", json={"items": items})
    assert r.status_code == 201, r.text
    assert counts(database, Tag) == {"tags": 5}
    ids = client.get("/api/v1/contacts", params={"tag": "group2"}).json()["items"]
    assert len(ids) == 3
