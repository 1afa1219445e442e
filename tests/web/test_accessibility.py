"""Accessibility: every main page, at phone and desktop widths, in light and dark themes, passes
axe-core's WCAG 2 A/AA rules with no serious or critical violation.

axe-core (MPL-2.0, vendored for the tests only under tests/web/vendor/) runs inside the page in
Debian's Chromium. The pages are filled with realistic records first (a contact with notes, a
deal, a product, an order), so that lists, panels and forms are checked with content, not empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.commerce.support import make_order, make_product
from tests.conftest import make_user
from tests.deals.deal_support import make_deal
from tests.factories import make_company, make_contact
from tests.web.conftest import PASSWORD
from tests.web.test_browser import (  # noqa: F401  (the browser fixture)
    CHROMIUM,
    MISSING,
    REQUIRED,
    VIEWPORTS,
    LiveServer,
    browser,
)

AXE = Path(__file__).with_name("vendor") / "axe-4.10.3.min.js"
BLOCKING = ("serious", "critical")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED, reason=MISSING),
]


@pytest.fixture
def site(app: Any, database: Database,
         client: TestClient) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    make_user(database, admin=True, email="sam@example.com")
    firm = make_company(client, name="Analytical Engines", industry="computing", tags=["key"])
    ada = make_contact(client, first_name="Ada", last_name="Lovelace", company_id=firm["id"],
                       emails=[{"email": "ada@example.com"}], lifecycle_stage="customer",
                       tags=["vip"], personal_notes="Allergic to nuts")
    make_contact(client, first_name="Grace", last_name="Hopper", lifecycle_stage="lead")
    client.post(f"/api/v1/contacts/{ada['id']}/notes", json={"body": "Called about the cake"})
    deal = make_deal(client, name="Analytical engine", contact_id=ada["id"])
    product = make_product(client, name="Difference engine", replacement_cycle_days=1095)
    make_order(client, ada, {"product_id": product["id"], "quantity": "1"})
    ids = {"contact": ada["id"], "deal": deal["id"], "company": firm["id"]}
    with LiveServer(app) as server:
        yield server, ids


def _pages(ids: dict[str, str]) -> list[str]:
    return ["/contacts", "/contacts/new", f"/contacts/{ids['contact']}", "/deals",
            "/deals?view=list", f"/deals/{ids['deal']}", "/deals/new",
            "/settings/products", "/settings/products/new", "/settings/users",
            "/settings/teams", "/settings/roles", "/account", "/audit",
            "/companies", f"/companies/{ids['company']}", "/search?q=lovelace"]


def _violations(page: Any) -> list[dict[str, Any]]:
    result = page.evaluate(
        """async () => {
             const r = await axe.run(document, {runOnly: {type: 'tag',
               values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
             return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
           }""")
    return [v for v in result if v["impact"] in BLOCKING]


# The markup does not depend on the database: SQLite only, to keep the run short.
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_main_pages_have_no_serious_accessibility_violations(
        browser: Any, site: tuple[LiveServer, dict[str, str]], size: str) -> None:  # noqa: F811
    server, ids = site
    context = browser.new_context(viewport=VIEWPORTS[size], base_url=server.url,
                                  bypass_csp=True)
    page = context.new_page()
    source = AXE.read_text(encoding="utf-8")
    found: dict[str, Any] = {}
    try:
        page.goto("/login")
        page.add_script_tag(content=source)
        found["/login"] = _violations(page)
        page.get_by_label("Email").fill("sam@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{server.url}/contacts")
        for path in _pages(ids):
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            page.add_script_tag(content=source)
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                problems = _violations(page)
                if problems:
                    found[f"{path} ({scheme})"] = problems
        found = {k: v for k, v in found.items() if v}
        assert not found, json.dumps(found, indent=1)
    finally:
        context.close()
