"""Errors outside the domain layer are problem+json too, with the headers HTTP requires."""

from __future__ import annotations

from tests.factories import assert_problem


def test_method_not_allowed_keeps_allow_header(client):
    r = client.put("/api/v1/contacts/bulk", json={})
    assert_problem(r, 405, code="method_not_allowed")
    assert r.headers["allow"] == "POST"


def test_unreadable_body_is_400_problem(client):
    r = client.post("/api/v1/contacts", content=b"\xff\xfe\x00garbage",
                    headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    assert_problem(r, r.status_code)


def test_unknown_path_is_404_problem(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404, code="not_found")
