"""Accessibility: every main page, at phone and desktop widths, in light and dark themes, passes
axe-core's WCAG 2 A/AA rules with no serious or critical violation.

axe-core (MPL-2.0, vendored for the tests only under tests/web/vendor/) runs inside the page in
Debian's Chromium. The pages are filled with realistic records first (a contact with notes, a
deal, a product, an order), so that lists, panels and forms are checked with content, not empty.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.browser import E2E, VIEWPORTS, LiveServer, open_page, sign_in
from tests.commerce.support import make_order, make_product
from tests.conftest import make_user
from tests.deals.deal_support import make_deal
from tests.factories import make_company, make_contact

AXE = Path(__file__).with_name("vendor") / "axe-4.10.3.min.js"
BLOCKING = ("serious", "critical")

pytestmark = E2E


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


@functools.cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def check_here(page: Any, name: str, found: dict[str, Any]) -> None:
    """axe-core on the page as it is now, in the light and dark themes: its serious or critical
    violations go into ``found`` under ``name``."""
    page.add_script_tag(content=axe_source())
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        problems = _violations(page)
        if problems:
            found[f"{name} ({scheme})"] = problems


def scan(page: Any, paths: Iterable[str]) -> dict[str, Any]:
    """``check_here`` on each page (which must answer 200)."""
    found: dict[str, Any] = {}
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        check_here(page, path, found)
    return found


# The markup does not depend on the database: SQLite only, to keep the run short.
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_main_pages_have_no_serious_accessibility_violations(
        browser: Any, site: tuple[LiveServer, dict[str, str]], size: str) -> None:
    server, ids = site
    with open_page(browser, server.url, size=size, bypass_csp=True) as (page, _):
        page.goto("/login")
        page.add_script_tag(content=axe_source())
        found = {"/login": _violations(page)}
        sign_in(page, server.url)
        found.update(scan(page, _pages(ids)))
    found = {k: v for k, v in found.items() if v}
    assert not found, json.dumps(found, indent=1)
