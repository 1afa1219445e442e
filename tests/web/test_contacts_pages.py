"""Contact pages: list, live search partial, load more, create (422 inline), notes, escaping."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient

from amity.contacts.models import Contact, ContactEmail
from amity.core.db import Database
from amity.core.tags import Tag
from amity.notes.models import Note
from tests.factories import count, make_company, make_contact
from tests.web.conftest import page_csrf

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_NOTE = "<script>alert(1)</script>"


def _create(web: TestClient, **fields: str) -> Any:
    data = {"csrf_token": page_csrf(web, "/contacts/new"), **fields}
    return web.post("/contacts", data=data)


def test_home_redirects_to_contacts(signed_in: TestClient) -> None:
    r = signed_in.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/contacts"


def test_list_shows_name_company_stage_reach_and_tags(signed_in: TestClient,
                                                      client: TestClient) -> None:
    company = make_company(client, name="Crumb & Co")
    make_contact(client, first_name="Ada", last_name="Lovelace", company_id=company["id"],
                 lifecycle_stage="customer", emails=[{"email": "ada@example.com"}],
                 phones=[{"number": "+1 415 555 0100"}], tags=["vip", "gluten-free"])
    r = signed_in.get("/contacts")
    assert r.status_code == 200
    html = r.text
    for text in ("Ada Lovelace", "Crumb &amp; Co", "Customer", "ada@example.com",
                 "+14155550100", "vip", "gluten-free"):
        assert text in html, text
    assert 'hx-trigger="input changed delay:250ms' in html


def test_search_returns_a_partial_and_tolerates_typos(signed_in: TestClient,
                                                      client: TestClient) -> None:
    make_contact(client, first_name="Ada", last_name="Lovelace")
    make_contact(client, first_name="Grace", last_name="Hopper")
    r = signed_in.get("/contacts", params={"q": "lovelase"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text and "<tr" in r.text
    assert "Ada Lovelace" in r.text and "Grace Hopper" not in r.text
    assert r.headers["vary"].startswith("HX-Request")
    none = signed_in.get("/contacts", params={"q": "zzzzqqq"}, headers={"HX-Request": "true"})
    assert "No contacts match" in none.text


def test_search_without_htmx_or_on_history_restore_is_a_full_page(
        signed_in: TestClient, client: TestClient) -> None:
    make_contact(client, first_name="Ada", last_name="Lovelace")
    for headers in ({}, {"HX-Request": "true", "HX-History-Restore-Request": "true"}):
        r = signed_in.get("/contacts", params={"q": "Lovelace"}, headers=headers)
        assert "<html" in r.text and 'value="Lovelace"' in r.text and "Ada Lovelace" in r.text


def test_load_more_follows_next_cursor(signed_in: TestClient, client: TestClient,
                                       app: Any) -> None:
    app.state.settings = app.state.settings.model_copy(update={"page_size_default": 2})
    for last in ("Alpha", "Bravo", "Charlie"):
        make_contact(client, first_name="P", last_name=last)
    first = signed_in.get("/contacts").text
    assert "P Alpha" in first and "P Bravo" in first and "P Charlie" not in first
    match = re.search(r'hx-get="(/contacts\?cursor=[^"]+)"', first)
    assert match, "no Load more"
    more = signed_in.get(match.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert more.status_code == 200
    assert "P Charlie" in more.text and "P Alpha" not in more.text
    assert "Load more" not in more.text and "No contacts" not in more.text


def test_bad_cursor_is_a_4xx_page_not_a_crash(signed_in: TestClient) -> None:
    r = signed_in.get("/contacts", params={"cursor": "garbage"})
    assert 400 <= r.status_code < 500
    assert "<html" in r.text


def test_new_contact_form_creates_through_the_service(signed_in: TestClient,
                                                      database: Database) -> None:
    assert signed_in.get("/contacts/new").status_code == 200
    r = _create(signed_in, first_name="Ada", last_name="Lovelace", email="ADA@Example.com",
                phone="(415) 555-0100", lifecycle_stage="customer", tags="vip, baker, VIP",
                personal_notes="Allergic to nuts")
    assert r.status_code == 303
    page = signed_in.get(r.headers["location"])
    assert page.status_code == 200
    for text in ("Ada Lovelace", "ada@example.com", "+14155550100", "Customer", "vip", "baker",
                 "Allergic to nuts", "Owner: Test User"):
        assert text in page.text, text
    assert count(database, Contact) == 1 and count(database, Tag) == 2


def test_bad_email_is_422_inline_and_writes_nothing(signed_in: TestClient,
                                                    database: Database) -> None:
    r = _create(signed_in, first_name="Ada", email="not-an-email", tags="vip",
                personal_notes="keep me")
    assert r.status_code == 422
    assert 'id="email-error"' in r.text and 'aria-invalid="true"' in r.text
    assert 'value="not-an-email"' in r.text and "keep me" in r.text  # input kept
    assert "The contact was not saved" in r.text
    assert (count(database, Contact), count(database, ContactEmail), count(database, Tag)) == (
        0, 0, 0)


def test_bad_phone_is_422_on_the_phone_field(signed_in: TestClient, database: Database) -> None:
    r = _create(signed_in, first_name="Ada", phone="12")
    assert r.status_code == 422 and 'id="phone-error"' in r.text
    assert count(database, Contact) == 0


def test_contact_without_identity_is_a_form_level_error(signed_in: TestClient,
                                                        database: Database) -> None:
    r = _create(signed_in, personal_notes="who?")
    assert r.status_code == 422
    assert "a contact needs a name, an email or a phone number" in r.text
    assert count(database, Contact) == 0


def test_too_long_name_and_unknown_stage_are_field_errors(signed_in: TestClient,
                                                          database: Database) -> None:
    r = _create(signed_in, first_name="x" * 201, lifecycle_stage="royalty")
    assert r.status_code == 422
    assert 'id="first_name-error"' in r.text and 'id="lifecycle_stage-error"' in r.text
    assert count(database, Contact) == 0


def test_contact_page_shows_header_facts_and_timeline(signed_in: TestClient,
                                                      client: TestClient) -> None:
    company = make_company(client, name="Crumb & Co")
    c = make_contact(client, first_name="Bo", last_name="Baker", company_id=company["id"],
                     preferred_channel="sms", do_not_contact=True, birthday="1990-04-02",
                     important_dates=[{"label": "Wedding anniversary", "date": "2015-06-20"}],
                     personal_notes="Allergic to nuts", tags=["vip"])
    client.post(f"/api/v1/contacts/{c['id']}/notes", json={"body": "Called about the cake"})
    r = signed_in.get(f"/contacts/{c['id']}")
    assert r.status_code == 200
    for text in ("Bo Baker", "Crumb &amp; Co", "Do not contact", "Prefers SMS", "02 Apr 1990",
                 "Wedding anniversary", "20 Jun 2015", "Allergic to nuts", "Called about the cake",
                 "1 note", "vip"):
        assert text in r.text, text


def test_unknown_contact_is_an_html_404(signed_in: TestClient) -> None:
    for path in (f"/contacts/{uuid.uuid4()}", "/contacts/not-a-uuid"):
        r = signed_in.get(path)
        assert r.status_code == 404 and "<html" in r.text and "Not found" in r.text


def test_add_note_with_htmx_returns_the_item_to_prepend(signed_in: TestClient,
                                                        client: TestClient,
                                                        database: Database) -> None:
    c = make_contact(client, first_name="Ada", last_name="Lovelace")
    token = page_csrf(signed_in)
    r = signed_in.post(f"/contacts/{c['id']}/notes", data={"body": "Loves rye bread"},
                       headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<li class="timeline-item')
    assert "Loves rye bread" in r.text and "Test User" in r.text
    assert count(database, Note) == 1
    assert "Loves rye bread" in signed_in.get(f"/contacts/{c['id']}").text


def test_add_note_without_htmx_redirects_back(signed_in: TestClient, client: TestClient) -> None:
    c = make_contact(client, first_name="Ada")
    r = signed_in.post(f"/contacts/{c['id']}/notes",
                       data={"body": "Plain form", "csrf_token": page_csrf(signed_in)})
    assert r.status_code == 303 and r.headers["location"] == f"/contacts/{c['id']}#timeline"


def test_empty_note_is_422_next_to_the_form_and_writes_nothing(
        signed_in: TestClient, client: TestClient, database: Database) -> None:
    c = make_contact(client, first_name="Ada")
    token = page_csrf(signed_in)
    r = signed_in.post(f"/contacts/{c['id']}/notes", data={"body": "   "},
                       headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 422
    assert r.headers["HX-Retarget"] == "#note-error" and "Write something" in r.text
    plain = signed_in.post(f"/contacts/{c['id']}/notes", data={"body": "", "csrf_token": token})
    assert plain.status_code == 422 and "Write something" in plain.text
    assert count(database, Note) == 0


def test_note_on_unknown_contact_is_404(signed_in: TestClient, database: Database) -> None:
    r = signed_in.post(f"/contacts/{uuid.uuid4()}/notes",
                       data={"body": "x", "csrf_token": page_csrf(signed_in)})
    assert r.status_code == 404 and count(database, Note) == 0


def test_user_content_is_escaped_everywhere(signed_in: TestClient) -> None:
    r = _create(signed_in, first_name=XSS_NAME, last_name="O'Brien \"Q\"", tags=XSS_NAME,
                personal_notes=XSS_NOTE)
    assert r.status_code == 303
    path = r.headers["location"]
    token = page_csrf(signed_in)
    note = signed_in.post(f"{path}/notes", data={"body": XSS_NOTE},
                          headers={"HX-Request": "true", "X-CSRF-Token": token})
    pages = [note.text, signed_in.get(path).text, signed_in.get("/contacts").text,
             signed_in.get("/contacts", params={"q": "O'Brien"},
                           headers={"HX-Request": "true"}).text]
    for html in pages:
        assert XSS_NAME not in html and XSS_NOTE not in html
    detail = pages[1]
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[2]
    assert "O&#39;Brien &#34;Q&#34;" in detail


def test_pages_send_security_headers(signed_in: TestClient) -> None:
    r = signed_in.get("/contacts")
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"


def test_static_assets_are_served(web: TestClient) -> None:
    from amity.web.templating import HTMX_VERSION

    r = web.get(f"/static/vendor/htmx-{HTMX_VERSION}.min.js")
    assert r.status_code == 200 and f'version:"{HTMX_VERSION}"' in r.text
    assert web.get("/static/amity.css").status_code == 200
    assert web.get("/static/amity.js").status_code == 200
