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
from tests.conftest import make_user
from tests.web.conftest import PASSWORD
from tests.web.test_accessibility import AXE, _violations
from tests.web.test_browser import (  # noqa: F401  (the browser fixture)
    CHROMIUM,
    MISSING,
    REQUIRED,
    SCREENSHOTS,
    VIEWPORTS,
    LiveServer,
    browser,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED, reason=MISSING),
]


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


def _sign_in(page: Any, url: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/contacts")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_team_role_field_screens_and_bulk_export(
        browser: Any, site: tuple[LiveServer, str], size: str,  # noqa: F811
        tmp_path: Path) -> None:
    from playwright.sync_api import expect

    server, field_id = site
    context = browser.new_context(viewport=VIEWPORTS[size], base_url=server.url,
                                  accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        _sign_in(page, server.url)
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
    finally:
        context.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_new_settings_screens_have_no_serious_accessibility_violations(
        browser: Any, site: tuple[LiveServer, str]) -> None:  # noqa: F811
    server, field_id = site
    context = browser.new_context(viewport=VIEWPORTS["phone"], base_url=server.url,
                                  bypass_csp=True)
    page = context.new_page()
    source = AXE.read_text(encoding="utf-8")
    found: dict[str, Any] = {}

    def check(name: str) -> None:
        page.add_script_tag(content=source)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            problems = _violations(page)
            if problems:
                found[f"{name} ({scheme})"] = problems

    try:
        _sign_in(page, server.url)
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
    finally:
        context.close()
