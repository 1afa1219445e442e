"""The workflow builder in Debian's Chromium: build a small workflow through the form (rows
added and removed with HTMX, an inline error first), save it, find it stored as version 1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from amity.automation.models import Workflow, WorkflowVersion
from amity.core.db import Database
from tests.browser import E2E, LiveServer, open_page, shot
from tests.conftest import make_user
from tests.web.conftest import PASSWORD

pytestmark = E2E


@pytest.fixture
def server(app: Any, database: Database) -> Iterator[LiveServer]:
    make_user(database, admin=True, email="sam@example.com")
    with LiveServer(app) as live:
        yield live


def test_build_a_workflow_through_the_form(browser: Any, server: LiveServer,
                                           database: Database, backend: str) -> None:
    from playwright.sync_api import expect

    with open_page(browser, server.url, expected_statuses=(422,)) as (page, problems):

        def settled() -> None:
            # htmx wires a swapped-in row's select after it settles (about 20 ms): a change
            # made before that is not sent, so wait as a person's pace would
            expect(page.locator(".htmx-added, .htmx-settling, .htmx-request")).to_have_count(0)

        page.goto("/login?next=/automation")
        page.get_by_label("Email").fill("sam@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{server.url}/automation")
        page.get_by_role("link", name="New workflow").click()
        page.locator('input[name="name"]').fill("Won deals")
        # Each trigger kind shows its own fields: web activity asks for a page, not an event.
        page.locator('select[name="trigger_type"]').select_option("web")
        expect(page.locator("#trigger-fields")).to_have_attribute("data-kind", "web")
        expect(page.get_by_label("Page URL contains")).to_be_visible()
        expect(page.locator('select[name="trigger_event"]')).to_have_count(0)
        page.locator('select[name="trigger_type"]').select_option("event")
        expect(page.locator("#trigger-fields")).to_have_attribute("data-kind", "event")
        page.locator('select[name="trigger_event"]').select_option("deal.won")

        # Two condition rows added, the second removed again.
        page.get_by_role("button", name="Add condition").click()
        expect(page.locator(".condition-row")).to_have_count(1)
        page.get_by_role("button", name="Add condition").click()
        expect(page.locator(".condition-row")).to_have_count(2)
        page.locator(".condition-row").nth(1).get_by_role(
            "button", name="Remove condition").click()
        expect(page.locator(".condition-row")).to_have_count(1)
        cond = page.locator(".condition-row").first
        settled()
        cond.locator('select[name$="-type"]').select_option("tag")
        cond = page.locator('.condition-row[data-kind="tag"]')  # the row re-rendered
        expect(cond.get_by_label("Tag", exact=True)).to_be_visible()
        cond.locator('select[name$="-op"]').select_option("has")
        cond.locator('input[name$="-value"]').fill("vip")

        # The default action row: a task, first without a title (an inline error).
        page.get_by_role("button", name="Add action").click()
        expect(page.locator(".action-row")).to_have_count(2)
        second = page.locator(".action-row").nth(1)
        settled()
        second.locator('select[name$="-type"]').select_option("add_tag")
        second = page.locator('.action-row[data-kind="add_tag"]')
        second.get_by_label("Tag", exact=True).fill("won")
        page.get_by_role("button", name="Save workflow").click()
        expect(page.locator(".alert")).to_contain_text("not saved")
        expect(page.locator(".action-row").first.locator(".field-error")).to_contain_text(
            "title")
        with database.transaction(write=False) as s:
            assert s.scalar(select(Workflow.id)) is None
        shot(page, backend, "desktop", "automation-1-error")

        page.locator(".action-row").first.locator('input[name$="-text"]').fill(
            "Call them")
        page.get_by_role("button", name="Save workflow").click()
        expect(page.get_by_role("heading", name="Won deals")).to_be_visible()
        expect(page.locator(".versions")).to_contain_text("v1")
        shot(page, backend, "desktop", "automation-2-saved")
        assert problems == []
    with database.transaction(write=False) as s:
        w = s.scalar(select(Workflow))
        assert w is not None and w.name == "Won deals" and w.trigger_key == "deal.won"
        v = s.scalar(select(WorkflowVersion).where(WorkflowVersion.workflow_id == w.id))
        assert v is not None and v.number == 1
        d = v.definition
        assert d["conditions"]["rules"] == [{"type": "tag", "op": "has", "tag": "vip"}]
        assert [(a["type"], a.get("title") or a.get("tag")) for a in d["actions"]] == [
            ("create_task", "Call them"), ("add_tag", "won")]
