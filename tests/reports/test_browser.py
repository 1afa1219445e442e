"""The report builder in Debian's Chromium at phone and desktop widths: choose the entity,
group order lines by category, sum their totals in USD, save, and read the table and the SVG
chart (which must fit a 390 px screen); the dashboard loads its funnel and heat-map. No console
errors (a CSP violation would be one). Screenshots to artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from amity.core.db import Database
from amity.reports.models import SavedReport
from tests.analytics.dataset import build
from tests.browser import E2E, VIEWPORTS, LiveServer, open_page, shot
from tests.conftest import make_user
from tests.factories import count
from tests.web.conftest import PASSWORD

pytestmark = E2E


@pytest.fixture
def server(app: Any, database: Database) -> Iterator[LiveServer]:
    make_user(database, admin=True, email="sam@example.com")
    build(database)
    with LiveServer(app) as live:
        yield live


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_build_and_save_a_report(browser: Any, server: LiveServer,
                                 database: Database, backend: str, size: str) -> None:
    from playwright.sync_api import expect

    with open_page(browser, server.url, size=size) as (page, problems):
        page.goto("/login?next=/reports")
        page.get_by_label("Email").fill("sam@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{server.url}/reports")
        page.get_by_role("link", name="New report").click()
        page.locator('select[name="entity"]').select_option("order_lines")
        page.get_by_role("button", name="Choose").click()
        page.locator('input[name="name"]').fill(f"Lines by category ({size})")
        page.locator('select[name="dim1"]').select_option("category")
        page.locator('select[name="op1"]').select_option("sum")
        page.locator('select[name="mfield1"]').select_option("total")
        page.locator('select[name="ffield1"]').select_option("currency")
        page.locator('input[name="fvalue1"]').fill("USD")
        page.locator('select[name="ffield2"]').select_option("status")
        page.locator('select[name="fop2"]').select_option("in")
        page.locator('input[name="fvalue2"]').fill("paid, fulfilled, placed")
        page.locator('select[name="sort"]').select_option("m_desc")
        shot(page, backend, size, "reports-1-builder")
        page.get_by_role("button", name="Save report").click()
        expect(page.locator("h1")).to_have_text(f"Lines by category ({size})")
        rows = page.locator("table.report-result tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("Cups")
        expect(rows.first).to_contain_text("295.00")
        expect(rows.nth(1)).to_contain_text("190.00")
        chart = page.get_by_role("img", name="Lines by category")
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] <= VIEWPORTS[size]["width"]
        shot(page, backend, size, "reports-2-result")
        assert count(database, SavedReport) == 1
        page.goto("/analytics")
        expect(page.get_by_role("img", name="Pipeline funnel")).to_be_visible()
        funnel = page.get_by_role("img", name="Pipeline funnel").bounding_box()
        assert funnel is not None and funnel["width"] <= VIEWPORTS[size]["width"]
        shot(page, backend, size, "reports-3-dashboard")
        assert problems == []
