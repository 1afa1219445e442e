"""Global search: API and pages, typo tolerance, record access, fixed query counts, escaping."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.conftest import make_user
from tests.deals.deal_support import make_deal
from tests.factories import assert_problem, make_company, make_contact
from tests.tickets.support import make_ticket

XSS = "<img src=x onerror=alert(1)>"


def _world(client: TestClient) -> dict[str, Any]:
    acme = make_company(client, name="Hopper Industries", domain="hopper.example")
    grace = make_contact(client, first_name="Grace", last_name="Hopper",
                         company_id=acme["id"], emails=[{"email": "grace@example.com"}])
    make_contact(client, first_name="Linus", last_name="Baker")
    deal = make_deal(client, name="Hopper compiler licence", contact_id=grace["id"])
    ticket = make_ticket(client, subject="Hopper printer jam", contact_id=grace["id"])
    return {"company": acme, "contact": grace, "deal": deal, "ticket": ticket}


def test_api_groups_people_companies_deals_and_tickets(client: TestClient) -> None:
    w = _world(client)
    r = client.get("/api/v1/search", params={"q": "hopper"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [h["id"] for h in body["contacts"]] == [w["contact"]["id"]]
    assert [h["id"] for h in body["companies"]] == [w["company"]["id"]]
    assert [h["id"] for h in body["deals"]] == [w["deal"]["id"]]
    assert [h["id"] for h in body["tickets"]] == [w["ticket"]["id"]]
    assert body["contacts"][0]["url"] == f"/contacts/{w['contact']['id']}"
    assert body["tickets"][0]["url"].startswith("/tickets/T-")


def test_misspelled_name_finds_the_person(client: TestClient) -> None:
    w = _world(client)
    body = client.get("/api/v1/search", params={"q": "Grcae Hoper"}).json()
    assert w["contact"]["id"] in [h["id"] for h in body["contacts"]]


def test_ticket_number_and_single_group(client: TestClient) -> None:
    w = _world(client)
    ref = f"T-{w['ticket']['number']}"
    body = client.get("/api/v1/search", params={"q": ref, "group": "tickets"}).json()
    assert [h["id"] for h in body["tickets"]] == [w["ticket"]["id"]]
    assert body["contacts"] == [] and body["deals"] == []


def test_bad_input_is_a_422_problem(client: TestClient) -> None:
    empty = client.get("/api/v1/search", params={"q": "  "})
    assert empty.status_code == 200 and empty.json()["contacts"] == []
    assert_problem(client.get("/api/v1/search", params={"q": "x" * 201}), 422)
    assert_problem(client.get("/api/v1/search", params={"q": "a", "group": "users"}), 422)
    assert_problem(client.get("/api/v1/search", params={"q": "a", "limit": 0}), 422)


def test_search_respects_record_access(client: TestClient, anon: TestClient,
                                       database: Database) -> None:
    _world(client)  # everything owned by the administrator
    _, token = make_user(database)  # a sales rep in no team: own records only
    rep = {"Authorization": f"Bearer {token}"}
    mine = anon.post("/api/v1/contacts", json={"first_name": "Hopper", "last_name": "Junior"},
                     headers=rep).json()
    body = anon.get("/api/v1/search", params={"q": "hopper"}, headers=rep).json()
    assert [h["id"] for h in body["contacts"]] == [mine["id"]]
    assert body["deals"] == [] and body["tickets"] == []
    # companies.view is "all" for a sales rep
    assert len(body["companies"]) == 1


def test_query_count_does_not_grow_with_hits(client: TestClient, queries: Any) -> None:
    _world(client)

    def cost() -> int:
        queries.reset()
        r = client.get("/api/v1/search", params={"q": "hopper", "limit": 10})
        assert r.status_code == 200
        return int(queries.count)

    few = cost()
    for i in range(6):
        company = make_company(client, name=f"Hopper Branch {i}")
        make_contact(client, first_name="Ann", last_name=f"Hopper{i}", company_id=company["id"],
                     tags=["t"], emails=[{"email": f"ann{i}@example.com"}])
        make_deal(client, name=f"Hopper deal {i}")
        make_ticket(client, subject=f"Hopper ticket {i}")
    assert cost() == few, queries.statements


def test_suggestions_and_page_escape_and_link(signed_in: TestClient, client: TestClient) -> None:
    w = _world(client)
    make_contact(client, first_name=XSS, last_name="Hopper")
    r = signed_in.get("/search/suggest", params={"q": "hopper"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert 'role="option"' in r.text and f'data-url="/contacts/{w["contact"]["id"]}"' in r.text
    assert XSS not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text
    assert "People" in r.text and "Companies" in r.text and "Tickets" in r.text
    page = signed_in.get("/search", params={"q": "hopper"})
    assert page.status_code == 200 and XSS not in page.text
    assert f'href="/deals/{w["deal"]["id"]}"' in page.text
    assert "Nothing matches" in signed_in.get("/search", params={"q": "zzqqxx"}).text
    assert signed_in.get("/search/suggest", params={"q": ""}).text.strip() == ""


def test_search_page_needs_sign_in(web: TestClient) -> None:
    r = web.get("/search", params={"q": "a"})
    assert r.status_code in (302, 303) and "/login" in r.headers["location"]
