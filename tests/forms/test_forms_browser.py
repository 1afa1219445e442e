"""Forms in Debian's Chromium: the hosted page at phone width (errors beside the fields, then
the thank-you message, no CSP violation), and the form embedded in another origin's page by
amity-form.js (real CORS between two local servers), linking the tracked visitor."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from amity.activities.forms_models import Form, FormSubmission
from amity.activities.outreach_models import WebSite, WebVisitor
from amity.contacts.models import Contact
from amity.core.db import Database
from tests.browser import E2E, VIEWPORTS, LiveServer, watch
from tests.conftest import make_user

pytestmark = E2E
FIELDS = [{"maps_to": "first_name", "label": "First name", "type": "text", "required": True,
           "options": [], "custom_field": None},
          {"maps_to": "email", "label": "Email", "type": "email", "required": True,
           "options": [], "custom_field": None},
          {"maps_to": "message", "label": "Message", "type": "textarea", "required": False,
           "options": [], "custom_field": None}]
CONSENTS = [{"key": "news", "purpose": "newsletter", "channel": "email",
             "text": "Send me the newsletter", "required": False}]


class SitePage:
    """Another origin (a second port) serving one page that embeds the form."""

    def __init__(self) -> None:
        self.html = b""
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(outer.html)))
                self.end_headers()
                self.wfile.write(outer.html)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SitePage:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(app: Any, database: Database) -> Iterator[LiveServer]:
    make_user(database, admin=True, email="owner@example.com")
    with LiveServer(app) as s:
        yield s


def _form(database: Database, site_id: uuid.UUID | None = None) -> str:
    key = uuid.uuid4().hex[:16]
    with database.transaction() as s:
        s.add(Form(name="Contact us", title="Talk to us", public_key=key, fields=FIELDS,
                   consents=CONSENTS, tags=[], min_fill_seconds=1, site_id=site_id))
    return key


def test_hosted_form_on_a_phone(browser: Any, server: LiveServer, database: Database) -> None:
    key = _form(database)
    ctx = browser.new_context(base_url=server.url, viewport=VIEWPORTS["phone"])
    page = ctx.new_page()
    problems = watch(page, expected_statuses=(422,))
    page.goto(f"/f/{key}")
    assert page.locator("h1").inner_text() == "Talk to us"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORTS["phone"]["width"]  # no sideways scrolling on a phone
    page.fill("#f-first_name", "Ada")
    page.fill("#f-email", "not an email")
    page.wait_for_timeout(1200)  # the form's minimum fill time
    page.click("#form-submit")
    assert page.locator("#e-email").is_visible()
    assert page.input_value("#f-first_name") == "Ada"
    page.fill("#f-email", "ada@example.com")
    page.check("#c-news")
    page.wait_for_timeout(1200)
    page.click("#form-submit")
    page.wait_for_selector("#form-done")
    assert not problems, problems
    ctx.close()
    with database.transaction(write=False) as s:
        c = s.scalar(select(Contact))
        assert c is not None and c.first_name == "Ada" and c.primary_email == "ada@example.com"


def test_form_embedded_in_another_origin(browser: Any, server: LiveServer,
                                         database: Database) -> None:
    html = """<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1>
<script>document.cookie = "amity_vid=visitor-browser-01; Path=/";</script>
<div data-amity-form="{key}" data-amity-host="{host}"></div>
<script src="{host}/static/amity-form.js"></script></body></html>"""
    with SitePage() as site:
        with database.transaction() as s:
            ws = WebSite(id=uuid.uuid4(), name="Shop", public_key=f"pk_{uuid.uuid4().hex}",
                         allowed_origins=[site.url], rate_limit_per_minute=100)
            s.add(ws)
            site_id = ws.id
        key = _form(database, site_id)
        site.html = html.replace("{key}", key).replace("{host}", server.url).encode()
        ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
        page = ctx.new_page()
        page.goto(site.url + "/")
        field = page.locator(f"#amity-{key}-email")
        field.wait_for()
        page.fill(f"#amity-{key}-first_name", "Grace")
        field.fill("grace@example.com")
        page.check(f"#amity-{key}-news")
        page.wait_for_timeout(1200)
        page.click("form.amity-form button[type=submit]")
        page.wait_for_selector(".amity-done")
        ctx.close()
    with database.transaction(write=False) as s:
        c = s.scalar(select(Contact))
        assert c is not None and c.first_name == "Grace"
        sub = s.scalar(select(FormSubmission))
        assert sub is not None and sub.visitor_key == "visitor-browser-01"
        v = s.scalar(select(WebVisitor))
        assert v is not None and v.contact_id == c.id
