"""/api/v1/mailboxes on both databases: validation (4xx, nothing changed), the password never
returned nor in the audit log, the cursor forgotten when the mailbox points elsewhere."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.jobs.models import Job
from amity.mail.models import Mailbox
from tests.factories import assert_problem, count

SECRET = "s3cret-imap-password"
BASE = {"name": "Support", "host": "imap.example.com", "username": "desk@example.com",
        "password": SECRET, "purpose": "tickets"}


def create(client: TestClient, **fields: Any) -> dict[str, Any]:
    r = client.post("/api/v1/mailboxes", json={**BASE, **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_create_read_list_never_show_the_password(client: TestClient,
                                                   database: Database) -> None:
    m = create(client)
    assert (m["port"], m["security"], m["folder"], m["enabled"]) == (993, "ssl", "INBOX", True)
    assert m["has_password"] is True and "password" not in m
    assert (m["last_uid"], m["uid_validity"], m["last_error"]) == (0, None, None)
    got = client.get(f"/api/v1/mailboxes/{m['id']}")
    assert got.status_code == 200 and got.headers["etag"]
    listed = client.get("/api/v1/mailboxes")
    starttls = create(client, name="Sales", security="starttls", purpose="timeline")
    assert starttls["port"] == 143
    for r in (got, listed, client.get("/api/v1/mailboxes")):
        assert SECRET not in r.text
    r = client.patch(f"/api/v1/mailboxes/{m['id']}", json={"password": "new-" + SECRET})
    assert r.status_code == 200 and SECRET not in r.text
    with database.transaction(write=False) as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "mailbox")))
        assert {e.action for e in entries} == {"create", "update"}
        assert SECRET not in json.dumps([e.changes for e in entries])
        update_entry = next(e for e in entries if e.action == "update")
        assert update_entry.changes["password"] == ["***", "***"]
        stored = s.get(Mailbox, uuid.UUID(m["id"]))
        assert stored is not None and stored.password == "new-" + SECRET


@pytest.mark.parametrize("body, field", [
    ({"security": "none"}, "security"),  # plain IMAP only to a loopback host
    ({"port": 0}, "port"),
    ({"port": 70000}, "port"),
    ({"host": "imap://example.com/"}, "host"),
    ({"host": ""}, "host"),
    ({"password": ""}, "password"),
    ({"purpose": "spam"}, "purpose"),
    ({"security": "tls"}, "security"),
    ({"folder": 'IN"BOX'}, "folder"),
    ({"name": "x" * 101}, "name"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_input_is_refused_and_stores_nothing(client: TestClient, database: Database,
                                                 body: dict[str, Any], field: str) -> None:
    r = client.post("/api/v1/mailboxes", json={**BASE, **body})
    problem = assert_problem(r, 422)
    assert field in json.dumps(problem)
    assert count(database, Mailbox) == 0


def test_missing_fields_and_taken_names(client: TestClient, database: Database) -> None:
    for missing in ("name", "host", "username", "password", "purpose"):
        body = {k: v for k, v in BASE.items() if k != missing}
        assert_problem(client.post("/api/v1/mailboxes", json=body), 422)
    create(client)
    assert_problem(client.post("/api/v1/mailboxes", json=BASE), 409, code="mailbox.name_taken")
    assert count(database, Mailbox) == 1


def test_patch_validates_and_changes_nothing_when_refused(client: TestClient,
                                                          database: Database) -> None:
    m = create(client)
    url = f"/api/v1/mailboxes/{m['id']}"
    other = create(client, name="Other")
    assert_problem(client.patch(url, json={"security": "none"}), 422, field="security")
    assert_problem(client.patch(url, json={"port": -1}), 422)
    assert_problem(client.patch(url, json={"name": other["name"]}), 409)
    assert_problem(client.patch(url, json={"folder": "Archive"},
                                headers={"If-Match": '"999"'}), 412)
    assert_problem(client.patch(f"/api/v1/mailboxes/{uuid.uuid4()}", json={}), 404)
    after = client.get(url).json()
    assert {k: after[k] for k in ("name", "security", "port", "folder", "version")} == {
        k: m[k] for k in ("name", "security", "port", "folder", "version")}
    # loopback may go without TLS
    r = client.patch(url, json={"host": "127.0.0.1", "security": "none"})
    assert r.status_code == 200 and r.json()["port"] == 143


def test_pointing_elsewhere_forgets_the_cursor(client: TestClient, database: Database) -> None:
    m = create(client)
    with database.transaction() as s:
        s.execute(update(Mailbox).values(uid_validity=7, last_uid=42, failures=2))
    url = f"/api/v1/mailboxes/{m['id']}"
    r = client.patch(url, json={"enabled": False})
    assert (r.json()["last_uid"], r.json()["uid_validity"]) == (42, 7)
    r = client.patch(url, json={"folder": "Support"})
    assert (r.json()["last_uid"], r.json()["uid_validity"], r.json()["failures"]) == (0, None, 0)


def test_delete_poll_and_test(client: TestClient, database: Database) -> None:
    m = create(client, host="127.0.0.1", port=9, security="none")
    url = f"/api/v1/mailboxes/{m['id']}"
    check = client.post(f"{url}/test")
    assert check.status_code == 200
    assert check.json()["ok"] is False and "cannot connect" in check.json()["error"]
    queued = client.post(f"{url}/poll")
    assert queued.status_code == 202
    with database.transaction(write=False) as s:
        job = s.get(Job, uuid.UUID(queued.json()["job_id"]))
        assert job is not None and job.kind == "mail.poll"
        assert job.payload == {"mailbox_id": m["id"]}
    client.patch(url, json={"enabled": False})
    assert_problem(client.post(f"{url}/poll"), 409, code="mailbox.disabled")
    assert client.delete(url).status_code == 204
    assert_problem(client.get(url), 404)
    assert_problem(client.post(f"{url}/poll"), 404)
    assert_problem(client.delete(url), 404)
    assert client.get("/api/v1/mailboxes").json() == []
