"""Ticket CRUD through the API: references, validation, transitions, versions, idempotency,
soft delete, history, filters, keyset pages and a fixed number of queries per list."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from amity.core.db import Database
from amity.tickets.models import Ticket
from tests.factories import assert_problem, count, define_field, make_company, make_contact
from tests.tickets.support import comment, events, make_ticket, patch_ticket


def test_create_read_update(client: TestClient, database: Database) -> None:
    contact = make_contact(client)
    t = make_ticket(client, subject="Invoice is wrong", description="Twice the VAT",
                    priority="high", channel="email", category="Billing",
                    contact_id=contact["id"], tags=["billing", "Billing", "urgent"])
    assert t["reference"] == "T-1001" and t["number"] == 1001
    assert t["status"] == "new" and t["priority"] == "high" and t["channel"] == "email"
    assert t["tags"] == ["billing", "urgent"]
    assert t["owner_id"] is not None and t["version"] == 1
    r = client.get(f"/api/v1/tickets/{t['id']}")
    assert r.status_code == 200 and r.headers["ETag"] == '"v1"'
    assert r.json()["customer"]["contact_id"] == contact["id"]
    changed = patch_ticket(client, t["id"], status="open", priority="urgent")
    assert changed["status"] == "open" and changed["version"] == 2
    assert make_ticket(client)["reference"] == "T-1002"
    assert [e["action"] for e in events(database, "ticket.changed")] == [
        "create", "update", "create"]
    assert events(database, "ticket.status_changed") == [
        {"ticket_id": t["id"], "from_status": "new", "to_status": "open"}]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "subject"),
    ({"subject": ""}, "subject"),
    ({"subject": "x", "priority": "critical"}, "priority"),
    ({"subject": "x", "channel": "pigeon"}, "channel"),
    ({"subject": "x", "status": "open"}, "status"),  # not settable on create
    ({"subject": "x", "tags": ["a" * 81]}, "tags.0"),
    ({"subject": "x" * 501}, "subject"),
])
def test_bad_input_is_refused(client: TestClient, database: Database, body: dict[str, object],
                              field: str) -> None:
    r = client.post("/api/v1/tickets", json=body)
    assert_problem(r, 422, field)
    assert count(database, Ticket) == 0


@pytest.mark.parametrize(("key", "code"), [
    ("contact_id", "contact.not_found"), ("company_id", "company.not_found"),
    ("order_id", "order.not_found"), ("product_id", "product.not_found"),
    ("assignee_id", "user.not_found"), ("team_id", "team.not_found"),
])
def test_unknown_references_are_refused(client: TestClient, database: Database, key: str,
                                        code: str) -> None:
    r = client.post("/api/v1/tickets", json={"subject": "x", key: str(uuid.uuid4())})
    assert_problem(r, 422, key, code)
    assert count(database, Ticket) == 0


def test_status_moves_only_along_allowed_transitions(client: TestClient) -> None:
    t = make_ticket(client)
    assert patch_ticket(client, t["id"], status="new")["version"] == 1  # no change
    patch_ticket(client, t["id"], status="on_hold")
    assert_problem(client.patch(f"/api/v1/tickets/{t['id']}", json={"status": "new"}), 422,
                   "status", "ticket.status_transition")
    patch_ticket(client, t["id"], status="resolved")
    r = client.patch(f"/api/v1/tickets/{t['id']}", json={"status": "pending_customer"})
    body = assert_problem(r, 422, "status", "ticket.status_transition")
    assert "allowed: open, closed" in body["detail"]
    patch_ticket(client, t["id"], status="closed")
    r = client.patch(f"/api/v1/tickets/{t['id']}", json={"status": "open"})
    assert "closed is final" in assert_problem(r, 422, "status")["detail"]
    assert_problem(client.patch(f"/api/v1/tickets/{t['id']}", json={"status": None}), 422,
                   "status")
    assert_problem(client.patch(f"/api/v1/tickets/{t['id']}", json={"status": "done"}), 422,
                   "status")
    # a closed ticket takes no comment
    r = client.post(f"/api/v1/tickets/{t['id']}/comments", json={"body": "hello?"})
    assert_problem(r, 409, code="ticket.closed")
    final = client.get(f"/api/v1/tickets/{t['id']}").json()
    assert final["status"] == "closed" and final["closed_at"] and final["resolved_at"]


def test_stale_version_is_refused(client: TestClient) -> None:
    t = make_ticket(client)
    patch_ticket(client, t["id"], category="A")
    r = client.patch(f"/api/v1/tickets/{t['id']}", json={"category": "B"},
                     headers={"If-Match": '"v1"'})
    assert_problem(r, 412)
    r = client.patch(f"/api/v1/tickets/{t['id']}", json={"category": "B", "version": 1})
    assert_problem(r, 412)
    assert_problem(client.delete(f"/api/v1/tickets/{t['id']}", headers={"If-Match": '"v1"'}),
                   412)
    r = client.patch(f"/api/v1/tickets/{t['id']}", json={"category": "B"},
                     headers={"If-Match": '"v2"'})
    assert r.status_code == 200 and r.headers["ETag"] == '"v3"'


def test_idempotency_key_makes_one_ticket(client: TestClient, database: Database) -> None:
    headers = {"Idempotency-Key": "ticket-abc"}
    first = client.post("/api/v1/tickets", json={"subject": "Once"}, headers=headers)
    again = client.post("/api/v1/tickets", json={"subject": "Once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert count(database, Ticket) == 1


def test_soft_delete_restore_and_history(client: TestClient) -> None:
    t = make_ticket(client)
    comment(client, t["id"], body="Hi")
    assert client.delete(f"/api/v1/tickets/{t['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/tickets/{t['id']}"), 404)
    assert client.get(f"/api/v1/tickets/{t['id']}", params={"include_deleted": True}).json()[
        "deleted_at"]
    listed = client.get("/api/v1/tickets", params={"deleted": "only"}).json()["items"]
    assert [x["id"] for x in listed] == [t["id"]]
    restored = client.post(f"/api/v1/tickets/{t['id']}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    history = client.get(f"/api/v1/tickets/{t['id']}/history").json()
    assert [h["action"] for h in history] == ["restore", "delete", "comment", "create"]
    assert history[-1]["changes"]["subject"] == [None, t["subject"]]
    assert history[2]["changes"]["status"] == ["new", "open"]  # the reply opened it


def test_ticket_custom_fields(client: TestClient) -> None:
    define_field(client, entity="ticket", key="severity", type="select",
                 options=["minor", "major"])
    t = make_ticket(client, custom_fields={"severity": "major"})
    assert t["custom_fields"] == {"severity": "major"}
    r = client.post("/api/v1/tickets", json={"subject": "x", "custom_fields": {"severity": "x"}})
    assert_problem(r, 422, "custom_fields.severity", "custom_field.invalid")
    r = client.post("/api/v1/tickets", json={"subject": "x", "custom_fields": {"nope": 1}})
    assert_problem(r, 422, "custom_fields.nope", "custom_field.unknown")


def test_filters_and_search(client: TestClient) -> None:
    company = make_company(client)
    alice = make_contact(client, company_id=company["id"])
    a = make_ticket(client, subject="Login fails", contact_id=alice["id"], priority="high",
                    tags=["auth"], category="Access")
    b = make_ticket(client, subject="Invoice copy", channel="phone")
    c = make_ticket(client, subject="Cannot login on mobile", priority="low")
    patch_ticket(client, c["id"], status="pending_customer")

    def ids(**params: object) -> list[str]:
        r = client.get("/api/v1/tickets", params=params)
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["items"]]

    assert ids(q="login") == [c["id"], a["id"]]
    assert ids(q="T-1002") == [b["id"]] and ids(q="#1002") == [b["id"]]
    assert ids(status="pending_customer") == [c["id"]]
    assert ids(status=["new", "pending_customer"], sort="number") == [a["id"], b["id"], c["id"]]
    assert ids(priority="high") == [a["id"]]
    assert ids(channel="phone") == [b["id"]]
    assert ids(tag="AUTH") == [a["id"]]
    assert ids(category="Access") == [a["id"]]
    assert ids(contact_id=alice["id"]) == [a["id"]]
    assert ids(company_id=company["id"]) == [a["id"]]  # taken from the contact
    assert ids(unassigned=True, sort="-number") == [c["id"], b["id"], a["id"]]
    assert_problem(client.get("/api/v1/tickets", params={"sort": "subject"}), 422, "sort")
    assert_problem(client.get("/api/v1/tickets", params={"queue": "everything"}), 422, "queue")
    assert_problem(client.get("/api/v1/tickets", params={"created_after": "2026-01-01T00:00"}),
                   422, "created_after")


def test_keyset_pages_and_fixed_query_count(client: TestClient, queries: object) -> None:
    made = [make_ticket(client, tags=[f"t{i % 3}"])["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 3, "sort": "number"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/tickets", params=params).json()
        seen += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == made
    counts = []
    for limit in (2, 7):
        queries.reset()  # type: ignore[attr-defined]
        r = client.get("/api/v1/tickets", params={"limit": limit})
        assert r.status_code == 200 and len(r.json()["items"]) == limit
        counts.append(queries.count)  # type: ignore[attr-defined]
    # the token, the page, its tags (one selectin load), whatever the page size
    assert counts[0] == counts[1] == 3, queries.statements  # type: ignore[attr-defined]
    queries.reset()  # type: ignore[attr-defined]
    assert client.get("/api/v1/tickets/queues").json()["unassigned"] == 7
    assert queries.count == 2  # type: ignore[attr-defined]


def test_an_email_subject_finds_its_ticket(client: TestClient, database: Database) -> None:
    from amity.tickets.queries import ticket_for_subject

    t = make_ticket(client)
    with database.transaction(write=False) as s:
        found = ticket_for_subject(s, f"RE: Fwd: [#{t['reference']}] {t['subject']}")
        assert found is not None and str(found.id) == t["id"]
        assert found.subject_tag == f"[#{t['reference']}]"
        assert ticket_for_subject(s, "[#T-999999] unknown") is None
        assert ticket_for_subject(s, "T-1001 without the tag") is None
