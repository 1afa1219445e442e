"""The team, role and custom-field settings screens and the list's bulk export in Chromium,
at phone and desktop widths: create a team with a member, a custom role with a scope, refuse
an empty field label next to the field, archive the field, and download the ticked rows as
CSV. Each new screen (and its error state, and the list with the Export menu open) passes
axe-core's WCAG 2 A/AA rules with no serious violations, light and dark. SQLite only: the
markup does not depend on the database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.browser import E2E, SCREENSHOTS, VIEWPORTS, LiveServer, open_page, sign_in
from tests.conftest import make_user
from tests.web.test_accessibility import check_here

pytestmark = E2E


@pytest.fixture
def site(app: Any, database: Database, client: TestClient) -> Iterator[tuple[LiveServer, str]]:
    make_user(database, admin=True, email="sam@example.com")
    make_user(database, email="kim@example.com")
    for first, last in (("Grace", "Hopper"), ("Linus", "Baker")):
        assert client.post("/api/v1/contacts", json={"first_name": first, "last_name": last}
                           ).status_code == 201
    r = client.post("/api/v1/custom-fields", json={
        "entity": "contact", "key": "tier", "label": "Tier", "type": "select",
        "options": ["gold", "silver"]})
    assert r.status_code == 201
    with LiveServer(app) as server:
        yield server, str(r.json()["id"])


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_team_role_field_screens_and_bulk_export(
        browser: Any, site: tuple[LiveServer, str], size: str,
        tmp_path: Path) -> None:
    from playwright.sync_api import expect

    server, field_id = site
    with open_page(browser, server.url, size=size, console=False,
                   accept_downloads=True) as (page, problems):
        sign_in(page, server.url)
        # a team with a member
        page.goto("/settings/teams")
        page.get_by_role("link", name="New team").click()
        page.get_by_label("Name").fill("North")
        page.get_by_label("Test User kim@example.com").check()
        page.get_by_role("button", name="Create team").click()
        expect(page.locator(".flash")).to_contain_text("Saved team 'North'.")
        expect(page.get_by_role("list", name="Members of North")).to_contain_text("Test User")

        # a custom role that sees its team's contacts
        page.goto("/settings/roles")
        page.get_by_role("link", name="New role").first.click()
        page.get_by_label("Name").fill("Field agent")
        page.get_by_label("contacts view").select_option("team")
        page.get_by_role("button", name="Create role").click()
        expect(page.locator(".flash")).to_contain_text("Saved role 'Field agent'.")
        expect(page.get_by_role("region", name="Permissions of Field agent")
               .locator("td.scope-team")).to_have_count(1)

        # a refused label is shown next to its field; then archive the field
        page.goto(f"/settings/fields/{field_id}")
        page.get_by_label("Label").fill("")
        page.get_by_role("button", name="Save").click()
        label = page.get_by_label("Label")
        expect(label).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#label-error")).to_be_visible()
        expect(label).to_have_attribute("aria-describedby", "label-error")
        page.get_by_role("button", name="Archive").click()
        expect(page.locator(".flash")).to_contain_text("Archived")
        expect(page.locator("#field-contact-tier")).to_contain_text("Archived")

        # tick one contact and download it as CSV from the bulk bar
        page.goto("/contacts")
        page.get_by_label("Select Grace Hopper").check()
        bar = page.get_by_role("form", name="Bulk actions")
        bar.get_by_label("Action").select_option("export")
        bar.get_by_label("Export format").select_option("csv")
        with page.expect_download() as info:
            bar.get_by_role("button", name="Review or export").click()
        target = tmp_path / f"{size}.csv"
        info.value.save_as(target)
        rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
        assert [r["last_name"] for r in rows] == ["Hopper"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.get_by_text("Export", exact=True).first.click()
        expect(page.get_by_role("link", name="Excel (XLSX)")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"sqlite-{size}-export-menu.png"))
        assert not problems, problems


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_new_settings_screens_have_no_serious_accessibility_violations(
        browser: Any, site: tuple[LiveServer, str]) -> None:
    server, field_id = site
    found: dict[str, Any] = {}
    with open_page(browser, server.url, size="phone", bypass_csp=True) as (page, _):

        def check(name: str) -> None:
            check_here(page, name, found)

        sign_in(page, server.url)
        for path in ("/settings/teams/new", "/settings/roles/new", "/settings/roles",
                     "/settings/teams", f"/settings/fields/{field_id}"):
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            check(path)
        # the error states: each form submitted with bad input
        page.goto("/settings/teams/new")
        page.get_by_role("button", name="Create team").click()
        page.wait_for_selector("#name-error")
        check("team form with errors")
        page.goto("/settings/roles/new")
        page.get_by_label("Name").fill("bad/name")
        page.get_by_role("button", name="Create role").click()
        page.wait_for_selector("#name-error")
        check("role form with errors")
        page.goto(f"/settings/fields/{field_id}")
        page.get_by_label("Label").fill("")
        page.get_by_role("button", name="Save").click()
        page.wait_for_selector("#label-error")
        check("field form with errors")
        # the contact list with its Export menu open
        page.goto("/contacts")
        page.get_by_text("Export", exact=True).first.click()
        check("contacts with the export menu")
    assert not found, json.dumps(found, indent=1)
