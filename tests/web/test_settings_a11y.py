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
from tests.browser import E2E, LiveServer, open_page, sign_in
from tests.conftest import make_user
from tests.web.test_accessibility import scan

pytestmark = E2E
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
        browser: Any, settings_site: LiveServer) -> None:
    with open_page(browser, settings_site.url, size="phone", bypass_csp=True) as (page, _):
        sign_in(page, settings_site.url)
        found = scan(page, PAGES)
    assert not found, json.dumps(found, indent=1)
