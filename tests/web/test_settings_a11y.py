"""Accessibility of the settings screens (pipelines, tags, custom fields, email & tracking):
axe-core's WCAG 2 A/AA rules in Chromium, light and dark, with content on each page. One
width (390 px) and SQLite only: the markup does not depend on either, and CI time is short."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.conftest import make_user
from tests.web.conftest import PASSWORD
from tests.web.test_accessibility import AXE, _violations
from tests.web.test_browser import (  # noqa: F401  (the browser fixture)
    CHROMIUM,
    MISSING,
    REQUIRED,
    VIEWPORTS,
    LiveServer,
    browser,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED, reason=MISSING),
]
PAGES = ("/settings/users", "/settings/pipelines", "/settings/tags", "/settings/fields",
         "/settings/email")


@pytest.fixture
def settings_site(app: Any, database: Database, client: TestClient) -> Iterator[LiveServer]:
    make_user(database, admin=True, email="sam@example.com")
    for path, body in (
            ("/contacts", {"first_name": "Ada", "tags": ["vip", "wholesale"]}),
            ("/custom-fields", {"entity": "contact", "key": "allergies", "label": "Allergies",
                                "type": "multi_select", "options": ["nuts"],
                                "sensitive": True}),
            ("/sites", {"name": "Shop", "allowed_origins": ["https://shop.example"]})):
        assert client.post(f"/api/v1{path}", json=body).status_code == 201, path
    with LiveServer(app) as server:
        yield server


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_settings_screens_have_no_serious_accessibility_violations(
        browser: Any, settings_site: LiveServer) -> None:  # noqa: F811
    context = browser.new_context(viewport=VIEWPORTS["phone"], base_url=settings_site.url,
                                  bypass_csp=True)
    page = context.new_page()
    source = AXE.read_text(encoding="utf-8")
    found: dict[str, Any] = {}
    try:
        page.goto("/login")
        page.get_by_label("Email").fill("sam@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{settings_site.url}/contacts")
        for path in PAGES:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            page.add_script_tag(content=source)
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                problems = _violations(page)
                if problems:
                    found[f"{path} ({scheme})"] = problems
        assert not found, json.dumps(found, indent=1)
    finally:
        context.close()
