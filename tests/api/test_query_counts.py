"""A fixed number of SQL statements per request, whatever the page size or history length."""

from __future__ import annotations

import pytest

from tests.factories import make_company, make_contact

# Observed baselines, the same on SQLite and PostgreSQL: the token lookup, the page with its
# companies (joined), then one selectin load each for emails, phones and tags (a contact's
# company brief has no tags, so the companies' tags are not loaded).
LIST_QUERIES = 5
# The token, the contact and its four selectin loads (as above), the referrer's name and first
# email (one statement), the referrals, the latest notes and their count, and the purchase
# summary's three aggregates (spend per currency, per product, per category), and the service
# summary (tickets and satisfaction, one statement).
VIEW_360_QUERIES = 14
# The token, the page of companies and one selectin load of their tags.
COMPANY_LIST_QUERIES = 3


def _populate(client, n):
    companies = [make_company(client, name=f"Co {i}")["id"] for i in range(3)]
    items = [{"first_name": f"P{i}", "last_name": "Counted",
              "emails": [{"email": f"p{i}@example.com"}, {"email": f"p{i}@work.example"}],
              "phones": [{"number": f"+1 415 555 {i:04d}"}],
              "tags": ["t1", f"t{i % 4}"], "company_id": companies[i % 3]} for i in range(n)]
    r = client.post("/api/v1/contacts/bulk", json={"items": items})
    assert r.status_code == 201, r.text[:300]


def _count(client, queries, url, **params):
    queries.reset()
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    return queries.count, r.json()


@pytest.mark.parametrize("sort", ["-created_at", "name"])
def test_list_queries_do_not_grow_with_page_size(client, queries, sort):
    _populate(client, 60)
    small, body5 = _count(client, queries, "/api/v1/contacts", limit=5, sort=sort)
    large, body50 = _count(client, queries, "/api/v1/contacts", limit=50, sort=sort)
    assert len(body5["items"]) == 5 and len(body50["items"]) == 50
    assert all(c["emails"] and c["phones"] and c["tags"] and c["company"]
               for c in body50["items"])
    assert small == large == LIST_QUERIES, queries.statements
    nxt, _ = _count(client, queries, "/api/v1/contacts", limit=50, sort=sort,
                    cursor=body50["next_cursor"])
    assert nxt == LIST_QUERIES
    filtered, _ = _count(client, queries, "/api/v1/contacts", limit=50, sort=sort,
                         tag=["t1", "t2"], email="p2@example.com", lifecycle_stage="lead")
    assert filtered == LIST_QUERIES


def test_search_queries_do_not_grow_with_results(client, queries, backend):
    _populate(client, 60)
    few, r5 = _count(client, queries, "/api/v1/contacts", q="Counted", limit=5)
    many, r50 = _count(client, queries, "/api/v1/contacts", q="Counted", limit=50)
    assert len(r5["items"]) == 5 and len(r50["items"]) == 50
    assert few == many, queries.statements


def test_company_list_queries_do_not_grow_with_page_size(client, queries):
    for i in range(30):
        make_company(client, name=f"Firm {i:02d}", tags=["client", f"tier {i % 3}"])
    small, body5 = _count(client, queries, "/api/v1/companies", limit=5)
    large, body25 = _count(client, queries, "/api/v1/companies", limit=25)
    assert len(body5["items"]) == 5 and len(body25["items"]) == 25
    firm = next(c for c in body25["items"] if c["name"] == "Firm 04")
    assert firm["tags"] == ["client", "tier 1"]
    assert small == large == COMPANY_LIST_QUERIES, queries.statements


def _with_history(client, notes, referrals):
    comp = make_company(client)
    c = make_contact(client, company_id=comp["id"], emails=[{"email": "hub@example.com"}],
                     phones=[{"number": "+1 415 555 0100"}], tags=["hub"])
    if referrals:
        items = [{"first_name": f"R{i}", "referred_by_id": c["id"]} for i in range(referrals)]
        assert client.post("/api/v1/contacts/bulk", json={"items": items}).status_code == 201
    referrer = make_contact(client, first_name="Origin", last_name="")
    client.patch(f"/api/v1/contacts/{c['id']}", json={"referred_by_id": referrer["id"]})
    for i in range(notes):
        assert client.post(f"/api/v1/contacts/{c['id']}/notes",
                           json={"body": f"note {i}"}).status_code == 201
    return c["id"]


def test_360_queries_fixed(client, queries):
    quiet = _with_history(client, notes=0, referrals=0)
    busy = _with_history(client, notes=30, referrals=25)
    n_quiet, body_quiet = _count(client, queries, f"/api/v1/contacts/{quiet}/360")
    n_busy, body_busy = _count(client, queries, f"/api/v1/contacts/{busy}/360")
    assert body_quiet["notes_count"] == 0 and body_busy["notes_count"] == 30
    assert len(body_busy["referrals"]) == 25 and len(body_busy["timeline"]) == 20
    assert body_busy["referred_by"]["display_name"] == "Origin"
    assert n_quiet == n_busy == VIEW_360_QUERIES, queries.statements
