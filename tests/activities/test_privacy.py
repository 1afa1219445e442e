"""A person's interactions and the tasks about them are in their export and blanked by their
erasure (records, times and links stay)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from amity.core.audit import AuditEntry
from amity.core.db import Database
from tests.activities.conftest import call, task
from tests.factories import make_contact


def test_export_and_erase_cover_activities(client: Any, database: Database) -> None:
    c = make_contact(client)
    i = call(client, c["id"], channel="meeting", subject="Allergy: peanuts",
             body="Prefers gluten-free", location="Home, 3 rue Cler",
             participants=[{"contact_id": c["id"], "name": "Ada at home"}])
    t = task(client, title="Ask Ada about her surgery", contact_id=c["id"])
    data = client.get(f"/api/v1/contacts/{c['id']}/export", params={"format": "json"}).json()
    assert [x["subject"] for x in data["interactions"]] == ["Allergy: peanuts"]
    assert [x["title"] for x in data["tasks"]] == ["Ask Ada about her surgery"]
    r = client.post(f"/api/v1/contacts/{c['id']}/erase", json={"confirm": c["id"]})
    assert r.status_code == 200, r.text
    got = client.get(f"/api/v1/interactions/{i['id']}").json()
    assert (got["subject"], got["body"], got["location"]) == ("[erased]", None, None)
    assert got["participants"][0]["name"] is None and got["occurred_at"] == i["occurred_at"]
    assert client.get(f"/api/v1/tasks/{t['id']}").json()["title"] == "[erased]"
    with database.transaction(write=False) as s:
        entries = list(s.scalars(select(AuditEntry).where(
            AuditEntry.entity_id.in_([uuid.UUID(i["id"]), uuid.UUID(t["id"])]))))
    text = str([e.changes for e in entries])
    assert entries and "peanuts" not in text and "surgery" not in text
