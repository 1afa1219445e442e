"""Comments (replies, internal notes, customer answers) and attachments: upload, type and size
checks against the bytes, sha256, download headers, access."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.config import Settings
from amity.core.db import Database
from amity.tickets.models import TicketAttachment
from tests.auth.world import build_world, make_records
from tests.factories import assert_problem, count, make_contact
from tests.tickets.support import comment, events, make_ticket, patch_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def _upload(client: TestClient, ticket_id: str, comment_id: str, name: str, data: bytes,
            content_type: str) -> Any:
    return client.post(f"/api/v1/tickets/{ticket_id}/comments/{comment_id}/attachments",
                       files={"file": (name, data, content_type)})


def _stored(settings: Settings) -> list[Path]:
    root = Path(settings.attachment_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_replies_notes_and_customer_answers(client: TestClient, database: Database) -> None:
    contact = make_contact(client)
    t = make_ticket(client, contact_id=contact["id"])
    note = comment(client, t["id"], body="VIP, be nice", public=False)
    assert note["public"] is False and note["author_kind"] == "agent"
    reply = comment(client, t["id"], body="We are on it", message_id="<a1@desk.example.com>")
    assert reply["message_id"] == "<a1@desk.example.com>"
    patch_ticket(client, t["id"], status="pending_customer")
    answer = comment(client, t["id"], author="customer", body="Thanks!",
                     in_reply_to="<a1@desk.example.com>")
    assert answer["contact_id"] == contact["id"] and answer["in_reply_to"]
    assert client.get(f"/api/v1/tickets/{t['id']}").json()["status"] == "open"
    page = client.get(f"/api/v1/tickets/{t['id']}/comments").json()
    assert [c["body"] for c in page["items"]] == ["VIP, be nice", "We are on it", "Thanks!"]
    public = client.get(f"/api/v1/tickets/{t['id']}/comments",
                        params={"public_only": True}).json()["items"]
    assert [c["body"] for c in public] == ["We are on it", "Thanks!"]
    assert [e["public"] for e in events(database, "ticket.commented")] == [False, True, True]
    # a customer's reply reopens a resolved ticket
    patch_ticket(client, t["id"], status="resolved")
    comment(client, t["id"], author="customer", body="Still broken")
    again = client.get(f"/api/v1/tickets/{t['id']}").json()
    assert again["status"] == "open" and again["resolved_at"] is None


def test_bad_comments_are_refused(client: TestClient) -> None:
    t = make_ticket(client)
    url = f"/api/v1/tickets/{t['id']}/comments"
    assert_problem(client.post(url, json={"body": ""}), 422, "body")
    assert_problem(client.post(url, json={"body": "x", "author": "robot"}), 422, "author")
    assert_problem(client.post(url, json={"body": "x", "author": "customer"}), 422,
                   "contact_id", "contact.required")
    assert_problem(client.post(url, json={"body": "x", "author": "customer", "public": False}),
                   422)
    assert client.get(url).json()["items"] == []


def test_upload_and_download(client: TestClient, settings: Settings,
                             database: Database) -> None:
    t = make_ticket(client)
    c = comment(client, t["id"])
    r = _upload(client, t["id"], c["id"], "../../etc/screen shot.png", PNG, "image/png")
    assert r.status_code == 201, r.text
    att = r.json()
    assert att["filename"] == "screen shot.png" and att["content_type"] == "image/png"
    assert att["size"] == len(PNG) and att["sha256"] == hashlib.sha256(PNG).hexdigest()
    stored = _stored(settings)
    assert [p.name for p in stored] == [att["sha256"]] and stored[0].read_bytes() == PNG
    got = client.get(att["url"])
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    # the same bytes again are stored once; the comment lists both attachments
    again = _upload(client, t["id"], c["id"], "copy.png", PNG, "image/png")
    assert again.status_code == 201 and len(_stored(settings)) == 1
    listed = client.get(f"/api/v1/tickets/{t['id']}/comments").json()["items"][0]
    assert [a["filename"] for a in listed["attachments"]] == ["screen shot.png", "copy.png"]
    # text and PDF by their bytes; an undeclared type is taken from the bytes
    assert _upload(client, t["id"], c["id"], "log.txt", "héllo\n".encode(),
                   "text/plain; charset=utf-8").status_code == 201
    pdf = _upload(client, t["id"], c["id"], "invoice", PDF, "application/octet-stream")
    assert pdf.status_code == 201 and pdf.json()["content_type"] == "application/pdf"
    # a file whose bytes are gone answers 410
    for path in _stored(settings):
        path.unlink()
    assert_problem(client.get(att["url"]), 410, code="attachment.missing")


@pytest.mark.parametrize(("name", "data", "declared", "status", "code"), [
    ("tool.exe", b"MZ\x90\x00" + bytes(60), "application/x-msdownload", 422,
     "attachment.type_not_allowed"),
    ("tool.bin", b"MZ\x90\x00" + bytes(60), "application/octet-stream", 422,
     "attachment.type_not_allowed"),
    ("fake.png", b"just some text", "image/png", 422, "attachment.type_mismatch"),
    ("fake.pdf", PNG, "application/pdf", 422, "attachment.type_mismatch"),
    ("fake.txt", PNG, "text/plain", 422, "attachment.type_mismatch"),
    ("fake.csv", b"a,b\n\x00\x01\x02", "text/csv", 422, "attachment.type_mismatch"),
    ("empty.txt", b"", "text/plain", 422, "attachment.empty"),
    ("big.txt", b"a" * (64 * 1024 + 1), "text/plain", 413, "attachment.too_large"),
])
def test_refused_files_store_nothing(client: TestClient, settings: Settings, database: Database,
                                     name: str, data: bytes, declared: str, status: int,
                                     code: str) -> None:
    t = make_ticket(client)
    c = comment(client, t["id"])
    r = _upload(client, t["id"], c["id"], name, data, declared)
    assert_problem(r, status, "file", code)
    assert count(database, TicketAttachment) == 0
    assert _stored(settings) == []


def test_attachment_paths_must_belong_together(client: TestClient) -> None:
    t, other = make_ticket(client), make_ticket(client)
    c = comment(client, t["id"])
    assert_problem(_upload(client, other["id"], c["id"], "a.png", PNG, "image/png"), 404)
    att = _upload(client, t["id"], c["id"], "a.png", PNG, "image/png").json()
    assert_problem(client.get(f"/api/v1/tickets/{other['id']}/attachments/{att['id']}"), 404)
    r = client.post(f"/api/v1/tickets/{t['id']}/comments/{c['id']}/attachments", json={})
    assert_problem(r, 422, "file", "attachment.file_required")


def test_who_may_comment_and_upload(app: Any, anon: TestClient, database: Database) -> None:
    world = build_world(database)
    own = make_records(database, world.ids["mate"])  # a teammate's ticket
    far = make_records(database, world.ids["outsider"])  # another team's

    def as_(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {world.tokens[role]}"}

    def post(role: str, ids: dict[str, Any]) -> Any:
        return anon.post(f"/api/v1/tickets/{ids['ticket_id']}/comments", headers=as_(role),
                         json={"body": "hi"})

    # sales reps see their team's tickets but may not work on them
    assert anon.get(f"/api/v1/tickets/{own['ticket_id']}", headers=as_("sales_rep")
                    ).status_code == 200
    assert_problem(post("sales_rep", own), 403)
    assert_problem(anon.patch(f"/api/v1/tickets/{own['ticket_id']}", headers=as_("sales_rep"),
                              json={"priority": "high"}), 403)
    assert_problem(anon.get(f"/api/v1/tickets/{far['ticket_id']}", headers=as_("sales_rep")),
                   404)
    assert_problem(post("sales_rep", far), 404)
    up = anon.post(f"/api/v1/tickets/{own['ticket_id']}/comments/{own['comment_id']}"
                   "/attachments", headers=as_("sales_rep"),
                   files={"file": ("a.png", PNG, "image/png")})
    assert_problem(up, 403)
    assert_problem(anon.get(f"/api/v1/tickets/{far['ticket_id']}/attachments/"
                            f"{far['attachment_id']}", headers=as_("sales_rep")), 404)
    # support agents work on every ticket; read-only users read
    assert post("support_agent", far).status_code == 201
    assert post("read_only", own).status_code == 403
    assert anon.get(f"/api/v1/tickets/{far['ticket_id']}/comments",
                    headers=as_("read_only")).status_code == 200
    assert_problem(anon.post("/api/v1/tickets", headers=as_("sales_rep"),
                             json={"subject": "x"}), 403)
    listed = anon.get("/api/v1/tickets", headers=as_("sales_rep")).json()["items"]
    assert [x["id"] for x in listed] == [str(own["ticket_id"])]


def test_an_upload_is_refused_by_its_length_before_it_is_read(
        client: TestClient, settings: Settings, database: Database) -> None:
    t = make_ticket(client)
    c = comment(client, t["id"])
    url = f"/api/v1/tickets/{t['id']}/comments/{c['id']}/attachments"
    r = _upload(client, t["id"], c["id"], "huge.txt", b"a" * 300_000, "text/plain")
    assert_problem(r, 413, "file", "attachment.too_large")

    def chunks() -> Any:
        yield b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
        yield b"Content-Type: text/plain\r\n\r\nhello\r\n--x--\r\n"

    r = client.post(url, content=chunks(),
                    headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert_problem(r, 411, code="length.required")
    assert count(database, TicketAttachment) == 0 and _stored(settings) == []
