"""Notes on contacts and companies: create, list (keyset), update, delete, history, events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from amity.core.audit import AuditEntry
from amity.core.clock import set_clock
from amity.core.events import EventRecord
from amity.notes.models import Note
from tests.factories import assert_problem, count, make_company, make_contact


def test_note_crud_on_contact(client, database, admin_user):
    c = make_contact(client)
    base = f"/api/v1/contacts/{c['id']}/notes"
    r = client.post(base, json={"body": "Met at the fair", "pinned": True})
    assert r.status_code == 201, r.text
    note = r.json()
    assert set(note) == {"id", "entity_type", "entity_id", "body", "pinned", "author_id",
                         "version", "created_at", "updated_at"}
    assert note["entity_type"] == "contact" and note["entity_id"] == c["id"]
    assert note["author_id"] == str(admin_user[0].id) and note["version"] == 1
    url = f"/api/v1/notes/{note['id']}"
    g = client.get(url)
    assert g.status_code == 200 and g.headers["etag"] == '"v1"'
    r = client.patch(url, json={"body": "Met at the trade fair", "pinned": False})
    assert r.status_code == 200 and r.json()["version"] == 2 and not r.json()["pinned"]
    assert client.get(base).json()["items"][0]["body"] == "Met at the trade fair"
    assert client.delete(url).status_code == 204
    assert_problem(client.get(url), 404, code="note.not_found")
    assert client.get(base).json()["items"] == []
    assert client.get(f"/api/v1/contacts/{c['id']}/360").json()["notes_count"] == 0
    with database.transaction(write=False) as s:
        types = list(s.scalars(select(EventRecord.type).where(
            EventRecord.entity_id == uuid.UUID(note["id"]))))
        actions = list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_id == uuid.UUID(note["id"])).order_by(AuditEntry.at)))
    assert types == ["note.added"]
    assert actions == ["create", "update", "delete"]


def test_note_validation(client, database):
    c = make_contact(client)
    base = f"/api/v1/contacts/{c['id']}/notes"
    for body, field in (({"body": ""}, "body"), ({}, "body"), ({"body": "x", "colour": 1},
                                                                 "colour"),
                        ({"body": "x" * 100_001}, "body")):
        assert_problem(client.post(base, json=body), 422, field=field)
    assert_problem(client.post(f"/api/v1/contacts/{uuid.uuid4()}/notes", json={"body": "x"}),
                   404)
    assert count(database, Note) == 0
    assert_problem(client.get(f"/api/v1/notes/{uuid.uuid4()}"), 404)


def test_company_notes_and_paging(client):
    comp = make_company(client)
    base = f"/api/v1/companies/{comp['id']}/notes"
    fixed = datetime(2026, 1, 1, tzinfo=UTC)
    set_clock(lambda: fixed)  # identical created_at: paging must fall back to the id
    try:
        made = {client.post(base, json={"body": f"n{i}"}).json()["id"] for i in range(12)}
    finally:
        set_clock(None)
    seen: list[str] = []
    cursor = None
    while True:
        page = client.get(base, params={"limit": 5, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        seen += [n["id"] for n in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 12 and set(seen) == made
    # notes of a deleted parent are out of reach
    note_id = seen[0]
    client.delete(f"/api/v1/companies/{comp['id']}")
    assert_problem(client.get(f"/api/v1/notes/{note_id}"), 404)
