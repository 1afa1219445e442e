"""Semantic search over notes and interactions: the embedding job stores one vector per text,
a question finds what is about it by meaning (not by shared words), the reader's scope
applies, and without the model (or before anything is indexed) keywords answer instead."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.config import Settings
from amity.core.db import Database
from amity.jobs.worker import run_until_idle
from amity.semantic import encoder
from amity.semantic.index import pending_count, refresh_embeddings
from amity.semantic.models import TextEmbedding
from amity.semantic.search import keywords
from tests.conftest import make_user
from tests.factories import assert_problem, make_contact

NOTES = {
    "married": "My daughter is getting married in June, she asked about table decorations",
    "invoice": "Called about invoice 2231: the payment is late again",
    "toner": "Asked for a quote on printer toner cartridges",
    "broken": "Complained that the delivery arrived broken",
    "venue": "Talked about the wedding venue booking for next year",
}

needs_model = pytest.mark.skipif(not encoder.available(),
                                 reason="the semantic extra is not installed")


def _seed(client: TestClient) -> dict[str, str]:
    anna = make_contact(client, first_name="Anna", last_name="Berg")
    bob = make_contact(client, first_name="Bob", last_name="Crane")
    ids = {}
    for key, body in NOTES.items():
        if key == "venue":
            continue
        r = client.post(f"/api/v1/contacts/{anna['id'] if key == 'married' else bob['id']}"
                        "/notes", json={"body": body})
        assert r.status_code == 201, r.text
        ids[key] = r.json()["id"]
    r = client.post("/api/v1/interactions", json={
        "channel": "call", "subject": "Follow-up call", "body": NOTES["venue"],
        "participants": [{"contact_id": bob["id"], "role": "to"}]})
    assert r.status_code == 201, r.text
    ids["venue"] = r.json()["id"]
    ids["anna"], ids["bob"] = anna["id"], bob["id"]
    return ids


def _search(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/api/v1/search/semantic", params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


@needs_model
def test_wedding_finds_the_marriage_note_and_not_unrelated_ones(
        client: TestClient, database: Database, settings: Settings) -> None:
    ids = _seed(client)
    before = _search(client, q="wedding")
    assert before["mode"] == "keyword" and "indexed" in before["reason"]
    assert [h["id"] for h in before["hits"]] == [ids["venue"]]  # only the shared word
    r = client.post("/api/v1/search/semantic/index")
    assert r.status_code == 202
    run_until_idle(database, settings)
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(TextEmbedding)) == 5
        assert pending_count(s) == 0
    found = _search(client, q="who mentioned a wedding?")
    assert found["mode"] == "semantic" and found["model"] == encoder.MODEL_NAME
    hit_ids = [h["id"] for h in found["hits"]]
    assert ids["married"] in hit_ids and ids["venue"] in hit_ids
    for unrelated in ("invoice", "toner", "broken"):
        assert ids[unrelated] not in hit_ids
    married = next(h for h in found["hits"] if h["id"] == ids["married"])
    assert married["kind"] == "note" and married["about"] == "Anna Berg"
    assert married["url"] == f"/contacts/{ids['anna']}" and married["score"] >= 0.3
    venue = next(h for h in found["hits"] if h["id"] == ids["venue"])
    assert venue["kind"] == "interaction" and venue["url"] == f"/contacts/{ids['bob']}"
    damaged = _search(client, q="damaged shipment")
    assert [h["id"] for h in damaged["hits"]][:1] == [ids["broken"]]


@needs_model
def test_edits_and_deletions_reach_the_index(client: TestClient, database: Database) -> None:
    ids = _seed(client)
    with database.transaction() as s:
        assert refresh_embeddings(s).embedded == 5
    with database.transaction() as s:
        assert refresh_embeddings(s).embedded == 0  # idempotent
    note = client.get(f"/api/v1/notes/{ids['toner']}").json()
    r = client.patch(f"/api/v1/notes/{ids['toner']}",
                     json={"body": "Her son's wedding is in May", "version": note["version"]})
    assert r.status_code == 200, r.text
    assert client.delete(f"/api/v1/notes/{ids['married']}").status_code == 204
    with database.transaction() as s:
        assert pending_count(s) == 1
        result = refresh_embeddings(s)
    assert (result.embedded, result.removed) == (1, 1)
    hit_ids = [h["id"] for h in _search(client, q="wedding")["hits"]]
    assert ids["toner"] in hit_ids and ids["married"] not in hit_ids


@needs_model
def test_a_reader_sees_only_the_notes_they_may_see(client: TestClient, app: Any,
                                                   database: Database) -> None:
    ids = _seed(client)
    with database.transaction() as s:
        refresh_embeddings(s)
    _, token = make_user(database)  # the default role: own records only
    with TestClient(app) as other:
        other.headers["Authorization"] = f"Bearer {token}"
        r = other.get("/api/v1/search/semantic", params={"q": "wedding"})
    assert r.status_code in (200, 403), r.text
    if r.status_code == 200:
        assert ids["married"] not in [h["id"] for h in r.json()["hits"]]


def test_keyword_fallback_without_the_model(client: TestClient, database: Database,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _seed(client)
    with database.transaction() as s:
        refresh_embeddings(s)
    monkeypatch.setattr(encoder, "available", lambda: False)
    found = _search(client, q="Who mentioned weddings?")
    assert found["mode"] == "keyword" and "not installed" in found["reason"]
    assert [h["id"] for h in found["hits"]] == [ids["venue"]]
    assert found["hits"][0]["score"] is None
    asked = _search(client, q="invoice payment", mode="keyword")
    assert asked["mode"] == "keyword" and asked["hits"][0]["id"] == ids["invoice"]
    assert _search(client, q="who is it")["hits"] == []  # only small words: nothing to match
    with database.transaction() as s:
        assert refresh_embeddings(s).embedded == 0  # the job does nothing without the model


def test_keywords_and_bad_input(client: TestClient) -> None:
    assert keywords("Who mentioned the WEDDINGS, again?") == ["wedding", "again"]
    empty = _search(client, q="")
    assert empty["hits"] == [] and empty["q"] == ""  # empty finds nothing (as global search)
    assert_problem(client.get("/api/v1/search/semantic", params={"q": "x" * 201}), 422)
    assert_problem(client.get("/api/v1/search/semantic",
                              params={"q": "x", "limit": 0}), 422)
    assert_problem(client.get("/api/v1/search/semantic",
                              params={"q": "x", "mode": "magic"}), 422)
