"""A person's export includes their tickets; erasing them blanks the tickets' content, drops
their attachments (the files go with the sweep) and scrubs the audit entries about them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from amity.config import Settings
from amity.core.db import Database
from amity.tickets.attachments import AttachmentStore, sweep_unreferenced
from tests.factories import make_contact
from tests.tickets.conftest import BASE_URL
from tests.tickets.support import comment, events, make_ticket, patch_ticket

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))


def _store(settings: Settings) -> AttachmentStore:
    return AttachmentStore(root=Path(settings.attachment_dir), max_bytes=10**6,
                           allowed_types=("image/png",))


def test_export_and_erase(client: TestClient, anon: TestClient, database: Database,
                          settings: Settings) -> None:
    person = make_contact(client, first_name="Zoe")
    bystander = make_contact(client)
    t = make_ticket(client, subject="My address changed", description="Now 1 Rue X",
                    contact_id=person["id"])
    kept = make_ticket(client, subject="Other customer", contact_id=bystander["id"])
    note = comment(client, t["id"], body="She called twice", public=False)
    r = client.post(f"/api/v1/tickets/{t['id']}/comments/{note['id']}/attachments",
                    files={"file": ("id.png", PNG, "image/png")})
    assert r.status_code == 201
    comment(client, kept["id"], author="customer", contact_id=person["id"], body="Me too!")
    patch_ticket(client, t["id"], status="resolved")
    url = events(database, "ticket.resolved")[-1]["survey_url"].removeprefix(BASE_URL)
    assert anon.post(f"{url}/answer", json={"score": 3, "comment": "Slow"}).status_code == 200

    data = client.get(f"/api/v1/contacts/{person['id']}/export").json()
    [exported] = data["tickets"]
    assert exported["subject"] == "My address changed"
    assert exported["comments"][0]["attachments"][0]["filename"] == "id.png"
    assert [c["body"] for c in data["ticket_comments_elsewhere"]] == ["Me too!"]
    assert data["satisfaction_surveys"][0]["comment"] == "Slow"
    html = client.get(f"/api/v1/contacts/{person['id']}/export", params={"format": "html"})
    assert t["reference"] in html.text and "She called twice" in html.text

    r = client.post(f"/api/v1/contacts/{person['id']}/erase", json={"confirm": person["id"]})
    assert r.status_code == 200, r.text
    after = client.get(f"/api/v1/tickets/{t['id']}").json()
    assert after["subject"] == "[erased]" and after["description"] is None
    assert after["satisfaction_score"] == 3 and after["satisfaction_comment"] is None
    bodies = [c["body"] for c in client.get(f"/api/v1/tickets/{t['id']}/comments").json()[
        "items"]]
    assert bodies == ["[erased]"]
    [theirs] = client.get(f"/api/v1/tickets/{kept['id']}/comments").json()["items"]
    assert theirs["body"] == "[erased]" and theirs["attachments"] == []
    assert client.get(f"/api/v1/tickets/{kept['id']}").json()["subject"] == "Other customer"
    history = client.get(f"/api/v1/tickets/{t['id']}/history").json()
    assert all("My address changed" not in str(h["changes"]) for h in history)
    # the stored file is swept once nothing names it
    assert len(list(Path(settings.attachment_dir).rglob("*"))) == 2  # folder and file
    with database.transaction() as s:
        assert sweep_unreferenced(s, _store(settings),
                                  older_than=datetime(2100, 1, 1, tzinfo=UTC)) == 1
    assert [p for p in Path(settings.attachment_dir).rglob("*") if p.is_file()] == []


def test_the_sweep_keeps_referenced_and_recent_files(client: TestClient, database: Database,
                                                     settings: Settings) -> None:
    t = make_ticket(client)
    c = comment(client, t["id"])
    client.post(f"/api/v1/tickets/{t['id']}/comments/{c['id']}/attachments",
                files={"file": ("a.png", PNG, "image/png")})
    orphan = Path(settings.attachment_dir) / "ab" / ("ab" + "0" * 62)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left behind")
    with database.transaction() as s:
        assert sweep_unreferenced(s, _store(settings),
                                  older_than=datetime(2000, 1, 1, tzinfo=UTC)) == 0
        assert sweep_unreferenced(s, _store(settings),
                                  older_than=datetime(2100, 1, 1, tzinfo=UTC)) == 1
    files = [p for p in Path(settings.attachment_dir).rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].read_bytes() == PNG
