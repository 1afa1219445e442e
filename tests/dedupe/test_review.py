"""Suggestions through the API (scan job, list, filters, pages, dismiss, access), the review and
merge screens, and the ``amity duplicates`` command."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from amity.cli_dedupe import duplicates_app
from amity.config import Settings, get_settings
from amity.core.db import Database
from amity.dedupe.models import DuplicateSuggestion
from amity.jobs.worker import run_until_idle
from tests.conftest import make_user
from tests.factories import assert_problem, make_contact
from tests.web.conftest import csrf_of, sign_in


def _people(client: TestClient) -> list[dict[str, Any]]:
    """Two pairs of likely duplicates and one person on their own."""
    return [
        make_contact(client, first_name="Grace", last_name="Hopper",
                     emails=[{"email": "grace@navy.example"}]),
        make_contact(client, first_name="Grace", last_name="Hoper",
                     emails=[{"email": "GRACE@navy.example"}]),
        make_contact(client, first_name="Alan", last_name="Turing",
                     phones=[{"number": "+44 20 7946 0111"}],
                     addresses=[{"city": "Wilmslow", "postal_code": "SK9 1AA"}]),
        make_contact(client, first_name="Alan M.", last_name="Turing",
                     phones=[{"number": "+442079460111"}],
                     addresses=[{"city": "Wilmslow", "postal_code": "SK9 1AA"}]),
        make_contact(client, first_name="Edsger", last_name="Dijkstra"),
    ]


def _scan(client: TestClient, database: Database, settings: Settings) -> None:
    r = client.post("/api/v1/duplicates/scan", json={"entity": "contact"})
    assert r.status_code == 202, r.text
    run_until_idle(database, settings)


def test_scan_list_filter_page_and_dismiss(client: TestClient, database: Database,
                                           settings: Settings) -> None:
    people = _people(client)
    _scan(client, database, settings)
    items = client.get("/api/v1/duplicates").json()["items"]
    pairs = {frozenset((i["a_id"], i["b_id"])) for i in items}
    assert pairs == {frozenset((people[0]["id"], people[1]["id"])),
                     frozenset((people[2]["id"], people[3]["id"]))}
    grace = next(i for i in items if people[0]["id"] in (i["a_id"], i["b_id"]))
    assert "same email" in grace["reasons"] and grace["score"] >= 60
    assert {grace["a"]["name"], grace["b"]["name"]} == {"Grace Hopper", "Grace Hoper"}
    alan = next(i for i in items if i is not grace)
    assert "same phone" in alan["reasons"] and "same postcode" in alan["reasons"]

    only = client.get("/api/v1/duplicates", params={"record_id": people[2]["id"]}).json()
    assert [i["id"] for i in only["items"]] == [alan["id"]]
    first = client.get("/api/v1/duplicates", params={"limit": 1}).json()
    second = client.get("/api/v1/duplicates", params={"limit": 1,
                                                      "cursor": first["next_cursor"]}).json()
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [i["id"] for i in items]
    assert second["next_cursor"] is None
    assert_problem(client.get("/api/v1/duplicates", params={"cursor": "garbage"}), 422,
                   "cursor")
    assert_problem(client.get("/api/v1/duplicates", params={"min_score": 101}), 422)

    r = client.post(f"/api/v1/duplicates/{grace['id']}/dismiss")
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    _scan(client, database, settings)  # a dismissed pair stays dismissed
    assert [i["id"] for i in client.get("/api/v1/duplicates").json()["items"]] == [alan["id"]]
    dismissed = client.get("/api/v1/duplicates", params={"status": "dismissed"}).json()
    assert [i["id"] for i in dismissed["items"]] == [grace["id"]]

    # a record that changes so that it no longer looks like its twin drops out
    r = client.patch(f"/api/v1/contacts/{people[3]['id']}", json={
        "first_name": "Zed", "last_name": "Zimmer", "phones": [], "addresses": []})
    assert r.status_code == 200, r.text
    _scan(client, database, settings)
    assert client.get("/api/v1/duplicates").json()["items"] == []


def test_suggestions_follow_record_access(client: TestClient, app: Any,
                                          database: Database) -> None:
    """A sales rep (contacts: view team, edit and delete own) sees a pair only when both
    records are visible to them, and changes it only when both are theirs."""
    rep, token = make_user(database, email="rep@example.com")
    admin_id = client.get("/api/v1/users/me").json()["id"]
    a, b, c = (make_contact(client, first_name="Kim", last_name="Lee",
                            emails=[{"email": "kim@example.com"}], owner_id=owner)
               for owner in (str(rep.id), admin_id, str(rep.id)))
    ids = {}
    with database.transaction() as s:
        for name, (x, y) in {"hidden": (a, b), "own": (a, c)}.items():
            lo, hi = sorted((uuid.UUID(x["id"]), uuid.UUID(y["id"])))
            sugg = DuplicateSuggestion(entity="contact", a_id=lo, b_id=hi, score=99.0,
                                       reasons=["same email"], status="open")
            s.add(sugg)
            s.flush()
            ids[name] = str(sugg.id)
    with TestClient(app) as rep_client:
        rep_client.headers["Authorization"] = f"Bearer {token}"
        listed = rep_client.get("/api/v1/duplicates").json()["items"]
        assert [i["id"] for i in listed] == [ids["own"]]
        assert_problem(rep_client.get(f"/api/v1/duplicates/{ids['hidden']}"), 404)
        assert_problem(rep_client.post(f"/api/v1/duplicates/{ids['hidden']}/dismiss"), 404)
        assert_problem(rep_client.post("/api/v1/contacts/merge", json={
            "survivor_id": a["id"], "loser_ids": [b["id"]]}), 404)
        with database.transaction(write=False) as s:
            assert set(s.scalars(select(DuplicateSuggestion.status))) == {"open"}
        r = rep_client.post(f"/api/v1/duplicates/{ids['own']}/dismiss")
        assert r.status_code == 200 and r.json()["status"] == "dismissed"


@pytest.fixture
def web(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


def test_review_merge_and_undo_screens(client: TestClient, web: TestClient,
                                       database: Database, settings: Settings) -> None:
    people = _people(client)
    _scan(client, database, settings)
    assert sign_in(web, "admin@example.com").status_code == 303
    page = web.get("/duplicates").text
    assert "Grace Hoper" in page and "same email" in page and "Review and merge" in page
    grace = next(i for i in client.get("/api/v1/duplicates").json()["items"]
                 if "same email" in i["reasons"])
    link = web.get(f"/contacts/{people[0]['id']}/duplicates-link").text
    assert "1 possible duplicate" in link
    assert web.get(f"/contacts/{people[4]['id']}/duplicates-link").text.strip() == ""

    screen = web.get(f"/duplicates/{grace['id']}").text
    assert "Last name" in screen and "Hoper" in screen
    keep_b = "b" if grace["b_id"] == people[0]["id"] else "a"  # keep Hopper
    r = web.post(f"/duplicates/{grace['id']}/merge", data={
        "csrf_token": csrf_of(screen), "survivor": keep_b})
    assert r.status_code == 303, r.text
    done = web.get(r.headers["location"]).text
    assert "Records merged" in done
    assert client.get(f"/api/v1/contacts/{people[1]['id']}").status_code == 404
    r = web.post(r.headers["location"] + "/undo", data={"csrf_token": csrf_of(done)})
    assert r.status_code == 303 and r.headers["location"] == f"/contacts/{people[0]['id']}"
    assert client.get(f"/api/v1/contacts/{people[1]['id']}").status_code == 200

    screen = web.get(f"/duplicates/{grace['id']}").text
    r = web.post(f"/duplicates/{grace['id']}/dismiss", data={"csrf_token": csrf_of(screen)})
    assert r.status_code == 303
    assert "Grace Hoper" not in web.get("/duplicates").text


def test_cli_scan_and_list(client: TestClient, database: Database,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    _people(client)
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("AMITY_ENVIRONMENT", "test")
    get_settings.cache_clear()
    runner = CliRunner()
    r = runner.invoke(duplicates_app, ["scan", "--entity", "contact"])
    assert r.exit_code == 0, r.output
    assert "5 records, 2 likely duplicate pairs (2 new" in r.output
    r = runner.invoke(duplicates_app, ["list", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert len(rows) == 2 and {rows[0]["a_name"], rows[0]["b_name"]} <= {
        "Grace Hopper", "Grace Hoper", "Alan Turing", "Alan M. Turing"}
    r = runner.invoke(duplicates_app, ["scan", "--entity", "people"])
    assert r.exit_code == 2
    get_settings.cache_clear()


def test_company_scan_finds_the_same_company(client: TestClient, database: Database,
                                             settings: Settings) -> None:
    from tests.factories import make_company

    acme = make_company(client, name="ACME Ltd.", domain="acme.example")
    twin = make_company(client, name="Acme", domain="ACME.example")
    make_company(client, name="Initech", domain="initech.example")
    r = client.post("/api/v1/duplicates/scan", json={"entity": "company"})
    assert r.status_code == 202, r.text
    run_until_idle(database, settings)
    items = client.get("/api/v1/duplicates", params={"entity": "company"}).json()["items"]
    assert [{i["a_id"], i["b_id"]} for i in items] == [{acme["id"], twin["id"]}]
    assert "same domain" in items[0]["reasons"] and "same name" in items[0]["reasons"]
    assert client.get("/api/v1/duplicates").json()["items"] == []  # contacts: none
