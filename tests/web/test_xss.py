"""No stored XSS: names, company and deal names, notes, ticket subjects and messages and email
bodies holding ``<script>`` and event-handler attributes are shown as text on every page that
renders them (server-rendered HTML, both databases), and in Chromium no script runs."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.browser import CHROMIUM, MISSING, REQUIRED, LiveServer, open_page

SCRIPT = "<script>window.__xss='script'</script>"
IMG = "<img src=x onerror=\"window.__xss='img'\">"
SVG = "<svg onload=window.__xss='svg'>"
PAYLOAD = f"{SCRIPT}{IMG}{SVG}"


class _Scan(HTMLParser):
    """Every place in a page where the payload became markup instead of text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self._in_script = False
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on") or ("__xss" in (value or "") and name in ("src", "href")):
                self.live.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "__xss" in data:
            self.live.append(f"<script>{data}</script>")
        self.text += data


def assert_inert(html: str, where: str, *, shown: bool = True) -> None:
    scan = _Scan()
    scan.feed(html)
    assert not scan.live, f"{where}: payload became markup: {scan.live}"
    if shown:  # and it is there, as text a person can read
        assert "window.__xss='script'" in scan.text, f"{where}: payload not shown"


def seed(client: TestClient) -> dict[str, Any]:
    """Every kind of record with the payload in its text fields, through the API."""
    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = client.post(f"/api/v1{path}", json=body)
        assert r.status_code in (200, 201), (path, r.text)
        return dict(r.json())

    company = post("/companies", {"name": f"Acme {PAYLOAD}"})
    contact = post("/contacts", {"first_name": f"Eve {SCRIPT}", "last_name": f"Xss {IMG}",
                                 "company_id": company["id"], "tags": ["xss"],
                                 "personal_notes": PAYLOAD,
                                 "emails": [{"email": "eve@example.com"}]})
    post(f"/contacts/{contact['id']}/notes", {"body": f"Note {PAYLOAD}"})
    post("/interactions", {"channel": "email", "direction": "inbound",
                           "subject": f"Mail {SCRIPT}", "body": f"Body {PAYLOAD}",
                           "participants": [{"contact_id": contact["id"]}]})
    deal = post("/deals", {"name": f"Deal {PAYLOAD}", "currency": "EUR", "amount": "10",
                           "contact_id": contact["id"], "company_id": company["id"]})
    ticket = post("/tickets", {"subject": f"Help {PAYLOAD}", "contact_id": contact["id"],
                               "description": f"Desc {PAYLOAD}"})
    post(f"/tickets/{ticket['id']}/comments", {"body": f"Reply {PAYLOAD}"})
    post(f"/tickets/{ticket['id']}/comments", {"body": f"Internal {PAYLOAD}", "public": False})
    return {"contact": contact, "company": company, "deal": deal, "ticket": ticket}


def test_payloads_are_text_on_every_page(client: TestClient, signed_in: TestClient) -> None:
    ids = seed(client)
    c, t = ids["contact"]["id"], ids["ticket"]
    pages = {
        "contact page": f"/contacts/{c}",
        "contact list": "/contacts",
        "contact search": "/contacts?q=Eve",
        "contact commerce panel": f"/contacts/{c}/commerce",
        "contact tickets panel": f"/contacts/{c}/tickets-panel",
        "company list": "/companies",
        "company page": f"/companies/{ids['company']['id']}",
        "deal board": "/deals",
        "deal list": "/deals?view=list",
        "deal page": f"/deals/{ids['deal']['id']}",
        "ticket list": "/tickets",
        "ticket page": f"/tickets/{t.get('reference') or t['id']}",
        "global search": "/search?q=Eve",
    }
    for where, path in pages.items():
        r = signed_in.get(path)
        assert r.status_code == 200, (where, r.status_code)
        # panels show only some of the fields; each must still be free of live markup
        assert_inert(r.text, where, shown=where not in ("contact commerce panel",))
    contact_page = signed_in.get(f"/contacts/{c}").text
    for text in ("Note ", "Body ", "Deal "):
        assert f"{text}&lt;script&gt;" in contact_page, text
    ticket_page = signed_in.get(pages["ticket page"]).text
    for text in ("Help ", "Reply ", "Internal "):
        assert f"{text}&lt;script&gt;" in ticket_page, text


def test_the_scanner_finds_live_markup() -> None:
    """The check above would fail if escaping were switched off."""
    with pytest.raises(AssertionError):
        assert_inert(f"<p>{IMG}</p>", "unescaped")
    with pytest.raises(AssertionError):
        assert_inert(f"<p>{SCRIPT}</p>", "unescaped")
    assert_inert("<p>&lt;script&gt;window.__xss='script'&lt;/script&gt;</p>", "escaped")


@pytest.fixture
def xss_server(app: Any, client: TestClient) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    ids = seed(client)
    with LiveServer(app) as server:
        yield server, ids


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED, reason=MISSING)
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_no_script_runs_in_chromium(browser: Any,
                                    xss_server: tuple[LiveServer, dict[str, Any]],
                                    database: Database, web_user: Any) -> None:
    server, ids = xss_server
    dialogs: list[str] = []
    with open_page(browser, server.url, console=False) as (page, _):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto("/login")
        page.fill("input[name=email]", "sam@example.com")
        page.fill("input[name=password]", "correct horse battery")
        page.click("button[type=submit]")
        page.wait_for_url("**/contacts")
        t = ids["ticket"]
        for path in (f"/contacts/{ids['contact']['id']}", "/contacts?q=Eve", "/deals",
                     f"/companies/{ids['company']['id']}",
                     f"/tickets/{t.get('reference') or t['id']}", "/search?q=Eve"):
            page.goto(path)
            page.wait_for_load_state("networkidle")  # htmx panels loaded too
            assert page.evaluate("() => window.__xss === undefined"), path
            assert page.get_by_text("window.__xss='script'").first.is_visible() or \
                "window.__xss" in page.content(), path
        assert dialogs == []
