"""Optimistic concurrency: ETag/If-Match and body ``version``; real concurrent writers."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.factories import assert_problem, make_company, make_contact


def test_two_writers_with_if_match(client):
    c = make_contact(client, first_name="Orig")
    url = f"/api/v1/contacts/{c['id']}"
    etag_a = client.get(url).headers["etag"]
    etag_b = client.get(url).headers["etag"]
    assert etag_a == etag_b == '"v1"'

    first = client.patch(url, json={"first_name": "Alice"}, headers={"If-Match": etag_a})
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"v2"'
    second = client.patch(url, json={"last_name": "Bob"}, headers={"If-Match": etag_b})
    assert_problem(second, 412, field="version", code="version.stale")

    now = client.get(url)
    assert now.headers["etag"] == '"v2"'
    assert now.json()["first_name"] == "Alice"
    assert now.json()["last_name"] == c["last_name"]  # the stale change was not applied
    assert [h["action"] for h in client.get(f"{url}/history").json()] == ["update", "create"]
    # the weak form and a bare number are accepted too; '*' means "whatever is there"
    assert client.patch(url, json={"nickname": "A"}, headers={"If-Match": 'W/"v2"'}
                        ).status_code == 200
    assert client.patch(url, json={"nickname": "B"}, headers={"If-Match": "3"}).status_code == 200
    assert client.patch(url, json={"nickname": "C"}, headers={"If-Match": "*"}).status_code == 200
    assert client.get(url).headers["etag"] == '"v5"'


def test_two_writers_with_body_version(client):
    c = make_contact(client, first_name="Orig")
    url = f"/api/v1/contacts/{c['id']}"
    assert client.patch(url, json={"first_name": "One", "version": 1}).status_code == 200
    assert_problem(client.patch(url, json={"first_name": "Two", "version": 1}), 412)
    assert client.get(url).json()["first_name"] == "One"
    # the body version wins over If-Match when both are sent
    assert_problem(client.patch(url, json={"first_name": "Three", "version": 1},
                                headers={"If-Match": '"v2"'}), 412)
    assert client.patch(url, json={"first_name": "Four", "version": 2},
                        headers={"If-Match": '"v1"'}).status_code == 200


def test_stale_delete_is_412(client):
    c = make_contact(client)
    url = f"/api/v1/contacts/{c['id']}"
    client.patch(url, json={"nickname": "x"})
    assert_problem(client.delete(url, headers={"If-Match": '"v1"'}), 412)
    assert client.get(url).status_code == 200
    assert client.delete(url, headers={"If-Match": '"v2"'}).status_code == 204


def test_notes_and_companies_honour_if_match(client):
    comp = make_company(client)
    url = f"/api/v1/companies/{comp['id']}"
    assert client.patch(url, json={"industry": "A", "version": 1}).status_code == 200
    assert_problem(client.patch(url, json={"industry": "B", "version": 1}), 412)
    c = make_contact(client)
    note = client.post(f"/api/v1/contacts/{c['id']}/notes", json={"body": "hi"}).json()
    nurl = f"/api/v1/notes/{note['id']}"
    assert client.patch(nurl, json={"body": "one"}, headers={"If-Match": '"v1"'}
                        ).status_code == 200
    assert_problem(client.patch(nurl, json={"body": "two"}, headers={"If-Match": '"v1"'}), 412)
    assert client.get(nurl).json()["body"] == "one"


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_patches_exactly_one_wins(app, database, admin_user, client, round_):
    """Two requests in flight at once with the same If-Match: one 200, one 412.

    A listener holds each request for a moment right after it has read the contact, so both
    have read version 1 before either writes (on PostgreSQL both then race to the UPDATE; on
    SQLite the write transactions queue on the database lock).
    """
    c = make_contact(client, first_name="Orig")
    url = f"/api/v1/contacts/{c['id']}"
    token = admin_user[1]

    paused: list[str] = []

    def _pause(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM contacts" in statement \
                and "contacts.id = " in statement:
            paused.append(statement)
            time.sleep(0.15)

    event.listen(database.engine, "after_cursor_execute", _pause)
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def writer(name: str) -> None:
        with TestClient(app) as tc:
            barrier.wait()
            results[name] = tc.patch(url, json={"first_name": name},
                                     headers={"If-Match": '"v1"',
                                              "Authorization": f"Bearer {token}"})

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("Alice", "Bob")]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        event.remove(database.engine, "after_cursor_execute", _pause)
    assert len(paused) >= 2  # both requests read the contact under the pause
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200, 412], {k: (r.status_code, r.text) for k, r in results.items()}
    winner = next(k for k, r in results.items() if r.status_code == 200)
    loser = next(k for k, r in results.items() if r.status_code == 412)
    assert_problem(results[loser], 412, code="version.stale")
    final = client.get(url)
    assert final.headers["etag"] == '"v2"'
    assert final.json()["first_name"] == winner
    history = client.get(f"{url}/history").json()
    assert [h["action"] for h in history] == ["update", "create"]
    assert history[0]["changes"]["first_name"] == ["Orig", winner]
