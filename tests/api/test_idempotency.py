"""POST with Idempotency-Key: a retry makes one record and gets the first answer."""

from __future__ import annotations

from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.events import EventRecord
from amity.notes.models import Note
from tests.conftest import make_user
from tests.factories import assert_problem, count, make_contact

BODY = {"first_name": "Retry", "last_name": "Me", "emails": [{"email": "retry@example.com"}]}


def test_same_key_same_body_replays(client, database):
    h = {"Idempotency-Key": "abc-123"}
    r1 = client.post("/api/v1/contacts", json=BODY, headers=h)
    r2 = client.post("/api/v1/contacts", json=BODY, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.json() == r2.json()
    assert "idempotent-replayed" not in r1.headers
    assert r2.headers["idempotent-replayed"] == "true"
    assert count(database, Contact) == 1
    assert count(database, EventRecord) == 1


def test_same_key_different_body_is_422(client, database):
    h = {"Idempotency-Key": "abc-123"}
    assert client.post("/api/v1/contacts", json=BODY, headers=h).status_code == 201
    r = client.post("/api/v1/contacts", json={**BODY, "first_name": "Other"}, headers=h)
    assert_problem(r, 422, field="Idempotency-Key", code="idempotency_key.reused")
    assert count(database, Contact) == 1


def test_no_key_makes_two(client, database):
    a = client.post("/api/v1/contacts", json=BODY)
    b = client.post("/api/v1/contacts", json=BODY)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert count(database, Contact) == 2


def test_keys_are_per_user_and_per_route(client, app, database):
    h = {"Idempotency-Key": "shared"}
    assert client.post("/api/v1/contacts", json=BODY, headers=h).status_code == 201
    _, token = make_user(database)
    other = client.post("/api/v1/contacts", json=BODY,
                        headers={**h, "Authorization": f"Bearer {token}"})
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    assert count(database, Contact) == 2
    # the same key on another route is another request
    assert_problem(client.post("/api/v1/companies", json={"name": "X"}, headers=h), 422,
                   field="Idempotency-Key")
    assert count(database, Company) == 0


def test_failed_create_does_not_burn_the_key(client, database):
    h = {"Idempotency-Key": "k1"}
    bad = client.post("/api/v1/contacts", json={**BODY, "emails": [{"email": "nope"}]},
                      headers=h)
    assert_problem(bad, 422, field="emails.0.email")
    # the failed request stored nothing: the corrected body under the same key is accepted
    ok = client.post("/api/v1/contacts", json=BODY, headers=h)
    assert ok.status_code == 201 and "idempotent-replayed" not in ok.headers
    assert count(database, Contact) == 1


def test_key_too_long(client, database):
    assert_problem(client.post("/api/v1/contacts", json=BODY,
                               headers={"Idempotency-Key": "x" * 201}), 422,
                   field="Idempotency-Key")
    assert count(database, Contact) == 0


def test_idempotent_note_and_bulk(client, database):
    c = make_contact(client)
    h = {"Idempotency-Key": "note-1"}
    url = f"/api/v1/contacts/{c['id']}/notes"
    n1 = client.post(url, json={"body": "Called"}, headers=h)
    n2 = client.post(url, json={"body": "Called"}, headers=h)
    assert n1.json() == n2.json() and n2.headers["idempotent-replayed"] == "true"
    assert count(database, Note) == 1
    items = {"items": [{"first_name": f"B{i}"} for i in range(3)]}
    b1 = client.post("/api/v1/contacts/bulk", json=items, headers={"Idempotency-Key": "bulk"})
    b2 = client.post("/api/v1/contacts/bulk", json=items, headers={"Idempotency-Key": "bulk"})
    assert b1.status_code == b2.status_code == 201 and b1.json() == b2.json()
    assert count(database, Contact) == 4
