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


def test_nul_characters_in_a_body_are_422_and_store_nothing(client):
    before = client.get("/api/v1/pipelines").json()
    body = {"name": "Renewals", "stages": [{"name": "\x00Signed", "kind": "won"},
                                           {"name": "Open", "probability": 10},
                                           {"name": "Dropped", "kind": "lost"}]}
    r = client.post("/api/v1/pipelines", json=body)
    assert_problem(r, 422)
    assert "NUL" in r.text
    assert client.get("/api/v1/pipelines").json() == before
    r = client.post("/api/v1/contacts", json={"first_name": "Ada", "custom_fields": {
        "note\x00": "x"}})
    assert_problem(r, 422)
    assert client.get("/api/v1/contacts").json()["items"] == []
