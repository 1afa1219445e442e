"""The contact list's filters, sort and columns, saved views from the page, and bulk actions
(reviewed first, through the services, records the user may not edit reported not changed)."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core.audit import AuditEntry
from amity.core.db import Database
from tests.conftest import make_user
from tests.factories import make_company, make_contact
from tests.web.conftest import page_csrf, sign_in


def _names(page: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(
        r'<a href="/contacts/[0-9a-f-]{36}">([^<]*)</a>', page)]


def _world(client: TestClient) -> dict[str, Any]:
    acme = make_company(client, name="Acme")
    return {
        "acme": acme,
        "ada": make_contact(client, first_name="Ada", last_name="Lovelace",
                            lifecycle_stage="customer", tags=["vip"], company_id=acme["id"]),
        "bob": make_contact(client, first_name="Bob", last_name="Baker", lifecycle_stage="lead"),
        "cy": make_contact(client, first_name="Cy", last_name="Cole", lifecycle_stage="customer",
                           company_id=acme["id"]),
    }


def test_filters_sort_and_columns(signed_in: TestClient, client: TestClient,
                                  web_user: User) -> None:
    w = _world(client)
    assert _names(signed_in.get("/contacts").text) == ["Bob Baker", "Cy Cole", "Ada Lovelace"]
    page = signed_in.get("/contacts", params={"stage": "customer"}).text
    assert _names(page) == ["Cy Cole", "Ada Lovelace"]
    assert _names(signed_in.get("/contacts", params={"tag": "VIP"}).text) == ["Ada Lovelace"]
    page = signed_in.get("/contacts", params={"company": w["acme"]["id"], "sort": "-name"}).text
    assert _names(page) == ["Ada Lovelace", "Cy Cole"] and "Company: <strong>Acme" in page
    assert _names(signed_in.get("/contacts", params={"created_to": "2000-01-01"}).text) == []
    assert len(_names(signed_in.get("/contacts", params={"created_from": "2000-01-01"}).text)) == 3
    page = signed_in.get("/contacts", params={"stage": "customer", "tag": "vip"}).text
    link = re.search(r'href="(/contacts/export[^"]*)"', page)
    assert link, "no Export link"
    export = html.unescape(link.group(1))
    assert export == "/contacts/export?format=csv&stage=customer&tag=vip"
    rows = signed_in.get(export).text.strip().splitlines()
    assert len(rows) == 2 and "Lovelace" in rows[1]  # the header and Ada only
    page = signed_in.get("/contacts", params={"cols": ["owner", "created"]}).text
    assert ">Owner</th>" in page and ">Added</th>" in page and ">Stage</th>" not in page
    assert 'data-label="Owner">Test User' in page or f'data-label="Owner">{web_user.name}' in page


def test_bad_filters_are_4xx(signed_in: TestClient) -> None:
    for params in ({"stage": "king"}, {"sort": "salary"}, {"owner": "not-an-id"},
                   {"cols": "password"}, {"created_from": "yesterday"},
                   {"created_from": "2026-02-01", "created_to": "2026-01-01"}):
        r = signed_in.get("/contacts", params=params)
        assert r.status_code == 422, (params, r.status_code)


def test_list_query_count_does_not_grow_with_rows(signed_in: TestClient, client: TestClient,
                                                  queries: Any) -> None:
    _world(client)
    params = {"cols": ["company", "stage", "reach", "tags", "owner", "created"]}
    signed_in.get("/contacts", params=params)
    queries.reset()
    assert signed_in.get("/contacts", params=params).status_code == 200
    few = queries.count
    for i in range(8):
        make_contact(client, first_name=f"N{i}", last_name="More", tags=[f"t{i}"],
                     company_id=make_company(client, name=f"Co {i}")["id"],
                     emails=[{"email": f"n{i}@example.com"}])
    queries.reset()
    page = signed_in.get("/contacts", params=params).text
    assert len(_names(page)) == 11
    assert queries.count == few, queries.statements


def test_save_apply_and_delete_a_view(signed_in: TestClient, client: TestClient) -> None:
    _world(client)
    csrf = page_csrf(signed_in)
    r = signed_in.post("/contacts/views", data={
        "csrf_token": csrf, "name": "Customers", "visibility": "everyone",
        "query": "stage=customer&sort=-name&cols=owner"})
    assert r.status_code == 303
    target = r.headers["location"]
    assert "stage=customer" in target and "view=" in target
    page = signed_in.get(target).text
    assert "Saved the view “Customers”." in page  # the flash, once
    assert _names(page) == ["Ada Lovelace", "Cy Cole"] and ">Owner</th>" in page
    assert re.search(r'<a href="/contacts\?[^"]*view=[0-9a-f-]+" aria-current="page"', page)
    assert "Saved the view" not in signed_in.get("/contacts").text
    views = client.get("/api/v1/views").json()
    assert [v["name"] for v in views] == ["Customers"]
    assert views[0]["params"]["lifecycle_stage"] == ["customer"]
    bad = signed_in.post("/contacts/views", data={"csrf_token": csrf, "name": "",
                                                  "query": "stage=customer"})
    assert "The view was not saved" in signed_in.get(bad.headers["location"]).text
    r = signed_in.post(f"/contacts/views/{views[0]['id']}/delete", data={"csrf_token": csrf})
    assert r.status_code == 303 and client.get("/api/v1/views").json() == []


def test_bulk_tag_is_reviewed_then_applied_and_audited(signed_in: TestClient,
                                                       client: TestClient,
                                                       database: Database) -> None:
    w = _world(client)
    csrf = page_csrf(signed_in)
    review = signed_in.post("/contacts/bulk", data={
        "csrf_token": csrf, "action": "tag", "tag": "gold", "query": "stage=customer",
        "all_matching": "1"})
    assert review.status_code == 200
    assert "This will change <strong>2</strong> contacts" in review.text
    with database.transaction() as s:  # reviewing changes nothing
        assert not any(t.name == "gold" for c in s.scalars(select(Contact)) for t in c.tags)
    ids = re.findall(r'name="ids" value="([^"]+)"', review.text)
    assert sorted(ids) == sorted([w["ada"]["id"], w["cy"]["id"]])
    done = signed_in.post("/contacts/bulk/apply", data={
        "csrf_token": csrf, "action": "tag", "tag": "gold", "query": "stage=customer",
        "ids": ids})
    assert done.status_code == 303
    assert "Tagged 2 contacts." in signed_in.get(done.headers["location"]).text
    assert _names(signed_in.get("/contacts", params={"tag": "gold"}).text) == [
        "Cy Cole", "Ada Lovelace"]
    assert "vip" in client.get(f"/api/v1/contacts/{w['ada']['id']}").json()["tags"]
    with database.transaction() as s:
        updates = s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "contact",
                                                     AuditEntry.action == "update")).all()
    assert {str(e.entity_id) for e in updates} == set(ids)


def test_bulk_respects_edit_access(client: TestClient, web: TestClient,
                                   database: Database) -> None:
    w = _world(client)  # owned by the administrator
    rep, _ = make_user(database, email="rep@example.com")
    assert sign_in(web, rep.email).status_code == 303
    mine = web.post("/contacts", data={"csrf_token": page_csrf(web, "/contacts/new"),
                                       "first_name": "Rita", "last_name": "Rep"})
    assert mine.status_code == 303
    mine_id = mine.headers["location"].rsplit("/", 1)[1]
    with database.transaction() as s:  # the rep sees the admin's contacts through a team
        from amity.auth.models import Team
        s.add(Team(name="Shop", members=[s.get(User, rep.id),
                                         *s.scalars(select(User).where(User.is_admin))]))
    csrf = page_csrf(web)
    review = web.post("/contacts/bulk", data={
        "csrf_token": csrf, "action": "delete", "ids": [w["ada"]["id"], mine_id]})
    assert review.status_code == 200
    assert "This will change <strong>1</strong> contact:" in review.text
    assert "1 selected contact is not yours to change" in review.text
    done = web.post("/contacts/bulk/apply", data={
        "csrf_token": csrf, "action": "delete", "ids": [w["ada"]["id"], mine_id]})
    message = web.get(done.headers["location"]).text
    assert "Deleted 1 contact." in message and "Ada Lovelace" in message
    assert client.get(f"/api/v1/contacts/{w['ada']['id']}").status_code == 200
    assert client.get(f"/api/v1/contacts/{mine_id}").status_code == 404


def test_bulk_bad_input_changes_nothing(signed_in: TestClient, client: TestClient) -> None:
    w = _world(client)
    csrf = page_csrf(signed_in)
    assert signed_in.post("/contacts/bulk", data={"csrf_token": csrf, "action": "tag",
                                                  "tag": "x"}).status_code == 422
    assert signed_in.post("/contacts/bulk", data={"csrf_token": csrf, "action": "explode",
                                                  "ids": [w["ada"]["id"]]}).status_code == 422
    assert signed_in.post("/contacts/bulk", data={"csrf_token": csrf, "action": "tag",
                                                  "ids": [w["ada"]["id"]]}).status_code == 422
    assert signed_in.post("/contacts/bulk", data={"action": "delete",
                                                  "ids": [w["ada"]["id"]]}).status_code == 403
    r = signed_in.post("/contacts/bulk/apply", data={"csrf_token": csrf, "action": "tag",
                                                     "tag": "x" * 81, "ids": [w["ada"]["id"]]})
    assert "Nothing was changed" in signed_in.get(r.headers["location"]).text
    assert client.get(f"/api/v1/contacts/{w['ada']['id']}").json()["tags"] == ["vip"]


def test_history_tab_lists_changes_with_sensitive_values_masked(
        signed_in: TestClient, client: TestClient, web: TestClient, database: Database) -> None:
    ada = make_contact(client, first_name="Ada", last_name="Lovelace",
                       personal_notes="Allergic to nuts")
    client.patch(f"/api/v1/contacts/{ada['id']}", json={"job_title": "Countess <b>",
                                                       "personal_notes": "Likes tea"})
    page = signed_in.get(f"/contacts/{ada['id']}").text
    assert f'hx-get="/contacts/{ada["id"]}/history"' in page
    part = signed_in.get(f"/contacts/{ada['id']}/history", headers={"HX-Request": "true"})
    assert part.status_code == 200 and "<html" not in part.text
    assert "Update" in part.text and "Create" in part.text
    assert "Countess &lt;b&gt;" in part.text and "Countess <b>" not in part.text
    full = signed_in.get(f"/contacts/{ada['id']}/history")
    assert "<html" in full.text and "job title" in full.text
    # a reader without the sensitive-fields right sees that personal notes changed, not how
    signed_in.cookies.clear()
    rep, _ = make_user(database, email="rep@example.com")  # a sales rep: no sensitive fields
    with database.transaction() as s:
        from amity.auth.models import Team
        s.add(Team(name="Shop", members=[s.get(User, rep.id),
                                         *s.scalars(select(User).where(User.is_admin))]))
    assert sign_in(web, "rep@example.com").status_code == 303
    masked = web.get(f"/contacts/{ada['id']}/history", headers={"HX-Request": "true"}).text
    assert "personal notes" in masked and "Likes tea" not in masked and "***" in masked
    assert web.get("/contacts/00000000-0000-0000-0000-000000000000/history").status_code == 404
