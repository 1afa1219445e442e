"""Company pages: the list (filters, sort, keyset pages, escaping) and the company page panels
(people, deals, orders, tickets, activity), scoped to the reader, in a fixed number of queries."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.commerce.support import make_order, make_product
from tests.conftest import make_user
from tests.deals.deal_support import make_deal
from tests.factories import make_company, make_contact
from tests.tickets.support import make_ticket
from tests.web.conftest import sign_in

XSS = "<script>alert(1)</script>"


def _names(page: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<a href="/companies/[0-9a-f-]+">([^<]*)</a>',
                                                 page)]


def test_list_filters_and_sorts(signed_in: TestClient, client: TestClient) -> None:
    make_company(client, name="Bakery One", industry="food", tags=["vip"])
    make_company(client, name="Anvil Works", industry="metal", domain="anvil.example")
    make_company(client, name="Crumbs", industry="food")
    assert _names(signed_in.get("/companies").text) == ["Anvil Works", "Bakery One", "Crumbs"]
    assert _names(signed_in.get("/companies", params={"sort": "-name"}).text) == [
        "Crumbs", "Bakery One", "Anvil Works"]
    assert _names(signed_in.get("/companies", params={"industry": "food"}).text) == [
        "Bakery One", "Crumbs"]
    assert _names(signed_in.get("/companies", params={"tag": "VIP"}).text) == ["Bakery One"]
    assert _names(signed_in.get("/companies", params={"q": "anvil.ex"}).text) == ["Anvil Works"]
    empty = signed_in.get("/companies", params={"q": "nothing-like-it"}).text
    assert "No companies match these filters" in empty
    # a filter change from the page is an HTMX request: rows only
    rows = signed_in.get("/companies", params={"industry": "metal"},
                         headers={"HX-Request": "true"}).text
    assert "<html" not in rows and _names(rows) == ["Anvil Works"]


def test_bad_sort_and_cursor_are_4xx(signed_in: TestClient) -> None:
    assert signed_in.get("/companies", params={"sort": "size"}).status_code == 422
    assert signed_in.get("/companies", params={"cursor": "garbage"}).status_code in (400, 422)


def test_load_more_keeps_filters(signed_in: TestClient, client: TestClient, app: Any) -> None:
    app.state.settings = app.state.settings.model_copy(update={"page_size_default": 2})
    for name in ("Ant", "Bee", "Cat", "Dog"):
        make_company(client, name=name, industry="zoo")
    make_company(client, name="Aardvark", industry="other")
    first = signed_in.get("/companies", params={"industry": "zoo"}).text
    assert _names(first) == ["Ant", "Bee"]
    match = re.search(r'hx-get="(/companies\?[^"]+)"', first)
    assert match, "no Load more"
    more = signed_in.get(html.unescape(match.group(1)), headers={"HX-Request": "true"}).text
    assert _names(more) == ["Cat", "Dog"]


def test_names_are_escaped(signed_in: TestClient, client: TestClient) -> None:
    company = make_company(client, name=XSS, description=XSS)
    for path in ("/companies", f"/companies/{company['id']}"):
        page = signed_in.get(path).text
        assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _busy_company(client: TestClient, people: int) -> dict[str, Any]:
    company = make_company(client, name="Busy Ltd", industry="retail", tags=["key"])
    product = make_product(client, name="Oven")
    for i in range(people):
        person = make_contact(client, first_name=f"P{i}", last_name="Busy",
                              company_id=company["id"], tags=["x"],
                              emails=[{"email": f"p{i}@busy.example"}])
        make_deal(client, name=f"Deal {i}", company_id=company["id"], contact_id=person["id"])
        make_order(client, person, {"product_id": product["id"], "quantity": "1"},
                   company_id=company["id"])
        make_ticket(client, subject=f"Ticket {i}", company_id=company["id"])
        r = client.post("/api/v1/interactions", json={
            "channel": "call", "direction": "outbound", "subject": f"Call {i}",
            "participants": [{"contact_id": person["id"], "role": "to"}]})
        assert r.status_code == 201, r.text
    return company


def test_company_page_panels_and_fixed_query_count(signed_in: TestClient, client: TestClient,
                                                   queries: Any) -> None:
    company = _busy_company(client, 1)
    queries.reset()
    page = signed_in.get(f"/companies/{company['id']}")
    one = queries.count
    assert page.status_code == 200
    text = page.text
    assert "Busy Ltd" in text and "P0 Busy" in text and "Deal 0" in text
    assert "Ticket 0" in text and "Oven" not in text  # orders show number, total, status
    assert re.search(r'id="orders-h">Orders <span class="count">1</span>', text)
    assert "Call 0" in text
    _busy_company_more(client, company, 4)
    queries.reset()
    text = signed_in.get(f"/companies/{company['id']}").text
    assert queries.count == one, queries.statements
    assert re.search(r'id="people-h">People <span class="count">5</span>', text)


def _busy_company_more(client: TestClient, company: dict[str, Any], n: int) -> None:
    product = make_product(client, name="Mixer")
    for i in range(1, n + 1):
        person = make_contact(client, first_name=f"P{i}", last_name="Busy",
                              company_id=company["id"])
        make_deal(client, name=f"Deal {i}", company_id=company["id"])
        make_order(client, person, {"product_id": product["id"], "quantity": "1"},
                   company_id=company["id"])
        make_ticket(client, subject=f"Ticket {i}", company_id=company["id"])


def test_company_page_shows_only_what_the_reader_may_see(client: TestClient, web: TestClient,
                                                        database: Database) -> None:
    company = _busy_company(client, 1)  # owned by the administrator
    rep, _ = make_user(database, email="rep@example.com")
    assert sign_in(web, rep.email).status_code == 303
    page = web.get(f"/companies/{company['id']}")
    assert page.status_code == 200  # a sales rep sees every company ...
    assert "P0 Busy" not in page.text and "Deal 0" not in page.text  # ... not others' people
    assert "Call 0" not in page.text
    assert web.get("/companies/00000000-0000-0000-0000-000000000000").status_code == 404
